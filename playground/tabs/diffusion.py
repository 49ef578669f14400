"""The diffusion tab: train a DDPM live, look at its schedules and forward process, and step through
its reverse process frame by frame (DDPM or DDIM, with classifier-free guidance); export it as a GIF."""
from __future__ import annotations

from typing import Any

import gradio as gr

from trainers.diffusion import Config, forward_process, to_unit
from trainers.diffusion_guidance import GUIDES
from trainers.diffusion_schedules import Schedule
from trainers.loop import Run

from .. import figures, player, quality, ranges
from ..panel import LivePlot, Panel
from . import diffusion_latent as latent
from . import diffusion_views as views
from .diffusion_reverse import (FIRST, LAST, View, _data_points, _fwd_t, _is_points, _rng, compare_guidance,
                                export_gif, frame_views, sample_frames, _frames)
from .diffusion_views import guidance_scan  # noqa: F401  (the tab's API: tests call it here)

TITLE = "Diffusion"
POINT_SETS = ["moons", "swiss roll", "ring of 8", "grid of 25", "checkerboard"]
N_POINTS, N_IMAGES = 400, 16
LIVE_STEPS = 20            # the live preview samples with 20 deterministic DDIM steps: cheap, and smooth over time

EQUATION = r"""
### What it trains (Ho et al. 2020, §2–3: eq. 9 here is their eq. 4, eq. 10 their eq. 14, eq. 11 their eq. 11 with Alg. 2)
$$q(x_t\mid x_0)=\mathcal{N}\big(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t)I\big),\quad
\bar\alpha_t=\prod_{s=1}^{t}(1-\beta_s)\qquad(9)$$
$$\mathcal{L}_{\text{simple}}=\mathbb{E}_{t,x_0,\epsilon}\big\|\epsilon-\epsilon_\theta\big(\sqrt{\bar\alpha_t}x_0
+\sqrt{1-\bar\alpha_t}\,\epsilon,\ t\big)\big\|^2\qquad(10)$$

Guidance: $\hat\epsilon=\epsilon_\theta(x_t,\varnothing)+w\,(\epsilon_\theta(x_t,y)-\epsilon_\theta(x_t,\varnothing))$;
the score is $\nabla\log q_t(x_t)\approx-\hat\epsilon/\sqrt{1-\bar\alpha_t}$.

**Classifier guidance** (Dhariwal & Nichol 2021, §4, Alg. 1 and 2): a classifier
$p_\phi(y\mid x_t,t)$ trained on noisy $x_t$ (eq. 9) steers each reverse step with $g=\nabla_{x_t}\log p_\phi(y\mid x_t,t)$:
$$\text{DDPM: } x_{t-1}\sim\mathcal N\big(\mu_\theta(x_t,t)+s\,\Sigma\,g,\ \Sigma\big),\ \Sigma=\sigma_t^2I
\qquad\text{DDIM: } \hat\epsilon\leftarrow\epsilon_\theta(x_t,t)-\sqrt{1-\bar\alpha_t}\;s\,g$$
(the class notes write the second with $s=1$: $\hat\epsilon=\epsilon_\theta-\sigma_t\nabla_{x_t}\log p_\phi(y\mid x_t)$).
"""

X0 = r"\frac{x_t-\sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t,t)}{\sqrt{\bar\alpha_t}}"
SIGMA_DDPM = {"beta_tilde": r"\sigma_t^2=\tilde\beta_t=\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t",
              "beta": r"\sigma_t^2=\beta_t"}
SIGMA_DDIM = (r"$$\sigma_{t\to t'}(\eta)=\eta\,\sqrt{\frac{1-\bar\alpha_{t'}}{1-\bar\alpha_t}}"
              r"\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_{t'}}}$$")
BOX = ("box $[\\ell,h]$: $[-1,1]$ for images; for 2D points each coordinate's training range widened by 10% of it "
       "on both sides (its numbers are in the reverse-process readout)")
