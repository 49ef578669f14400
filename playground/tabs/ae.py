"""The Autoencoders tab: plain, denoising, sparse and contractive AEs, trained live, plus why the VAE was
needed (holes), anomaly detection and code sensitivity."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import numpy as np
import torch

from trainers import ae_probes as V
from trainers.ae import Config, corrupt
from trainers.loop import Run

from .. import figures, latent, quality, ranges, session
from ..latent import N_POINTS, test_subset
from ..panel import LivePlot, Panel

TITLE = "Autoencoders"
WHAT = "codes h(x)"                       # the points of the latent scatter
EPS = np.geomspace(0.02, 2.0, 9)          # perturbation sizes ‖δx‖ of the sensitivity view
AE_C, VAE_C = figures.PALETTE[0], figures.PALETTE[1]

for k, v in {"sparsity": "sparsity penalty", "contractive": "λ‖J‖²", "jacobian_fro": "‖J‖_F",
             "frac_zero": "fraction of zeros"}.items():
    figures.PRETTY.setdefault(k, v)       # additive: names for the curve legends

EQUATION = r"""
Encoder $g_\phi$, decoder $f_\theta$ (Hinton & Salakhutdinov 2006; the variants: Goodfellow, Bengio & Courville 2016, *Deep Learning* ch. 14; eq. 1–4 are this tab's numbering): $\mathbf{h}=g_\phi(\mathbf{x})$,
$\mathbf{x}'=f_\theta(\mathbf{h})$; every variant minimises the squared reconstruction error, averaged over images
$$L_{AE}=\frac1n\sum_{i=1}^n\big\|\mathbf{x}^{(i)}-f_\theta(g_\phi(\mathbf{x}^{(i)}))\big\|^2\quad(1)$$
"""

# which settings each variant uses: the others are hidden from the form
USES = {"noise": ("denoising",), "noise_level": ("denoising",), "sparsity": ("sparse",), "rho": ("kl",),
        "beta": ("kl",), "l1": ("l1",), "k": ("k-sparse",), "lam": ("contractive",)}

EQUATIONS = {
    "plain": r"$$L=\|\mathbf{x}-f(g(\mathbf{x}))\|^2\quad(1)$$ A deterministic code: nothing asks the codes "
             "to fill the space, so decoding a random code can land in a hole.",
    "denoising": r"$$L=\|\mathbf{x}-f(g(\tilde{\mathbf{x}}))\|^2,\quad \tilde{\mathbf{x}}\sim"
                 r"\text{corrupt}(\mathbf{x})\quad(2)$$ The encoder sees a damaged input, the loss compares with "
                 "the clean one: it must learn how pixels depend on each other.",
    "kl": r"$$L=\|\mathbf{x}-\mathbf{x}'\|^2+\beta\sum_{j}D_{KL}(\rho\,\|\,\hat\rho_j),\quad "
          r"\hat\rho_j=\tfrac1B\textstyle\sum_b h_j(\mathbf{x}_b)\quad(3)$$"
          r"$$D_{KL}(\rho\|\hat\rho)=\rho\log\tfrac{\rho}{\hat\rho}+(1-\rho)\log\tfrac{1-\rho}{1-\hat\rho}$$"
          "Sigmoid code units; each should be on only a fraction ρ of the time.",
    "l1": r"$$L=\|\mathbf{x}-\mathbf{x}'\|^2+w\sum_j|h_j|$$ ReLU code units: the L1 pull makes exact zeros.",
    "k-sparse": r"$$\mathbf{h}'=\text{Sparsify}_k(g(\mathbf{x})),\qquad L=\|\mathbf{x}-f(\mathbf{h}')\|^2$$"
                "Keep the k largest code units, zero the rest; the gradient flows only through the k kept.",
    "contractive": r"$$L=\|\mathbf{x}-\mathbf{x}'\|^2+\lambda\|J_g(\mathbf{x})\|_F^2,\quad "
                   r"\|J_g(\mathbf{x})\|_F^2=\sum_{ij}\Big(\frac{\partial h_j(\mathbf{x})}{\partial x_i}\Big)^2"
                   r"\quad(4)$$ Sigmoid code units; the code should barely move when x moves off the data.",
}

PRESETS = {   # notes measured on seeded runs at the tab's 3000 steps (tests/test_app_ae.py checks them)
    "Denoising: masking noise": (
        "digits", dict(variant="denoising", noise="masking", noise_level=0.4),
        "the top rows are the damaged inputs (40% of the pixels set to 0), the middle rows what the AE makes of "
        "them: the missing strokes come back because the AE learnt how pixels go together. The squared error "
        "to the clean digit falls from ≈ 5.9 for the masked input to ≈ 2.6 after 100 steps and ≈ 1.2 after "
        "3000 (a clean input reconstructs to ≈ 0.8)."),
    "Sparse code (KL, ρ = 0.05)": (
        "digits", dict(variant="sparse", sparsity="kl", rho=0.05, beta=1.0, latent_dim=64),
        "open 'Sparsity': within ~100 steps the bars ρ̂ⱼ settle on the dashed line ρ = 0.05 (every one within "
        "±0.025 of it from then on), and the histogram piles up near 0: about two thirds of the activations "
        "are below 0.05. Few are exactly 0, though (under 10% below 0.01 at step 3000): a sigmoid unit is "
        "quiet, not off; for exact zeros try the L1 or k-sparse penalty."),
    "k-sparse (k = 4 of 64)": (
        "digits", dict(variant="sparse", sparsity="k-sparse", k=4, latent_dim=64),
        "exactly 4 units are on per image: the fraction of zeros is 60/64 ≈ 0.94 from the first step."),
    "Contractive vs plain": (
        "digits", dict(variant="contractive", lam=0.1),
        "train, then open 'Contraction' and press the button: the λ = 0 twin's code moves more for the same "
        "nudge of the input, at every ε: ≈ 1.3× as far at step 300, ≈ 2× at step 3000."),
    "Holes: why the VAE": (
        "digits", dict(variant="plain", latent_dim=16),
        "train, then open 'Why VAE' and press the button: random codes decode to smudges for the AE, to "
        "digit-like images for the VAE. The note under the images measures it: at step 3000 the AE's random "
        "decodes lie ≈ 0.19 (RMS per pixel) from the nearest training image, as far as the average digit does, "
        "the VAE's ≈ 0.16 after its 1500 steps (a real test digit: ≈ 0.13)."),
}


def equation_for(variant: str, sparsity: str) -> str:
    key = sparsity if variant == "sparse" else variant
    name = f"{variant} ({sparsity})" if variant == "sparse" else variant
    return f"### The loss of this variant: {name}\n{EQUATIONS.get(key, '')}"


def form_visibility(variant: str, sparsity: str) -> list[Any]:
    """Show only the settings the chosen variant uses (in the order of USES)."""
    on = {variant, sparsity if variant == "sparse" else variant}
    return [gr.update(visible=bool(on & set(v))) for v in USES.values()]


# ----------------------------------------------------------------------------- live views
@dataclass
class View:
    pair: tuple[int, int] = (0, 1)        # the two test images of the "holes" line
    vae: Run | None = None                # a VAE trained beside this AE ("Why VAE")
    twin: Run | None = None               # the same AE with λ = 0 (contraction)
    twin_sens: np.ndarray | None = None   # its sensitivity curve, computed once
    latent: latent.LatentView = field(default_factory=latent.LatentView)


def render(run: Run, view: View) -> dict[str, Any]:
    """Every live view: reconstructions, the latent scatter, the sparse views, sensitivity, holes."""
    cfg = run.cfg
    with run.evaluating() as m:
        x, y = test_subset(run)
        h = m.encode(x)                                              # (N, d)
        if cfg.variant == "denoising":
            g = torch.Generator().manual_seed(cfg.seed)
            noisy = corrupt(x[:8], cfg.noise, cfg.noise_level, g)
            recon_img = figures.grid(torch.cat([noisy, m.reconstruct(noisy), x[:8]]), nrow=8)
        else:
            r = m.decode(h[:16])
            recon_img = figures.grid(torch.cat([x[:8], r[:8], x[8:16], r[8:16]]), nrow=8)
        sens = _sensitivity(m, x[:200])
        holes, holes_note = _holes(run, view, m, x)
    hist, rho_fig = _sparse_figs(run, h)
    return {"recon": recon_img, "latent": latent.scatter(run, latent.chosen(view), h, y, WHAT), "activations": hist,
            "rho": rho_fig, "sensitivity": _sensitivity_fig(run, view, sens), "holes": holes,
            "holes_note": holes_note}


def pick(views: dict[str, Any], *names: str) -> dict[str, Any]:
    """Only the named views: a control's handler touches only what it changes (a bad value there must not
    blank the others)."""
    return {k: views[k] for k in names}


def _sparse_figs(run: Run, h: torch.Tensor):
    cfg = run.cfg
    v = h.detach().float().cpu().numpy()
    frac_zero = float((np.abs(v) < 1e-2).mean())
    counts, edges = np.histogram(v.ravel(), bins=50)
    hist = figures.fig([dict(type="bar", x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges),
                             marker=dict(color=AE_C))],
                       dict(height=330, hovermode="closest", bargap=0,
                            title=dict(text=f"Code activations · {100 * frac_zero:.0f}% zero (|h| < 0.01)"),
                            xaxis=dict(title=dict(text="activation")), yaxis=dict(title=dict(text="count"))))
    rho_hat = v.mean(0)
    shapes, title = [], "Mean activation ρ̂ⱼ per unit"
    if cfg.variant == "sparse" and cfg.sparsity == "kl":
        shapes = [dict(type="line", xref="paper", x0=0, x1=1, y0=cfg.rho, y1=cfg.rho,
                       line=dict(dash="dash", color=VAE_C, width=2))]
        title += f" · dashed: target ρ = {cfg.rho:g}"
    elif cfg.variant == "sparse" and cfg.sparsity == "k-sparse":
        title += f" · k = {cfg.k} of {len(rho_hat)} on"
    rho_fig = figures.fig([dict(type="bar", x=np.arange(len(rho_hat)), y=rho_hat, marker=dict(color=AE_C))],
                          dict(height=330, hovermode="closest", shapes=shapes, title=dict(text=title),
                               xaxis=dict(title=dict(text="code unit j"), dtick=1 if len(rho_hat) <= 32 else None),
                               yaxis=dict(title=dict(text="ρ̂ⱼ"))))
    return hist, rho_fig


def _sensitivity(m, x: torch.Tensor) -> np.ndarray:
    """Median code movement per ε, relative to the typical distance between two images' codes."""
    return V.sensitivity_curve(m, x, EPS.tolist())


