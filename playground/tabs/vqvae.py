"""The VQ-VAE tab: a codebook you can see, steer and sample from (VQ-VAE and two-level VQ-VAE-2)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import torch

from trainers.base import global_rng
from trainers.vqvae_codebook import edit_code_map
from trainers.loop import Run
from trainers.vqvae_prior import PriorConfig, code_sequences
from trainers.vqvae import Config

from .. import figures, quality, ranges, session
from ..panel import LivePlot, Panel, as_update
from ..session import Session
from . import vqvae_views as views

TITLE = "VQ-VAE"
N_PRIOR_IMAGES = 4000      # training images whose code maps the prior learns (all of digits)
HEAVY_EVERY = 3.0          # seconds between live refreshes of the costly views (plots, experiments)

EQUATION = r"""
### What it trains (van den Oord et al. 2017, §3.1–3.2 and App. A.1: eq. 11 here is their eq. 2, eq. 12 their eq. 3, eq. 13 their EMA update)
$$z_q(x)=e_k,\quad k=\arg\min_i\ \|z_e(x)-e_i\|_2\qquad(11)$$
$$L=\underbrace{\tfrac{1}{CHW}\|x-D(e_k)\|^2}_{\text{recon}}+\underbrace{\tfrac{1}{hwD}\|\mathrm{sg}[z_e]-e_k\|^2}_{\text{VQ}}
+\beta\,\underbrace{\tfrac{1}{hwD}\|z_e-\mathrm{sg}[e_k]\|^2}_{\text{commit}}\qquad(12)$$
Each term is a **mean over its elements** (averaged over the batch too): the image's $C\cdot H\cdot W$ pixels,
the code grid's $h\cdot w$ cells times $D$ dimensions, as in the reference implementations whose
$\beta=0.25$ we keep. The paper writes plain squared norms; with $D=16$ on 8×8 digits ($4\cdot4\cdot16=256$ code
numbers for 64 pixels) those would weigh the VQ and commitment terms 4× more than here (on MNIST and sprites
the two counts match).
$$N_i\leftarrow\gamma N_i+(1-\gamma)n_i,\ \ m_i\leftarrow\gamma m_i+(1-\gamma)\textstyle\sum_j z_{i,j},
\ \ e_i=m_i/N_i\qquad(13)$$
Perplexity $=\exp(-\sum_k p_k\log p_k)$ of code use: $K$ if all codes are used equally, 1 if one code does it all.
"""

PRESETS = {   # notes measured on seeded runs at the tab's 2000 steps (tests/test_app_vqvae.py checks them)
    "Codebook collapse (no restarts)": (
        "digits", dict(num_codes=256, update="loss", restart=False),
        "with the loss update and no restarts the codebook collapses at once: for the first ~150 steps one "
        "or two codes do all the work (perplexity ≈ 1–3, over 250 of the 256 codes dead). Codes come back "
        "only slowly, as the encoder outputs drift onto them: about 225 are still dead at step 500 (perplexity "
        "≈ 25) and about 145 at step 2000 (perplexity ≈ 100), where the EMA preset has none dead. Tick "
        "'dead-code restart' and press Train again: the dead codes jump onto encoder outputs at once, and "
        "a few dozen steps later over 200 codes are in use (batch perplexity ≈ 170 after ticking it at step "
        "120, ≈ 220 at step 2000)."),
    "EMA codebook with restarts": (
        "digits", dict(num_codes=256, update="ema", restart=True),
        "the EMA update (eq. 13) with restarts: no dead codes after ~100 steps, and the epoch perplexity "
        "climbs to ≈ 165 of K = 256 by step 200 and ≈ 210 by step 2000, against ≈ 100 for the collapse preset."),
    "VQ-VAE-2 on sprites": (
        "sprites", dict(two_level=True, num_codes=64),
        "two levels, but in 'VQ-VAE-2 levels' the bottom codes turn out to carry nearly everything: zero them "
        "and the frame goes dark, redraw them and only scattered specks are left (error ≈ 0.049 per pixel, "
        "worse than drawing the average sprite, 0.043), while zeroing or redrawing the top codes leaves the "
        "sprite in place, only a little softer (error 0.002 → 0.005 at step 1000, its centre moves by half a "
        "pixel). The 8×8 bottom grid sees the image itself, so this small model has no need to route the shape "
        "through the 4×4 top grid."
        " ⏱ A whole press (2,000 steps) takes about 5 minutes of one CPU core (bench/presets.py); "
        "the numbers above are at step 1000, after about 2½ minutes."),
    "Prior: transformer vs gated PixelCNN": (
        "digits", dict(num_codes=32),
        "press ▶ Train (300 steps), then in **Sample (prior)** press **Train prior** (transformer, 200 steps), "
        "choose **gated PixelCNN** and press it again: both loss curves share one chart, in nats per code. After "
        "200 steps the transformer is at ≈ 1.85 and the PixelCNN at ≈ 1.98, both far below the 3.04 nats of "
        "drawing each cell from the code histogram alone (the samples 'Without a prior') and the 3.47 of uniform "
        "codes: what they learn is each cell's context. A PixelCNN step costs ≈ 1.5× a transformer step here."
        " About 40–45 s of one core in all (VQ-VAE ≈ 11 s, transformer ≈ 13 s, "
        "PixelCNN ≈ 17–21 s, CPU time measured on a busy 2-core box)."),
}
# presets that also set the controls outside the settings form: Train steps, prior steps, prior
PRESET_CONTROLS = {"Prior: transformer vs gated PixelCNN": (300, 200, "transformer")}


def _x(run: Run) -> torch.Tensor:
    return run.data.x_test[:views.N_TEST]


@dataclass
class View:
    edit: tuple[int, int, int, int] = (0, 0, 0, 0)   # test image, row, column, new code of the edited cell
    top_n: int | None = None                        # keep the N most used codes (None: all)
    off: list[int] = field(default_factory=list)    # codes switched off
    prior_kind: str = "transformer"                 # the prior the "Sample (prior)" views show
    sent: dict[str, Any] = field(default_factory=dict)     # what each view showed last (see _changed)
    stamps: dict[str, tuple] = field(default_factory=dict)  # when each costly view was last computed


def _edit(view: View, n: int) -> tuple[int, int, int, int]:
    i, row, col, code = view.edit
    return views.clip(i, 0, n - 1), row, col, code


def _changed(view: View, key: str, token: Any) -> bool:
    """Whether a view's ``token`` changed since it was last sent: render leaves the others out, so the
    browser redraws only what changed (plots and formulas are costly to redraw a few times a second)."""
    if key in view.sent and view.sent[key] == token:
        return False
    view.sent[key] = token
    return True


def _heavy(run: Run, view: View, key: str, settings: Any) -> bool:
    """Whether a costly view is due: when its settings change, else at most every HEAVY_EVERY seconds."""
    old = view.stamps.get(key)
    now = time.perf_counter()
    if old is None or old[0] != settings or (old[1] != run.step and now - old[2] > HEAVY_EVERY):
        view.stamps[key] = old = (settings, run.step, now)
    return _changed(view, key, old)


def render(run: Run, view: View) -> dict[str, Any]:
    """Every live view that changed, from the current model."""
    out: dict[str, Any] = {}
    with run.evaluating() as m:
        x = _x(run)
        K = m.cfg.num_codes
        i, row, col, code = _edit(view, x.shape[0])
        xs = torch.cat([x[:16], x[i:i + 1]])
        codes = m.codes(xs)
        recon = m.decode_codes({lv: c[:16] for lv, c in codes.items()})
        n = K if view.top_n is None else view.top_n
        off = [k for k in view.off if k < K]
        token = (i, row, col, code, tuple(codes["bottom"][16].flatten().tolist()),
                 tuple(codes["top"][16].flatten().tolist()) if "top" in codes else None)
        out["recon"] = figures.grid(torch.cat([x[:8], recon[:8], x[8:16], recon[8:16]]), nrow=8)
        if _heavy(run, view, "usage", None):
            out["usage"] = views.usage_fig(m)
        if _heavy(run, view, "proj", None):
            out["projection"] = views.projection_fig(m, x[:64])
        if _changed(view, "eq", (m.cfg.update, m.cfg.restart, m.cfg.dead_after)):
            out["equation"] = views.equation(m)
        if _changed(view, "codemap", token):
            out["codemap"] = views.codemap_fig(codes, 16, row, col, title_index=i)
        if _heavy(run, view, "edit", token):
            out["edit"] = views.edit_view(m, xs, codes, 16, row, col, code)
        if _heavy(run, view, "topn", n):
            out["topn_img"], out["topn_fig"] = views.topn_views(m, x, n)
        if _heavy(run, view, "off", tuple(off)):
            out["off_img"], out["off_note"] = views.off_views(m, x[:128], off)
        if _heavy(run, view, "levels", None):
            out["levels"] = views.levels_view(m, x, codes)
        if _heavy(run, view, "noprior", None):
            out["no_prior"] = views.no_prior_samples(m)
        # the priors travel with the run (run.extras, exported and imported with it): shown once trained
        kind, prior = views.shown_prior(run.extras, view.prior_kind)
        if prior is not None and _changed(view, "prior", views.prior_token(kind, prior, m)):
            out["prior_status"] = views.prior_message(prior, kind, m)
            out["prior_curve"] = views.prior_curves(run.extras, kind)
            out["prior_img"] = figures.grid(prior.sample_images(m, 32, generator=torch.Generator().manual_seed(0)),
                                            nrow=8)
    return out


def build() -> Panel:
    panel = Panel("vqvae", Config, datasets=["digits", "sprites", "mnist", "fashion-mnist"], equation=EQUATION,
                  curve_groups=[["total", "recon"], ["vq", "commit"],
                                ["perplexity", "perplexity_epoch", "perplexity_top", "perplexity_epoch_top"],
                                ["dead_codes", "dead_codes_top"]],
                  curve_titles=["total and reconstruction", "VQ and commitment (β·)", "perplexity: batch, epoch",
                                "dead codes"], presets=PRESETS, default_steps=2000, view_state=View)
    with panel.layout():
        with gr.Row():
            recon = gr.Image(label="Test inputs (rows 1, 3), reconstructions (2, 4)",
                             interactive=False, format="png")
            usage = LivePlot(label="Code usage")
        with gr.Row():
            proj = LivePlot(label="Codebook and encoder outputs")
            eq = gr.Markdown(latex_delimiters=[{"left": "$$", "right": "$$", "display": True},
                                               {"left": "$", "right": "$", "display": False}])
        with gr.Tabs():
            with gr.Tab("Code map & edit a cell"):
                with gr.Row():
                    img_idx = gr.Slider(0, views.N_TEST - 1, value=0, step=1, label="Test image #")
                    row = gr.Number(0, precision=0, label="row")
                    col = gr.Number(0, precision=0, label="column")
                    code = gr.Number(0, precision=0, label="new code k")
                    edit_btn = gr.Button("Decode with this code", variant="secondary")
                with gr.Row():
                    codemap = LivePlot(label="Map of code indices")
                    edit_img = gr.Image(label="Input · recon · edited · |change| ×3",
                                        interactive=False, format="png")
            with gr.Tab("Keep the N most used codes"):
                top_n = gr.Slider(1, 1024, value=1024, step=1, label="Keep the N most used codes (of K)")
                with gr.Row():
                    topn_img = gr.Image(label="Inputs · all codes · only the N most used", interactive=False,
                                        format="png")
                    topn_fig = LivePlot(label="Error as N shrinks")
            with gr.Tab("Switch codes off"):
                off = gr.Textbox(label="Codes to switch off (e.g. 3, 17, 20), then Enter", value="")
                off_md = gr.Markdown()
                off_img = gr.Image(label="The 8 images that suffer most: inputs · before · with the codes off",
                                   interactive=False, format="png")
            with gr.Tab("VQ-VAE-2 levels"):
                gr.Markdown("Tick **two levels (VQ-VAE-2)** and train. Rows: inputs · both levels · "
                            "top zeroed · top redrawn at random · bottom zeroed · bottom redrawn at random. "
                            "What breaks when a level is gone is what that level carries.")
                levels_img = gr.Image(label="What each level carries", interactive=False, format="png")
            with gr.Tab("Sample (prior)"):
                gr.Markdown("A prior learns p(k₁…k_T) = Π p(k_t | k_<t) over the code maps of the training "
                            "images (raster order; VQ-VAE-2: top map first). Two to choose from: a tiny causal "
                            "**transformer**, or the papers' **gated PixelCNN** (vertical and horizontal stacks "
                            "of masked convolutions, type A then B, each layer gated: y = tanh(W_f ∗ x) ⊙ σ(W_g ∗ x); "
                            "for VQ-VAE-2 one per level, the bottom one conditioned on the top map). Train both and compare their loss curves (same units) "
                            "and samples. Sampling a map cell by cell and decoding it gives new images. Right: "
                            "cells drawn independently, for comparison.")
                with gr.Row():
                    p_steps = gr.Slider(10, 3000, value=200, step=10, label="prior steps per press")
                    p_temp = gr.Slider(0.1, 2.0, value=1.0, step=0.05, label="temperature")
                    p_kind = gr.Radio(list(views.PRIOR_KINDS), value="transformer", label="prior")
                    p_train = gr.Button("Train prior", variant="primary")
                    p_sample = gr.Button("Sample again")
                p_status = gr.Markdown("Train the VQ-VAE, then press **Train prior**.")
                with gr.Row():
                    p_curve = LivePlot(label="Prior loss")
                    p_img = gr.Image(label="Samples from the prior", interactive=False, format="png")
                    noprior = gr.Image(label="Without a prior (independent cells)", interactive=False,
                                       format="png")
    quality.section(panel)          # FID, KID, precision & recall of model.sample(n) (issue 14)
    panel.wire(dict(recon=recon, usage=usage, projection=proj, equation=eq, codemap=codemap, edit=edit_img,
                    topn_img=topn_img, topn_fig=topn_fig, off_img=off_img, off_note=off_md, levels=levels_img,
                    no_prior=noprior, prior_status=p_status, prior_curve=p_curve, prior_img=p_img), render)

    def set_image(run: Run, view: View, i):
        view.edit = (int(i),) + view.edit[1:]
        return render(run, view)

    def set_edit(run: Run, view: View, i, r, c, k):
        with run.evaluating() as m:
            grid = m.codes(_x(run)[:1])["bottom"][0]
            edit_code_map(grid, int(r or 0), int(c or 0), int(k or 0), m.cfg.num_codes)   # ValueError if outside
        view.edit = (int(i), int(r or 0), int(c or 0), int(k or 0))
        return render(run, view)

    def set_top_n(run: Run, view: View, n):
        view.top_n = int(n)
        return render(run, view)

    def set_off(run: Run, view: View, text):
        view.off = views.parse_codes(text, run.cfg.num_codes)
        return render(run, view)

    cell = dict(codemap=codemap, edit=edit_img)         # each control changes (and can fail on) its own views
    panel.on(img_idx.release, set_image, [img_idx], outputs=cell, api_name="vqvae_image", show_progress="hidden")
    panel.on(edit_btn.click, set_edit, [img_idx, row, col, code], outputs=cell, api_name="vqvae_edit")
    panel.on(top_n.release, set_top_n, [top_n], outputs=dict(topn_img=topn_img, topn_fig=topn_fig),
             api_name="vqvae_top_n", show_progress="hidden")
    panel.on(off.submit, set_off, [off], outputs=dict(off_img=off_img, off_note=off_md), api_name="vqvae_codes_off")
    ranges.wire(panel, dict(top_n=top_n, img_idx=img_idx),
                lambda run: dict(top_n=(1, run.cfg.num_codes), img_idx=ranges.image_index(run, views.N_TEST)))

    def train_prior(s: Session | None, steps, temperature, kind="transformer"):
        if s is None or s.run is None or s.run.model is None:
            raise gr.Error("Train a VQ-VAE first (press ▶ Train): the prior learns the code maps of a trained VQ-VAE.")
        run = s.run
        try:
            attr, cls = views.prior_kind(kind)                   # ValueError naming the field if unknown
            cfg = PriorConfig(steps=int(steps), temperature=float(temperature))
            with run.evaluating() as model:
                seqs = code_sequences(model, run.data.x[:N_PRIOR_IMAGES])   # ValueError if not trained yet
                prior = run.extras.get(attr)
                if prior is None or prior.K != model.cfg.num_codes or prior.levels != model.levels:
                    with global_rng(cfg.seed):          # the same first weights every time (and no one else's RNG)
                        prior = cls(cfg, model)
                prior.cfg = cfg
            run.extras[attr] = prior          # part of the run: exported, imported, continued
        except ValueError as e:
            raise gr.Error(str(e)) from None
        s.view.prior_kind = kind
        token = s.begin()                     # Stop and Reset end it at its next step, like a Train press
        last = 0.0
        for step, loss in prior.fit(seqs, steps=cfg.steps, cancel=lambda: not s.live(token)):
            if time.perf_counter() - last > 0.7:
                last = time.perf_counter()
                yield {p_status: as_update(f"training the prior… step {step:,}, loss {loss:.3f} nats/code"),
                       p_curve: as_update(views.prior_curves(run.extras, kind), p_curve)}
        with run.lock:
            prior.vq_steps = int(run.model.steps_done)
        if s.live(token):
            s.press = None
        yield sample(s, temperature, kind)

    def sample(s: Session | None, temperature, kind="transformer"):
        try:
            attr, _ = views.prior_kind(kind)
        except ValueError as e:
            raise gr.Error(str(e)) from None
        prior = None if s is None or s.run is None or s.run.model is None else s.run.extras.get(attr)
        if prior is None or not prior.losses:
            raise gr.Error("Train the prior first: press Train prior (after training the VQ-VAE).")
        run = s.run
        s.view.prior_kind = kind
        try:
            with run.evaluating() as m:
                imgs = prior.sample_images(m, 32, float(temperature))
                msg = views.prior_message(prior, kind, m)
                s.view.sent["prior"] = views.prior_token(kind, prior, m)   # live redraws keep these samples
        except ValueError as e:
            raise gr.Error(str(e)) from None
        return {p_status: as_update(msg), p_curve: as_update(views.prior_curves(run.extras, kind), p_curve),
                p_img: as_update(figures.grid(imgs, nrow=8))}

    def preset_controls(name):
        if name not in PRESETS:
            return gr.skip(), gr.skip(), gr.skip()
        steps, p, kind = PRESET_CONTROLS.get(name, (panel.default_steps, 200, "transformer"))
        return gr.update(value=steps), gr.update(value=p), gr.update(value=kind)

    panel.preset.change(preset_controls, panel.preset, [panel.steps, p_steps, p_kind], api_visibility="private",
                        show_progress="hidden")
    p_train.click(train_prior, [panel.state, p_steps, p_temp, p_kind], [p_status, p_curve, p_img], api_name="vqvae_prior",
                  concurrency_limit=session.TRAIN_SLOTS, concurrency_id="train")
    p_sample.click(sample, [panel.state, p_temp, p_kind], [p_status, p_curve, p_img], api_name="vqvae_prior_sample")
    return panel