SAMPLER_INFO = ("DDPM: all T steps of eq. 11. DDIM: fewer steps; η = 0 is deterministic and, measured on the 2D "
                "sets, lands 10–45% farther from the data (Chamfer) than DDPM even with all T steps: not a bug but "
                "the method, which keeps every error of the learned ε̂ that DDPM's fresh noise washes out (with the "
                "exact ε̂ both match the data).")


def schedule_words(T: int, kind: str) -> str:
    """One line on the schedule in use: its formula, its source, and how many β_t the 0.999 ceiling clips."""
    s = Schedule(int(T), kind)
    mant, exp = f"{float(s.alpha_bar[-1]):.1e}".split("e")
    ab = f"$\\bar\\alpha_T={mant}\\times10^{{{int(exp)}}}$"
    if kind == "linear":
        head = ("Linear schedule: $\\beta_t$ from $0.1/T$ to $20/T$ (Ho et al.'s $10^{-4}\\ldots0.02$ at "
                "$T=1000$, the range scaled by $1000/T$ as Nichol & Dhariwal 2021 do), clipped at 0.999: ")
        clip = (f"**{s.n_clipped} of the {s.T} β's clipped** (their raw value passes 1 for T ≤ 20)"
                if s.n_clipped else "no β reaches the ceiling at this T (it does for T ≤ 20)")
        return head + clip + f"; {ab}."
    return ("Cosine schedule (Nichol & Dhariwal 2021, eq. 17): $\\bar\\alpha_t=f(t)/f(0)$, "
            "$f(t)=\\cos^2\\big(\\frac{t/T+0.008}{1.008}\\frac{\\pi}{2}\\big)$; the last $\\beta_T$ is clipped at 0.999, "
            f"so {ab}: x̂₀ of the first reverse step divides ε̂'s error by $\\sqrt{{\\bar\\alpha_T}}$.")


def equation_for(T: int, schedule: str, variance: str, clip_x0: bool) -> str:
    """The sampler's equations for these settings: the clipped step when clipping is on, σ_t of both DDPM
    variance choices (the chosen one first), DDIM's σ(η), and the schedule's words."""
    try:
        words = schedule_words(int(T), schedule)
    except (TypeError, ValueError):          # a half-typed T: the rest still shows
        words = ""
    other = "beta" if variance == "beta_tilde" else "beta_tilde"
    name = "the posterior's variance" if variance == "beta_tilde" else "the forward step's variance"
    sig = (f"$${SIGMA_DDPM[variance]}\\quad\\text{{({name}, in use; Ho et al.'s other choice: }}"
           f"{SIGMA_DDPM[other]}\\text{{)}}$$") if variance in SIGMA_DDPM else ""
    if clip_x0:
        step = ("### How it samples: DDPM with x̂₀ clipped (in use)\n"
                f"$$\\hat x_0=\\operatorname{{clip}}\\Big({X0},\\ \\ell,\\ h\\Big),\\qquad "
                r"\hat\epsilon=\frac{x_t-\sqrt{\bar\alpha_t}\,\hat x_0}{\sqrt{1-\bar\alpha_t}}$$" "\n"
                r"$$x_{t-1}=\frac{1}{\sqrt{1-\beta_t}}\Big(x_t-\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\hat\epsilon\Big)"
                r"+\sigma_t z=\frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\hat x_0+"
                r"\frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t+\sigma_t z\qquad(11)$$" "\n"
                f"eq. 11 with the ε̂ of the clipped x̂₀, i.e. the posterior mean at the clipped x̂₀ (DDIM below uses "
                f"the same clipped x̂₀ and ε̂); {BOX}.\n")
    else:
        step = ("### How it samples: DDPM, x̂₀ not clipped\n"
                r"$$x_{t-1}=\frac{1}{\sqrt{1-\beta_t}}\Big(x_t-\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,"
                r"\epsilon_\theta(x_t,t)\Big)+\sigma_t z\qquad(11)$$" "\n"
                f"$$\\hat x_0={X0}$$\n"
                "Nothing bounds x̂₀: an early step can fling samples far off (turn clipping on to bound it).\n")
    ddim = ("DDIM (Song et al. 2021, eq. 12 and 16), from $t$ to the next visited $t'$: "
            r"$$x_{t'}=\sqrt{\bar\alpha_{t'}}\,\hat x_0+\sqrt{1-\bar\alpha_{t'}-\sigma^2}\,\hat\epsilon+\sigma z$$" "\n"
            f"{SIGMA_DDIM}\nη = 0: deterministic; η = 1 with all T steps: σ² = β̃_t, DDPM's.\n")
    return f"{step}{sig}\n{ddim}\n{words}"


