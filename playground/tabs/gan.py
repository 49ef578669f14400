"""The GAN tab: a GAN lab for 2D points (D's heatmap, G's arrows, modes covered) and for images."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import torch

from trainers.data import MODE_STD, DataError, Dataset, from_upload, load, mode_centers, points_from_csv
from trainers.gan import Config, paper_settings
from trainers.gan_metrics import N_SAMPLES, d_heatmap, d_scores, dataset_coverage, generator_arrows
from trainers.loop import Run

from .. import figures, quality
from ..panel import LivePlot, Panel

TITLE = "GAN"
UPLOAD = "my points (.csv) or images (.zip / .npz)"
DATASETS = ["ring of 8", "grid of 25", "moons", "swiss roll", "checkerboard", "digits", "sprites", "mnist",
            "fashion-mnist"]
REAL, FAKE = "#15803d", "#7e22ce"        # GAN Lab's colours: green real, purple fake
HEAT = [[0.0, "#e9d5ff"], [0.5, "#ffffff"], [1.0, "#bbf7d0"]]     # D's verdict, pale so the points stand out
N_POINTS = 600                           # real and fake points drawn in the 2D view
N_ARROWS = 80

EQUATION = r"""
### The game (eq. 5 here is Goodfellow et al. 2014, eq. 1; eq. 6 is WGAN, Arjovsky et al. 2017, eq. 3; gradient penalty: Gulrajani et al. 2017; spectral norm: Miyato et al. 2018)
$$\min_G \max_D\ \mathbb{E}_{x\sim p_\text{data}}[\log D(x)] + \mathbb{E}_{z\sim p(z)}[\log(1 - D(G(z)))]$$
D learns to tell real from generated samples; G learns to fool it. WGAN replaces the log-loss by the
critic's Wasserstein estimate $\mathbb{E}[D(x)] - \mathbb{E}[D(G(z))]$, which needs a Lipschitz $D$: weight
clipping keeps it $K$-Lipschitz for some unknown $K$ (so it estimates $K\cdot W$, not $W$), the gradient
penalty pushes it towards 1-Lipschitz, and spectral norm bounds each layer's slope by 1.
"""

# The equation each objective shows (LaTeX, seed 004 eq. 5 and 6), one display line each.
EQUATIONS: dict[str, tuple[str, ...]] = {
    "minimax": (r"\min_G \max_D\ \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))] \quad (5)",),
    "non-saturating": (r"\max_D\ \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]",
                       r"\min_G\ -\mathbb{E}_{z}[\log D(G(z))]"),
    "wgan": (r"\min_G \max_{\|w_D\|_\infty \le c}\ \mathbb{E}_{x}[D(x)] - \mathbb{E}_{z}[D(G(z))] \quad (6)",),
    "wgan-gp": (r"\min_G \max_D\ \mathbb{E}_{x}[D(x)] - \mathbb{E}_{z}[D(G(z))] \quad (6)",
                r"\quad - \lambda\,\mathbb{E}_{\hat x}\big[(\|\nabla_{\hat x} D(\hat x)\|_2 - 1)^2\big]"),
    "hinge": (r"\min_D\ \mathbb{E}_{x}[\max(0, 1 - D(x))] + \mathbb{E}_{z}[\max(0, 1 + D(G(z)))]",
              r"\min_G\ -\mathbb{E}_{z}[D(G(z))],\quad W \leftarrow W / \sigma_{\max}(W)"),
}

# name -> (dataset, config overrides, what to watch). Mode collapse: seed 002's VAE-vs-GAN section. Every
# claim is checked by a seeded test (tests/test_gan.py, test_preset_*). On this project's CPU 1,000 steps of
# "mode collapse" take ~6 s of one core, 1,000 steps of the WGAN-GP preset ~26 s (5 critic steps each).
PRESETS: dict[str, tuple[str, dict[str, Any], str]] = {
    "mode collapse": (
        "ring of 8",
        dict(objective="non-saturating", hidden=64, batch_size=64, lr_d=5e-4, lr_g=5e-3, n_critic=1, seed=0),
        "a plain GAN whose G learns 10× faster than D: the purple cloud never spreads over the ring; it "
        "shrinks to a clump that hops from mode to mode, chasing D's latest blind spot (modes covered stays "
        "at 0–1 of 8). Then try TTUR the other way round, or the WGAN-GP preset."),
    "WGAN-GP covers the modes": (
        "ring of 8",
        dict(paper_settings("wgan-gp"), seed=0),
        "WGAN-GP with its paper's settings (5 critic steps per G step, Adam β₁ = 0): the critic keeps a useful "
        "slope everywhere, so by step ~500 the purple cloud is spread round the whole ring instead of "
        "clumping. Then the samples gather onto the modes: the high-quality share climbs from ~2% to over "
        "half, and by ~2,000 steps all 8 modes are covered. Watch the Wasserstein estimate fall."
        " ⏱ A whole press (2,000 steps) takes about 1½ minutes of one CPU core (bench/presets.py); "
        "step 500 comes after about 20 seconds."),
}

NOTES = {
    "minimax": "G minimises log(1 − D(G(z))): when D wins early, this saturates and G's gradient vanishes.",
    "non-saturating": "G maximises log D(G(z)) instead: same fixed point, strong gradients early on.",
    "wgan": "D is a critic (no sigmoid); clipping its weights to [−c, c] keeps it K-Lipschitz for some K that "
            "depends on c and the architecture (not 1), so the W estimate is K·W, not W. RMSProp, 5 critic steps. "
            "Clipping also confines the critic to very simple functions (Gulrajani et al., 2017, §3): on the ring "
            "of 8 it does not find the modes in a demo's few thousand steps. Compare WGAN-GP.",
    "wgan-gp": "The penalty pushes ‖∇D‖ to 1 on points between real and fake (x̂ = εx + (1−ε)G(z)); λ = 0.1, "
               "its authors' value for 2D toy data (10 in the paper, for images). Adam β = (0, 0.9), 5 critic steps.",
    "hinge": "Hinge loss with every D layer divided by its largest singular value (spectral norm).",
}

for k, v in {"d_loss": "D loss", "g_loss": "G loss", "wasserstein": "W estimate", "gp": "GP",
             "d_acc": "D accuracy", "grad_norm_d": "‖∇D‖", "grad_norm_g": "‖∇G‖"}.items():
    figures.PRETTY.setdefault(k, v)     # additive: names for the curve legends


PAPER_FIELDS = [k for k in paper_settings("wgan-gp") if k != "objective"]


def objective_settings(objective: str) -> list[Any]:
    """The form values (``PAPER_FIELDS``) that come with a newly chosen objective: its paper's settings."""
    settings = paper_settings(objective)
    return [settings[k] for k in PAPER_FIELDS]


