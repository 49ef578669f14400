"""The score tab: a noise-conditional score network (NCSN, VE or VP SDE) or a flow-matching velocity, trained live
on the 2D sets; its field beside the true one, its samplers frame by frame (annealed Langevin, predictor–corrector,
probability-flow ODE, Euler), the corrector's effect on sample quality, and straight against curved paths."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import torch

from trainers.loop import Run
from trainers.metrics import chamfer, grid_around
from trainers.score import Config, reverse_process

from .. import player
from ..panel import LivePlot, Panel
from . import score_paths, score_views as views
from .score_text import EQUATION, PRESETS, SAMPLER_CHOICES, equation_for

TITLE = "Score & flow"
POINT_SETS = ["moons", "swiss roll", "ring of 8", "grid of 25", "checkerboard"]
N_POINTS, GRID = 300, 18
# the live preview's sampler: about 20 network calls, so a redraw stays cheap
LIVE = {"ncsn": ("pc", dict(corrector=1)), "ve": ("pc", dict(steps=20, corrector=0)),
        "vp": ("pc", dict(steps=20, corrector=0)), "flow": ("euler", dict(steps=20))}


@dataclass
class View:
    level: float = 0.3                  # clock t of the field view
    frames: Any = None                  # the sampling run kept by "Sample and keep every frame"
    chamfer: dict[str, float] = field(default_factory=dict)   # sampler settings -> distance to held-out data
    axes: list[list[float]] | None = None
    true_key: tuple | None = None       # (t, dataset) the true field was computed for
    true: Any = None                    # (grid, field, words, figure)
    companion: Any = None               # the model trained for the path comparison
    playing: bool = False               # ▶ Play pressed and not paused (playground/player.py)


def _data(run: Run) -> torch.Tensor:
    return run.data.x_test[:800].cpu()


def _rng(run: Run, view: View):
    if view.axes is None:
        view.axes = views.axis_range(_data(run))
    return view.axes


def _grid(run: Run) -> torch.Tensor:
    return grid_around(_data(run), GRID)


# ----------------------------------------------------------------------------- live views
def render(run: Run, view: View) -> dict[str, Any]:
    """Samples from a cheap sampler (fixed seed) and the learned field at the chosen level, beside the true one."""
    out: dict[str, Any] = {}
    if player.trained(run):
        name, kw = LIVE[run.cfg.objective]
        with run.evaluating() as mm:
            s = reverse_process(mm, N_POINTS, name, seed=1234, keep=False, **kw).result
        title = f"Samples ({views.NAMES[name]}, same seed) at step {run.step}"
        out["samples_plot"] = views.points(_data(run), s, title, _rng(run, view))
    return {**out, **field_views(run, view)}


def field_views(run: Run, view: View) -> dict[str, Any]:
    """The learned field ŝ (or v̂) at the chosen level, the true field there, and how well they agree."""
    m = run.model
    t = views.snap(m, view.level)
    grid, rng, data = _grid(run), _rng(run, view), _data(run)
    key = (t, run.data.name, run.cfg.objective, run.cfg.sigma_min, run.cfg.sigma_max, run.cfg.beta_min,
           run.cfg.beta_max)
    kind = "velocity v" if m.is_flow else "score ∇log p_t"
    if view.true_key != key:
        vec, words = views.true_field(m, run.data.name, run.data.x, grid, t)
        fig = views.field_plot(data, grid, vec, f"True {kind} at {views.level_words(m, t)}", rng, "true")
        view.true_key, view.true = key, (vec, words, fig)
    true_vec, words, true_fig = view.true
    with run.evaluating() as mm:
        learned = mm.output(grid.to(mm.device), t).cpu()
    cos, rel = views.agreement(learned, true_vec)
    fig = views.field_plot(data, grid, learned, f"Learned {'v̂' if m.is_flow else 'ŝ'} at {views.level_words(m, t)}",
                           rng, "learned")
    text = (f"**{views.level_words(m, t)}** · true field: {words}.  \n"
            f"Agreement on the grid: mean cosine **{cos:.3f}**, relative error ‖learned − true‖/‖true‖ **{rel:.3f}** "
            f"(step {run.step}). Arrows are scaled per plot (longest ≈ one cell).")
    if not m.is_flow:
        text += " The network outputs ε̂; the score drawn is s = −ε̂/σ_t."
    return {"field_plot": fig, "true_plot": true_fig, "field_text": text}


def set_level(run: Run, view: View, t: float) -> dict[str, Any]:
    if t is None:
        raise ValueError("noise level t: give a number from 0 to 1.")
    view.level = float(t)
    return field_views(run, view)


# ----------------------------------------------------------------------------- sampling, frame by frame
FIRST = "Already at the first frame (x_T, the prior's noise): there is no earlier step."
LAST = "Already at the last frame: these are the finished samples."


def _frames(view: View):
    return player.frames_of(view, "No sampling run yet: press 'Sample and keep every frame' first.")


def frame_views(run: Run, view: View, k: float) -> dict[str, Any]:
    fr = _frames(view)
    k = int(k)
    f = fr.frame(k)                                                   # ValueError past either end
    readout = f"**{views.frame_title(fr, k)}**"
    if f["eps"] is not None:
        readout += (f"  \nmean ‖{'v̂' if fr.what == 'velocity' else 'ŝ'}‖ = {float(f['eps'].norm(dim=1).mean()):.3f}"
                    f" · spread of x_t = {float(f['x'].std()):.3f}")
    left, right = views.frame_2d(fr, k, _data(run), _rng(run, view))
    return {"frame_plot": left, "frame_x0": right, "readout": readout}


def _number(v: Any, name: str, whole: bool = False) -> float:
    if v is None or isinstance(v, bool):
        raise ValueError(f"{name}: please give a number.")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {v!r}.") from None
    if whole and x != int(x):
        raise ValueError(f"{name} must be a whole number; got {v!r}.")
    return x


def sample_frames(run: Run, view: View, sampler: str, steps: float, corrector: float, snr: float, eps: float,
                  per_level: float, n: float, seed: float) -> dict[str, Any]:
    """Sample once with the chosen sampler, keep every frame (with the field on a grid), show frame 0."""
    name = SAMPLER_CHOICES.get(sampler)
    if name is None:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLER_CHOICES)}; got {sampler!r}.")
    steps, corrector = int(_number(steps, "steps N", True)), int(_number(corrector, "corrector steps M", True))
    snr, eps = _number(snr, "snr r"), _number(eps, "Langevin step ε")
    per_level, n = int(_number(per_level, "Langevin steps per level T", True)), int(_number(n, "samples", True))
    seed = int(_number(seed, "seed", True))
    if not 1 <= n <= 2000:
        raise ValueError(f"samples: draw between 1 and 2,000; got {n}.")
    m = run.model
    if m.is_flow and name != "euler":
        raise ValueError("sampler: a flow-matching model samples with 'Euler (flow)'; the other three need a score.")
    if not m.is_flow and name == "euler":
        raise ValueError("sampler: 'Euler (flow)' is for the flow objective; pick annealed Langevin, PC or the ODE.")
    with run.evaluating() as mm:
        fr = reverse_process(mm, n, name, steps=steps, corrector=corrector, snr=snr, eps=eps, per_level=per_level,
                             seed=seed, grid=_grid(run))
    view.frames, view.playing = fr, False
    label = views.NAMES[name] + (f" ({fr.settings})" if fr.settings else "") + f", {len(fr) - 1} updates"
    view.chamfer[label] = chamfer(fr.result, run.data.x_test.cpu())
    view.chamfer = dict(list(view.chamfer.items())[-6:])
    compare = "  \n".join(f"· {k}: **{v:.4f}**" for k, v in view.chamfer.items())
    shown = frame_views(run, view, 0)
    shown["readout"] = (f"Kept {len(fr)} frames of {views.NAMES[name]} (seed {seed}).  \n"
                        f"Chamfer distance of the result to held-out data (lower is closer):  \n{compare}  \n"
                        + shown["readout"])
    return {"frame": gr.update(maximum=len(fr) - 1, value=0), **shown}


def export_gif(run: Run, view: View) -> dict[str, Any]:
    return {"gif": views.gif(_frames(view), _data(run))}


def corrector_scan(run: Run, view: View, steps: float) -> dict[str, Any]:
    """Chamfer distance against snr r for M = 0, 1, 2 corrector steps (PC, same seed)."""
    if run.model.is_flow:
        raise ValueError("The corrector scan is for score models: flow matching has no Langevin corrector.")
    steps = int(_number(steps, "steps N", True))
    if not 1 <= steps <= 200:
        raise ValueError(f"steps N for the scan: from 1 to 200; got {steps}.")
    with run.evaluating() as m:
        s = views.scan(m, run.data.x_test.cpu(), steps)
    n = run.model.proc.levels - 1 if run.cfg.objective == "ncsn" else steps
    return {"scan_plot": views.scan_plot(s, f"PC with N = {n} predictor steps: Chamfer against snr r"),
            "scan_text": views.scan_text(s)}


# ----------------------------------------------------------------------------- layout
def build() -> Panel:
    panel = Panel("score", Config, datasets=POINT_SETS, equation=EQUATION, upload_choice=None,
                  curve_groups=[["total"], ["loss_low", "loss_high"]],
                  curve_titles=["loss (DSM eq. 7, or FM)", "low noise (solid) · high (dashed)"],
                  presets=PRESETS, view_state=View, default_steps=1500,
                  equation_for=(equation_for, ["objective"]))
    with panel.layout():
        with gr.Row(equal_height=False):
            samples_plot = LivePlot(label="Samples (red) over the data (grey)")
        with gr.Tabs():
            with gr.Tab("Score field"):
                level = gr.Slider(0, 1, value=0.3, step=0.01, label="noise level t (NCSN: snapped to its levels)",
                                  info="σ_t grows with t; at t = 1 the data are drowned in the prior's noise.")
                field_text = gr.Markdown("Train, and the learned field appears here beside the true one.")
                with gr.Row():
                    field_plot = LivePlot(label="learned field")
                    true_plot = LivePlot(label="true field of the noised data")
            with gr.Tab("Sampling, frame by frame"):
                with gr.Row():
                    sampler = gr.Radio(list(SAMPLER_CHOICES), value="PC", label="sampler")
                    steps = gr.Slider(1, 1000, value=50, step=1, label="steps N (NCSN: its L levels)")
                    corrector = gr.Slider(0, 10, value=1, step=1, label="corrector steps M (PC)")
                    snr = gr.Number(0.16, label="snr r (PC corrector)")
                with gr.Row():
                    eps = gr.Number(5e-5, label="Langevin step ε (annealed Langevin)")
                    per_level = gr.Slider(1, 100, value=20, step=1, label="Langevin steps per level T")
                    n = gr.Number(300, precision=0, label="samples (≤ 2000)")
                    seed = gr.Number(0, precision=0, label="seed (same seed: same x_T)")
                sample_btn = gr.Button("Sample and keep every frame", variant="primary")
                play = player.build("Frame (0 = x_T, the prior's noise; last = result)")
                readout = gr.Markdown("Train, then press **Sample and keep every frame**.")
                with gr.Row():
                    frame_plot = LivePlot(label="x_t (red) and the field it follows (arrows)")
                    frame_x0 = LivePlot(label="where each point is headed (blue)")
                with gr.Row():
                    gif_btn = gr.Button("Export the frames as a GIF")
                    gif_file = gr.File(label="Animated GIF", interactive=False)
            with gr.Tab("Corrector & snr"):
                gr.Markdown("PC sampling from the same seed for M = 0, 1, 2 Langevin corrector steps and five "
                            "signal-to-noise ratios r (Song et al. 2021, Alg. 4/5): how far the samples land from "
                            "held-out data.")
                with gr.Row():
                    scan_steps = gr.Slider(1, 200, value=30, step=1, label="predictor steps N")
                    scan_btn = gr.Button("Scan corrector steps × snr", variant="primary")
                scan_text = gr.Markdown("")
                scan_plot = LivePlot(label="Chamfer distance against snr")
            with gr.Tab("Straight vs curved paths"):
                gr.Markdown(score_paths.INTRO)
                with gr.Row():
                    path_steps = gr.Number(1500, precision=0, label="training steps of the other model")
                    path_btn = gr.Button("Train the other model and compare paths", variant="primary")
                path_text = gr.Markdown("")
                path_plot = LivePlot(label="sample paths from the same noise")
    panel.wire(dict(samples_plot=samples_plot, field_plot=field_plot, true_plot=true_plot, field_text=field_text),
               render)
    fviews = dict(frame_plot=frame_plot, frame_x0=frame_x0, readout=readout)
    with_frame = dict(frame=play.frame, **fviews)

    panel.on(level.input, set_level, [level], outputs=dict(field_plot=field_plot, true_plot=true_plot,
                                                           field_text=field_text), api_name="score_field")
    panel.on(sample_btn.click, sample_frames, [sampler, steps, corrector, snr, eps, per_level, n, seed],
             outputs=with_frame, api_name="score_sample")
    player.wire(panel, play, _frames, frame_views, fviews, "score", FIRST, LAST)
    panel.on(gif_btn.click, export_gif, outputs=dict(gif=gif_file), api_name="score_gif")
    panel.on(scan_btn.click, corrector_scan, [scan_steps], outputs=dict(scan_plot=scan_plot, scan_text=scan_text),
             api_name="score_scan")
    panel.on(path_btn.click, score_paths.compare, [path_steps], outputs=dict(path_plot=path_plot, path_text=path_text),
             api_name="score_paths", train=True)
    return panel