def _sensitivity_fig(run: Run, view: View, sens: np.ndarray):
    label = f"this model ({run.cfg.variant}" + (f", λ = {run.cfg.lam:g})" if run.cfg.variant == "contractive" else ")")
    traces = [dict(type="scatter", x=EPS, y=sens, mode="lines+markers", name=label, line=dict(color=AE_C, width=3))]
    twin = view.twin
    if twin is not None:
        if view.twin_sens is None:          # the twin no longer trains: compute its curve once
            with twin.evaluating() as tm:
                view.twin_sens = _sensitivity(tm, test_subset(twin)[0][:200])
        ts = view.twin_sens
        traces.append(dict(type="scatter", x=EPS, y=ts, mode="lines+markers", line=dict(color=VAE_C, width=3),
                           name=f"same AE with λ = 0 ({twin.step} steps)"))
    return figures.fig(traces, dict(
        height=380, hovermode="closest", legend=dict(orientation="h", y=-0.25),
        title=dict(text="Nudge each test image by a random δx of size ε: how far does its code move?"),
        xaxis=dict(type="log", title=dict(text="ε = ‖δx‖ (pixels)")),
        yaxis=dict(title=dict(text="median ‖Δh‖ ÷ typical code distance"))))


def _pair(view: View, n: int) -> tuple[int, int]:
    a, b = view.pair
    return min(int(a), n - 1), min(int(b), n - 1)