def equation_for(objective: str) -> str:
    """The objective's equation, one display line per player (long lines would overflow the column)."""
    lines = EQUATIONS.get(objective, ())
    return f"**Objective: {objective}**\n" + "".join(f"$${ln}$$\n" for ln in lines) + NOTES.get(objective, "")


def load_data(name: str, upload: str | None) -> Dataset:
    if name == UPLOAD:
        if not upload:
            raise DataError("Upload a CSV of points (two columns x, y), a .zip/.npz of images, "
                            "or draw points and press 'Use my drawing'.")
        if str(upload).lower().endswith(".csv"):
            return points_from_csv(upload)
        return from_upload(upload)
    return load(name)


# ----------------------------------------------------------------------------- views
@dataclass
class View:
    lim: float | None = None      # half the side of the 2D view (fixed for a run, so frames compare)


def render(run: Run, view: View) -> dict[str, Any]:
    if run.data.kind == "points":
        lab, readout = _lab(run, view)
        return {"lab": gr.update(value=lab, visible=True), "readout": readout,
                "grid": gr.update(value=None, visible=False), "scores": _scores(run)}
    with run.evaluating() as m:
        grid = figures.grid(m.sample_fixed(64), nrow=8)
    return {"lab": gr.update(value=None, visible=False), "readout": _image_readout(run),
            "grid": gr.update(value=grid, visible=True), "scores": _scores(run)}


def _limits(run: Run, view: View) -> tuple[float, float]:
    if view.lim is None:
        view.lim = float(run.data.x.float().abs().max().clamp(min=1.0)) * 1.25
    return -view.lim, view.lim