PRESETS = {
    "Moons in 20 seconds": (
        "moons", dict(),
        "the red samples (20 DDIM steps, same seed) start pinned to the edges of the clip box (the untrained x̂₀ "
        "is clipped) and settle onto both moons within a few hundred steps. Then open 'Reverse process' and "
        "press Sample."),
    "Classifier-free guidance (moons)": (
        "moons", dict(conditional=True, guidance=3.0),
        "the model learns both p(x | moon) and p(x); in 'Guidance', compare scales: at w = 0 (the unconditional "
        "model) about half of each moon's samples land on the other moon, by w = 1 almost none do; larger w "
        "squeezes each moon's samples together (less spread) but pulls them off their moon: the distance to the "
        "moon's data is lowest near w = 1 and grows after."),
    "Classifier guidance (moons)": (
        "moons", dict(classifier=True),
        "a noisy classifier p_φ(y | x_t, t) trains beside the denoiser (third chart: its accuracy over all t stays "
        "near 0.75, since at large t the moons are indistinguishable; at small t it is near 1). In 'Reverse "
        "process' pick guidance type 'classifier', class 0, and sample at s = 0, then s = 2 (same seed): at s = 0 "
        "about half the samples land on the other moon, at s = 2 almost none do. Pick '2D arrows: classifier "
        "∇ log p' and step through the frames: the push is weak and broad at large t, strong near the boundary late."),
    "Latent diffusion (digits)": (
        "digits", dict(latent=True, ae_steps=300, latent_dim=8, batch_size=128),
        "the first 300 steps train an autoencoder on the spot (its reconstruction curve), then the ε-MSE curve "
        "starts: DDPM now runs on 8-number codes. In 'Latent diffusion' the codes of the data and the diffusion's "
        "samples sit side by side on one PCA and grow alike; the samples view shows them decoded. 'Compare speed "
        "with pixel-space diffusion' times both steps on the same batch: the latent step is several times faster."),
    "A 10-step chain": (
        "moons", dict(T=10),
        "with T = 10 each step removes a lot of noise: look at the schedule (the last β is 0.999) and at how far "
        "the points jump between reverse frames (over twice as far per step as with T = 100)."),
    "Digits with a U-Net": (
        "digits", dict(T=100, width=16, lr=2e-3, batch_size=64),
        "8×8 digits: within about a hundred steps the samples turn from noise into digit-like shapes; in the "
        "reverse process, x̂₀ is already about as close to real digits as the final sample when x_t is still "
        "mostly noise (ᾱ_t ≈ 0.2)."
        " ⏱ A whole press (3,000 steps) takes about 3 minutes of one CPU core (bench/presets.py); "
        "the digit-like shapes come within the first ten seconds."),
}



# ----------------------------------------------------------------------------- live views
def render(run: Run, view: View) -> dict[str, Any]:
    """Live views while training: samples (20 DDIM steps, fixed seed) redrawn; the schedules and the forward
    process depend only on T and t, so they are drawn once per (T, schedule, t) and skipped afterwards."""
    pts = _is_points(run)
    ready = player.trained(run)
    steps = min(LIVE_STEPS, run.cfg.T)
    if ready:
        with run.evaluating() as m:
            s = m.sample(N_POINTS if pts else N_IMAGES, sampler="ddim", steps=steps, eta=0.0, seed=1234).cpu()
    if pts:
        title = f"Samples (DDIM, {steps} steps, same seed) at step {run.step}"
        live = {"samples_plot": gr.update(value=views.points(_data_points(run), s if ready else None, title,
                                                             _rng(run, view)), visible=True),
                "samples_img": gr.update(visible=False)}
    else:
        live = {"samples_plot": gr.update(visible=False),
                "samples_img": gr.update(value=figures.grid(s, nrow=4) if ready else None, visible=True)}
    extra = latent.latent_views(run, view) if latent.is_latent(run) else {}
    return {**live, **_static_views(run, view), **extra}