def _holes(run: Run, view: View, m, x: torch.Tensor) -> tuple[Any, str]:
    """Straight line between two codes and random codes, AE (and the VAE, once trained) side by side."""
    a, b = _pair(view, x.shape[0])
    rows = [V.decode_line(m, x[a], x[b], 10), V.random_decodes(m, 10, seed=run.cfg.seed)]
    far = [V.nearest_distance(rows[1], run.data.x[:2000]).mean()]
    vae = view.vae
    if vae is not None:
        with vae.evaluating() as vm:
            xv = vae.data.x_test[:x.shape[0]]
            rows[1:1] = [V.decode_line(vm, xv[a], xv[b], 10)]
            rows.append(V.random_decodes(vm, 10, seed=run.cfg.seed))
        far.append(V.nearest_distance(rows[3], run.data.x[:2000]).mean())
    img = figures.grid(torch.cat(rows), nrow=10)
    note = (f"**Random codes, distance to the nearest training image** (RMS per pixel, lower = looks like data): "
            f"AE **{float(far[0]):.3f}**")
    if vae is not None:
        note += f" · VAE **{float(far[1]):.3f}** (VAE trained {vae.step} steps)"
    else:
        note += " · press the button to train a VAE next to it."
    return img, note


# ----------------------------------------------------------------------------- on-demand views
def _companion(family: str, cfg: Any, data: Any, steps: int, device: Any) -> Run:
    """A side training: in a training slot, within one press's time limit, ended by Stop or Reset."""
    return V.train_companion(family, cfg, data, steps, device=device, seconds=session.MAX_SECONDS,
                             cancel=session.should_stop)