def _lab(run: Run, view: View):
    lim = _limits(run, view)
    name = run.data.name
    with run.evaluating() as m:
        xs, ys, v = d_heatmap(m, lim, lim, n=50)
        g = torch.Generator().manual_seed(0)
        z = torch.randn(N_POINTS, m.cfg.z_dim, generator=g).to(m.device)
        fake = m.sample(N_POINTS, z=z).cpu().numpy()
        pts, arrows = generator_arrows(m, z=z[:N_ARROWS], n=N_ARROWS)
        cov = dataset_coverage(m, name) if name in MODE_STD else None
    real = run.data.x[:N_POINTS].cpu().numpy()
    wgan = run.cfg.objective != "minimax" and run.cfg.objective != "non-saturating"
    # arrows: the longest is a tenth of the view, so they stay readable whatever the gradient's scale
    length = np.linalg.norm(arrows, axis=1).max() + 1e-12
    tips = pts + arrows / length * (lim[1] - lim[0]) / 10
    seg = np.full((3 * len(pts), 2), np.nan)
    seg[0::3], seg[1::3] = pts, tips
    heat = dict(type="heatmap", x=xs, y=ys, z=v, colorscale=HEAT, opacity=0.8, zsmooth="best",
                hoverinfo="skip", colorbar=dict(title=dict(text="critic" if wgan else "D(x)"), thickness=14),
                **({} if wgan else _around_half(v)))
    data = [heat,
            dict(type="scatter", x=real[:, 0], y=real[:, 1], mode="markers", name="real",
                 marker=dict(size=5, color=REAL, opacity=0.7)),
            dict(type="scatter", x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated",
                 marker=dict(size=6, color=FAKE, opacity=0.8, symbol="x")),   # told apart by shape too
            dict(type="scatter", x=seg[:, 0], y=seg[:, 1], mode="lines", name="G's gradient",
                 line=dict(color="#0f172a", width=1.5), hoverinfo="skip")]
    shapes = []
    title = ("D(x): green = looks real, purple = looks fake · arrows: where G's loss pushes samples"
             if not wgan else "critic: green = high, purple = low · arrows: where G's loss pushes samples")
    if cov is not None:
        r = 3 * MODE_STD[name]
        shapes = [dict(type="circle", x0=cx - r, x1=cx + r, y0=cy - r, y1=cy + r, line=dict(color="#334155", dash="dot"))
                  for cx, cy in mode_centers(name).tolist()]
    layout = dict(height=640, hovermode="closest", shapes=shapes, title=dict(text=title, font=dict(size=15)),
                  margin=dict(l=40, r=10, t=40, b=30),
                  xaxis=dict(range=list(lim), constrain="domain"),
                  yaxis=dict(range=list(lim), scaleanchor="x", scaleratio=1),
                  legend=dict(orientation="h", y=-0.08))
    readout = _readout(cov)
    return figures.fig(data, layout), readout


def _around_half(v: np.ndarray) -> dict[str, float]:
    """A colour range centred on D = ½ (can't tell), stretched to D's actual spread so that an unsure
    D still shows where it leans (the colour bar gives the true values)."""
    dev = max(float(np.abs(v - 0.5).max()), 0.02)
    return dict(zmin=0.5 - dev, zmax=0.5 + dev)


def _readout(cov) -> str:
    if cov is None:
        return ("### Modes covered: n/a\nThis data is not a mixture of Gaussians; compare the purple cloud "
                "with the green one by eye.")
    counts = " · ".join(str(c) for c in cov.per_mode)
    return (f"### Modes covered: **{cov.modes_covered} / {cov.n_modes}** · high-quality samples: "
            f"**{cov.high_quality:.0f}%**\nOf {N_SAMPLES:,} samples, *high quality* = within 3σ of its nearest "
            f"mode (dotted circles), as in VEEGAN (Srivastava et al., 2017) and PacGAN. A mode is *covered* "
            f"when it holds at least a third of its fair share of them: ≥ {cov.min_count} = ⅓ · {N_SAMPLES:,} / "
            f"{cov.n_modes}. (Those papers count a mode as soon as one sample lands on it; on these 3σ circles "
            f"even a plain N(0, I) blob passes that test on all 8.) Per mode: {counts}")


def _image_readout(run: Run) -> str:
    h = run.history.terms
    last = {k: h[k][-1] for k in ("grad_norm_d", "grad_norm_g", "d_acc") if k in h and h[k]}
    if not last:
        return "### Samples from fixed noise\nThe same 64 z every frame, so frames are comparable."
    return ("### Samples from fixed noise\nThe same 64 z every frame. "
            f"D accuracy {last.get('d_acc', float('nan')):.2f} · ‖∇D‖ {last.get('grad_norm_d', float('nan')):.3g}"
            f" · ‖∇G‖ {last.get('grad_norm_g', float('nan')):.3g}")