def _static_views(run: Run, view: View) -> dict[str, Any]:
    """Schedules, forward plot, forward images: drawn only when T, the schedule or t changes."""
    t, pts = _fwd_t(run, view), _is_points(run)
    key = (run.cfg.T, run.cfg.schedule, t)
    if view.static_key == key:
        return {}
    view.static_key = key
    sched = views.schedules(run.cfg.T, run.cfg.schedule, t)
    m = run.model
    x0 = run.data.x_test[:N_POINTS if pts else N_IMAGES]
    xt = forward_process(m.sched(), x0 if pts else x0 * 2 - 1, t, seed=7).cpu()     # eq. 9 on the data
    ab = float(m.schedule.alpha_bar[t])
    title = f"Forward process (eq. 9): x_t at t = {t + 1} of {run.cfg.T}, ᾱ_t = {ab:.3f}"
    if pts:
        fwd = views.points(_data_points(run), xt, title, _rng(run, view), label="x_t")
        return {"schedules": sched, "forward_plot": gr.update(value=fwd, visible=True),
                "forward_img": gr.update(visible=False)}
    return {"schedules": sched, "forward_plot": gr.update(visible=False),
            "forward_img": gr.update(value=figures.grid(to_unit(xt), nrow=4), visible=True, label=title)}