def _train_twin(run: Run, kind: str, steps: float) -> Run:
    steps = int(steps)
    if kind == "vae":
        return _companion("vae", V.vae_config_like(run.cfg), run.data, steps, run.device)
    if run.cfg.variant != "contractive":
        raise ValueError("The λ = 0 comparison is for the contractive AE: set variant = contractive and train.")
    return _companion("ae", V.zero_penalty_like(run.cfg), run.data, steps, run.device)


def anomaly(run: Run, view: View, held: list[str] | None, steps: float) -> dict[str, Any]:
    """Train the same AE on every class but the held-out ones; score by reconstruction error."""
    if not held:
        raise ValueError("Pick at least one class to hold out as the anomalies.")
    normal, x_normal, x_anom = V.split_classes(run.data, [int(c) for c in held])
    side = _companion("ae", run.cfg, normal, int(steps), run.device)
    with side.evaluating() as m:
        rep = V.anomaly_report(m, x_normal, x_anom)
    names = ", ".join(run.data.classes[int(c)] for c in held)
    hi = float(np.quantile(np.r_[rep["normal"], rep["anomalous"]], 0.99))
    traces = [dict(type="histogram", x=rep[k], name=n, opacity=0.6, histnorm="probability density",
                   xbins=dict(start=0, end=hi, size=hi / 40), marker=dict(color=c))
              for k, n, c in (("normal", "normal test images (trained classes)", AE_C),
                              ("anomalous", f"held-out class {names}", VAE_C))]
    fig = figures.fig(traces, dict(height=400, barmode="overlay", hovermode="closest",
                                   title=dict(text=f"Reconstruction error ‖x − x'‖² · ROC AUC = {rep['auc']:.3f}"),
                                   xaxis=dict(title=dict(text="anomaly score"), range=[0, hi]),
                                   yaxis=dict(title=dict(text="density")), legend=dict(orientation="h", y=-0.2)))
    note = (f"### ROC AUC = {rep['auc']:.3f}\nAn AE trained {steps:.0f} steps on the other classes "
            f"({len(normal)} images) reconstructs the held-out class ({names}) worse: "
            f"median error {np.median(rep['anomalous']):.2f} vs {np.median(rep['normal']):.2f}. "
            "0.5 = chance, 1 = every anomaly scores above every normal image.")
    return {"figure": fig, "note": note}