def _scores(run: Run):
    with run.evaluating() as m:
        s_real, s_fake = d_scores(m, run.data.x_test, n=500)
    gan = run.cfg.objective in ("minimax", "non-saturating")
    data = [dict(type="histogram", x=s_real, name="real", opacity=0.6, marker=dict(color=REAL), nbinsx=40),
            dict(type="histogram", x=s_fake, name="generated", opacity=0.6, marker=dict(color=FAKE), nbinsx=40)]
    return figures.fig(data, dict(height=330, barmode="overlay", hovermode="closest",
                                  title=dict(text="D's scores on real vs generated samples", font=dict(size=16)),
                                  xaxis=dict(title=dict(text="D(x)" if gan else "critic value")),
                                  yaxis=dict(title=dict(text="count"))))


# ----------------------------------------------------------------------------- drawing
def drawing_to_csv(editor: Any) -> str:
    """The dark strokes of a sketch -> a CSV of up to 3,000 points (y up), for the same loader as uploads."""
    img = editor.get("composite") if isinstance(editor, dict) else editor
    if img is None:
        raise DataError("Draw some points first.")
    a = np.asarray(img)
    if a.ndim == 3 and a.shape[2] == 4:
        ink = a[..., 3] > 0                                   # any opaque stroke
        if ink.all():                                         # an opaque white background: use darkness
            ink = a[..., :3].mean(2) < 128
    else:
        ink = (a if a.ndim == 2 else a[..., :3].mean(2)) < 128
    ys, xs = np.nonzero(ink)
    if len(xs) < 10:
        raise DataError("The drawing has too few marks: draw at least a few strokes.")
    rng = np.random.default_rng(0)
    idx = rng.choice(len(xs), size=min(3000, len(xs)), replace=False)
    pts = np.stack([xs[idx], -ys[idx]], 1).astype(np.float64) + rng.uniform(-0.5, 0.5, (len(idx), 2))
    path = Path(tempfile.mkdtemp(prefix="gan-draw-")) / "drawing.csv"
    path.write_text("x,y\n" + "\n".join(f"{x:.2f},{y:.2f}" for x, y in pts))
    return str(path)


def build() -> Panel:
    panel = Panel("gan", Config, datasets=DATASETS, equation=EQUATION, load_data=load_data, upload_choice=UPLOAD,
                  upload_types=[".csv", ".zip", ".npz"], presets=PRESETS, default_steps=2000, view_state=View,
                  curve_groups=[["d_loss", "g_loss"], ["wasserstein", "gp"], ["d_acc"], ["grad_norm_d", "grad_norm_g"]],
                  curve_titles=["D and G losses", "Wasserstein estimate and GP", "D accuracy", "gradient norms"],
                  equation_for=(equation_for, ["objective"]))
    with panel.layout(curves="bottom"):
        with gr.Row():
            with gr.Column(scale=3):
                lab = LivePlot(label="GAN lab: D's heatmap, real and generated points, G's gradient")
                grid = gr.Image(label="G(z) from the same fixed noise every frame", interactive=False,
                                format="png", visible=False)
            with gr.Column(scale=2):
                readout = gr.Markdown("### Modes covered: press **Train**", elem_classes=["pg-gan-readout"])
                scores = LivePlot(label="Histogram of D's scores")
    with panel.left:
        with gr.Accordion("Draw your own points", open=False):
            sketch = gr.Sketchpad(label="Draw a shape (dark strokes)", canvas_size=(400, 400), type="numpy",
                                  layers=False)
            use_drawing = gr.Button("Use my drawing as the data")
    quality.section(panel)          # FID, KID, precision & recall of model.sample(n) (issue 14)
    panel.wire(dict(lab=lab, readout=readout, grid=grid, scores=scores), render)

    def use(editor):
        try:
            path = drawing_to_csv(editor)
            load_data(UPLOAD, path)                           # validate now: a clear message, not at Train
        except (ValueError, DataError) as e:
            raise gr.Error(str(e)) from None
        return gr.update(value=UPLOAD), gr.update(value=path, visible=True)

    use_drawing.click(use, sketch, [panel.data, panel.upload], api_name="gan_use_drawing")
    # picking an objective brings its paper's settings into the form. `input`, not `change`: a preset or an
    # imported run sets the objective too, with settings of its own that must stay as they are
    panel.form["objective"].input(objective_settings, panel.form["objective"],
                                  [panel.form[k] for k in PAPER_FIELDS], api_visibility="private",
                                  show_progress="hidden")
    return panel