# ----------------------------------------------------------------------------- layout
def build() -> Panel:
    panel = Panel("diffusion", Config, datasets=POINT_SETS + ["digits", "sprites", "mnist", "fashion-mnist"],
                  equation=EQUATION, curve_groups=[["total"], ["loss_t_low", "loss_t_high"], ["clf_ce", "clf_acc"], ["ae_recon"]],
                  curve_titles=["ε-prediction MSE (eq. 10)", "MSE at low t, little noise (solid) · high t (dashed)",
                                "noisy classifier: cross-entropy (solid) · accuracy (dashed)",
                                "latent: the autoencoder stage's reconstruction MSE"],
                  presets=PRESETS, view_state=View,
                  equation_for=(equation_for, ["T", "schedule", "variance", "clip_x0"]))
    big = dict(interactive=False, format="png")
    with panel.layout():
        with gr.Row(equal_height=False):
            with gr.Column():
                samples_plot = LivePlot(label="Samples (red) over the data (grey)")
                samples_img = gr.Image(label="Samples (20 DDIM steps, same seed every time)", visible=False,
                                       **big)
            with gr.Column():
                fwd_plot = LivePlot(label="Forward process")
                fwd_img = gr.Image(label="Forward process", visible=False, **big)
                fwd_t = gr.Slider(1, 1000, value=1, step=1, label="t (clamped to T)",
                                  info="Noise level of the forward process (eq. 9); the marker on the schedules.")
        with gr.Tabs():
            with gr.Tab("Reverse process"):
                with gr.Row():
                    sampler = gr.Radio(["DDPM", "DDIM"], value="DDPM", label="Sampler", info=SAMPLER_INFO)
                    ddim_steps = gr.Slider(1, 1000, value=20, step=1, label="DDIM steps")
                    eta = gr.Slider(0, 1, value=0.0, step=0.05, label="DDIM η")
                with gr.Row():
                    n = gr.Number(300, precision=0, label="How many samples (2D ≤ 2000, images ≤ 64)")
                    seed = gr.Number(0, precision=0, label="Seed (same seed: same x_T for DDPM and DDIM)")
                    guidance = gr.Slider(0, 10, value=2.0, step=0.1, label="Guidance scale w (conditional)")
                    label = gr.Number(-1, precision=0, label="Class (−1: one of each)")
                with gr.Row():
                    guide = gr.Radio(list(GUIDES), value="classifier-free", label="Guidance type",
                                     info="classifier-free: w above (a conditional model); classifier: s·∇ log p_φ "
                                          "(train with 'noisy classifier' ticked)")
                    scale = gr.Slider(0, 20, value=2.0, step=0.1, label="Classifier scale s")
                with gr.Row():
                    field_mode = gr.Radio(views.FIELDS, value="ε̂ field", label="2D arrows")
                    sample_btn = gr.Button("Sample and keep every frame", variant="primary")
                play = player.build("Frame (0 = x_T, pure noise; last = x₀)")
                readout = gr.Markdown("Train, then press **Sample and keep every frame**.")
                with gr.Row():
                    frame_plot = LivePlot(label="x_t (red) and the ε̂ field (arrows)")
                    frame_x0 = LivePlot(label="predicted clean x̂₀ (blue)")
                with gr.Row():
                    img_xt = gr.Image(label="x_t", visible=False, **big)
                    img_eps = gr.Image(label="predicted noise ε̂ (grey = 0)", visible=False, **big)
                    img_x0 = gr.Image(label="predicted clean x̂₀", visible=False, **big)
                with gr.Row():
                    gif_btn = gr.Button("Export the reverse process as a GIF")
                    gif_file = gr.File(label="Animated GIF", interactive=False)
            with gr.Tab("Schedule"):
                sched = LivePlot(label="β_t, ᾱ_t and SNR_t for both schedules (thick: the one in use; "
                                       "marker: t of the forward-process slider)")
            with gr.Tab("Latent diffusion"):
                lat = latent.build_views()
            with gr.Tab("Guidance"):
                gr.Markdown("Train with **class-conditional (guidance)** ticked (moons have 2 classes), then "
                            "compare guidance scales: every class is sampled at each w from the same seed.")
                guide_btn = gr.Button("Compare guidance scales", variant="primary")
                guide_text = gr.Markdown("")
                guide_plot = LivePlot(label="Spread and fidelity against the guidance scale")
    quality.section(panel)          # FID, KID, precision & recall of model.sample(n) (issue 14)
    panel.wire(dict(samples_plot=samples_plot, samples_img=samples_img, schedules=sched, forward_plot=fwd_plot,
                    forward_img=fwd_img, latent_codes=lat["latent_codes"], latent_samples=lat["latent_samples"],
                    latent_recon=lat["latent_recon"], latent_note=lat["latent_note"]), render)
    fviews = dict(frame_plot=frame_plot, frame_x0=frame_x0, img_xt=img_xt, img_eps=img_eps, img_x0=img_x0,
                  readout=readout)
    with_frame = dict(frame=play.frame, **fviews)

    def set_t(run: Run, view: View, t: float) -> dict[str, Any]:
        view.fwd_t = int(t)
        return render(run, view)

    def set_field(run: Run, view: View, k: float, mode: str) -> dict[str, Any]:
        view.field_mode = mode
        return frame_views(run, view, k)

    panel.on(fwd_t.release, set_t, [fwd_t], outputs=dict(forward_plot=fwd_plot, forward_img=fwd_img, schedules=sched))
    panel.on(sample_btn.click, sample_frames, [sampler, ddim_steps, eta, n, seed, guidance, label, field_mode, guide,
                                               scale],
             outputs=with_frame, api_name="diffusion_sample")
    player.wire(panel, play, _frames, frame_views, fviews, "diffusion", FIRST, LAST)
    ranges.wire(panel, dict(fwd_t=fwd_t, ddim_steps=ddim_steps),
                lambda run: dict(fwd_t=(1, run.cfg.T), ddim_steps=(1, run.cfg.T)))
    panel.on(field_mode.change, set_field, [play.frame, field_mode], outputs=fviews)
    panel.on(gif_btn.click, export_gif, outputs=dict(gif=gif_file), api_name="diffusion_gif")
    panel.on(lat["speed_btn"].click, latent.compare_speed, outputs=dict(speed=lat["speed"]), train=True,
             api_name="diffusion_speed")
    panel.on(guide_btn.click, compare_guidance, outputs=dict(plot=guide_plot, text=guide_text),
             api_name="diffusion_guidance")
    return panel