def build() -> Panel:
    panel = Panel("ae", Config, datasets=["digits", "sprites", "mnist", "fashion-mnist"], equation=EQUATION,
                  curve_groups=[["total", "recon"], ["sparsity", "contractive", "jacobian_fro", "frac_zero"]],
                  curve_titles=["total and reconstruction", "the variant's penalty and its diagnostics"],
                  presets=PRESETS, default_steps=3000, view_state=View,
                  equation_for=(equation_for, ["variant", "sparsity"]))
    with panel.layout():
        with gr.Row():
            recon = gr.Image(label="Input / output rows (DAE: noisy, output, clean)",
                             interactive=False, format="png", height=330)
            lat = latent.ScatterControls(panel)
        with gr.Tabs():
            with gr.Tab("Sparsity"):
                with gr.Row():
                    hist = LivePlot(label="Histogram of code activations")
                    rho_fig = LivePlot(label="Mean activation per unit")
            with gr.Tab("Contraction"):
                sens = LivePlot(label="Code sensitivity to small input perturbations")
                twin_btn = gr.Button("Train the same AE with λ = 0 for as many steps, and compare")
            with gr.Tab("Why VAE (holes)"):
                gr.Markdown("Rows: **AE** straight line from image a to b · **VAE** same line · **AE** random "
                            "codes · **VAE** random codes z ~ N(0, I). An AE's codes leave holes: points "
                            "between or away from training codes decode to nothing; a VAE's KL term pulls its codes onto N(0, I) (Kingma & Welling 2014, eq. 10).")
                with gr.Row():
                    ia = gr.Slider(0, N_POINTS - 1, value=0, step=1, label="From test image a")
                    ib = gr.Slider(0, N_POINTS - 1, value=1, step=1, label="To test image b")
                    vae_steps = gr.Slider(100, 20_000, value=1500, step=100, label="VAE training steps")
                vae_btn = gr.Button("Train a VAE with the same code size on the same data")
                holes = gr.Image(label="AE line · VAE line · AE random codes · VAE random codes",
                                 interactive=False, format="png", height=300)
                holes_note = gr.Markdown("")
            with gr.Tab("Anomaly detection"):
                with gr.Row():
                    held = gr.Dropdown([str(i) for i in range(10)], value=["0"], multiselect=True,
                                       label="Held-out class index(es): the anomalies")
                    an_steps = gr.Slider(50, 10_000, value=600, step=50, label="Training steps")
                an_btn = gr.Button("Train on the other classes and score by reconstruction error")
                an_note = gr.Markdown("")
                an_fig = LivePlot(label="Reconstruction errors: normal vs held-out")
    quality.section(panel)          # FID, KID, precision & recall of model.sample(n) (issue 14)
    panel.wire(dict(recon=recon, latent=lat.html, activations=hist, rho=rho_fig, sensitivity=sens, holes=holes,
                    holes_note=holes_note), render)

    vs = [panel.form["variant"], panel.form["sparsity"]]
    for comp in vs:
        comp.change(form_visibility, vs, [panel.form[n] for n in USES], api_visibility="private",
                    show_progress="hidden")
    default = Config()
    for comp, upd in zip([panel.form[n] for n in USES], form_visibility(default.variant, default.sparsity)):
        comp.visible = upd["visible"]          # the page opens with the default variant's settings only

    def set_pair(run: Run, view: View, a: float, b: float):
        view.pair = (int(a), int(b))
        return pick(render(run, view), "holes", "holes_note")

    def train_vae(run: Run, view: View, steps: float):
        view.vae = _train_twin(run, "vae", steps)
        return pick(render(run, view), "holes", "holes_note")

    def train_twin(run: Run, view: View):
        view.twin, view.twin_sens = _train_twin(run, "ae", min(max(1, run.step), 20_000)), None
        return pick(render(run, view), "sensitivity")

    for s in (ia, ib):
        panel.on(s.release, set_pair, [ia, ib], outputs=dict(holes=holes, holes_note=holes_note))
    lat.wire(panel, api_name="ae_tsne")
    ranges.wire(panel, dict(ia=ia, ib=ib), lambda run: dict.fromkeys(["ia", "ib"], ranges.image_index(run, N_POINTS)))
    panel.on(vae_btn.click, train_vae, [vae_steps], outputs=dict(holes=holes, holes_note=holes_note),
             api_name="ae_train_vae", train=True)
    panel.on(twin_btn.click, train_twin, outputs=dict(sensitivity=sens), api_name="ae_compare_plain", train=True)
    panel.on(an_btn.click, anomaly, [held, an_steps], outputs=dict(figure=an_fig, note=an_note), api_name="ae_anomaly",
             train=True)
    return panel
