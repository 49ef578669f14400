"""The diffusion tab's reverse-process viewer: sample once (DDPM or DDIM; no guidance, classifier-free, or
classifier guidance), keep every frame, scrub, play and export it as a GIF. No model math here: the reverse
loop is trainers.diffusion.reverse_process, classifier guidance trainers.diffusion_guidance."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import torch

from trainers.diffusion import reverse_process
from trainers.diffusion_guidance import GUIDES, ClassifierGuidance
from trainers.loop import Run
from trainers.metrics import chamfer, grid_around

from .. import player
from . import diffusion_latent as latent
from . import diffusion_views as views

GRID = 18


def _is_points(run: Run) -> bool:
    return run.data.kind == "points"


def _data_points(run: Run) -> torch.Tensor:
    return run.data.x_test[:800].cpu()


@dataclass
class View:
    fwd_t: int = 1                      # t of the forward-process view (the paper's t = 1 … T)
    field_mode: str = "ε̂ field"         # arrows of the 2D frames: ε̂ or the score
    frames: Any = None                  # the reverse process kept by "Sample and keep every frame"
    chamfer: dict[str, float] = field(default_factory=dict)   # sampler -> distance to held-out data
    axes: list[list[float]] | None = None                     # the 2D view's range, fixed for a run
    static_key: tuple | None = None     # (T, schedule, t) the static views were last drawn for
    playing: bool = False               # ▶ Play pressed and not paused (playground/player.py)


def _rng(run: Run, view: View):
    if view.axes is None:
        view.axes = views.axis_range(_data_points(run))
    return view.axes


def _fwd_t(run: Run, view: View) -> int:
    return min(int(view.fwd_t), run.cfg.T) - 1          # slider shows the paper's t = 1 … T


# ----------------------------------------------------------------------------- reverse process
FIRST = "Already at the first frame (x_T, pure noise): there is no earlier step."
LAST = "Already at the last frame (x₀): nothing is left to denoise."


def _frames(view: View):
    return player.frames_of(view, "No reverse process yet: press 'Sample and keep every frame' first.")


def frame_views(run: Run, view: View, k: int) -> dict[str, Any]:
    """The frame views (x_t and x̂_0 plots, x_t, ε̂ and x̂_0 images, readout) for frame k: no model call."""
    fr = _frames(view)
    k = int(k)
    f = fr.frame(k)                                                   # ValueError past either end
    readout = f"**{views.frame_title(fr, k)}**"
    if f["eps"] is not None:
        readout += (f"  \nmean ‖ε̂‖ per dimension = {float(f['eps'].float().pow(2).mean().sqrt()):.3f} · "
                    f"spread of x_t = {float(f['x'].float().std()):.3f}")
    if _is_points(run):
        left, right = views.frame_2d(fr, k, _data_points(run), _rng(run, view), view.field_mode)
        hide = gr.update(visible=False)
        return {"frame_plot": gr.update(value=left, visible=True), "frame_x0": gr.update(value=right, visible=True),
                "img_xt": hide, "img_eps": hide, "img_x0": hide, "readout": readout}
    xt, eps, x0 = views.frame_images(fr, k)
    show, hide = (lambda v: gr.update(value=v, visible=True)), gr.update(visible=False)
    return {"frame_plot": hide, "frame_x0": hide, "img_xt": show(xt), "img_eps": show(eps), "img_x0": show(x0),
            "readout": readout}


def _guidance_for(m, guide: str, n: int, label: int, w: float, scale: float) -> tuple[Any, float, Any, str]:
    """(labels for ε̂, w, classifier guidance or None, words) for the chosen guidance type.

    none: the unconditional ε̂ (a conditional model at w = 0 is exactly its unconditional branch);
    classifier-free: ε̂(∅) + w (ε̂(y) − ε̂(∅)) as before; classifier: the unconditional ε̂ plus s·∇ log p_φ."""
    if guide not in GUIDES:
        raise ValueError(f"Guidance type must be one of {', '.join(GUIDES)}; got {guide!r}.")
    if guide == "classifier-free":
        if label >= 0 and not m.n_cond:
            raise ValueError("This model is not class-conditional: set the class to −1, or train with "
                             "'class-conditional (guidance)' on.")
        return (label if label >= 0 else None), w, None, (f" · guidance w = {w:g}" if m.n_cond else "")
    if guide == "none":
        return None, 0.0, None, " · no guidance"
    if m.classifier is None:
        raise ValueError("Classifier guidance needs the noisy classifier: tick 'noisy classifier (guidance)' "
                         "(a labelled dataset) and train.")
    k = m.classifier.out.out_features
    if label >= k:
        raise ValueError(f"Class must be −1 (one of each) or between 0 and {k - 1}; got {label}.")
    ys = torch.full((n,), label, dtype=torch.long) if label >= 0 else torch.arange(n) % k
    cg = ClassifierGuidance(m.classifier, scale, ys.to(m.device))      # ValueError names the scale
    return None, 0.0, cg, f" · classifier guidance s = {cg.scale:g}"


def sample_frames(run: Run, view: View, sampler: str, steps: float, eta: float, n: float, seed: float, guidance: float,
                  label: float, field_mode: str, guide: str, scale: float) -> dict[str, Any]:
    """Sample once, keep every frame (x_t, ε̂, x̂_0, and the 2D fields), show frame 0."""
    pts = _is_points(run)
    if any(v is None for v in (steps, eta, n, seed, guidance, label, scale)):
        raise ValueError("Please fill in every sampling setting (samples, seed, class, guidance scale w, classifier "
                         "scale s, DDIM steps, η).")
    n, label = int(n), int(label)
    if not 1 <= n <= 2000:
        raise ValueError(f"Draw between 1 and 2,000 samples; got {n}.")
    if label < -1:
        raise ValueError(f"Class must be −1 (one of each) or a class number ≥ 0; got {label}.")
    clamped = "" if pts or n <= 64 else f" (images: {n} clamped to 64)"
    n = n if pts else min(n, 64)
    with run.evaluating() as m:
        y, w, cg, note = _guidance_for(m, guide, n, label, float(guidance), scale)
        steps = min(int(steps), run.cfg.T)                          # more DDIM steps than T: all of them
        fr = reverse_process(m, n, m.sampler(sampler.lower(), steps=steps if sampler == "DDIM" else None,
                                             eta=float(eta)), guidance=w, y=y, seed=int(seed),
                             grid=grid_around(_data_points(run), GRID) if pts else None,
                             field_y=y if cg is None else (label if label >= 0 else None),
                             max_frames=None if pts else 200, cg=cg)
        result = m.to_data_space(fr.result.to(m.device)).cpu()      # latent runs: decoded by D
        if latent.is_latent(run):                                   # the viewer and the GIF show decoded frames
            fr = latent.decoded_frames(m, fr)
    view.frames, view.field_mode, view.playing = fr, field_mode, False
    # DDPM against DDIM from the same seed: how close each result lies to held-out data
    ref = run.data.x_test[:800].cpu()
    scores = view.chamfer
    name = "DDPM" if fr.sampler == "ddpm" else f"DDIM ({len(fr.ts)} steps, η = {float(eta):g})"
    scores[name + note.replace(" · ", ", ")] = chamfer(result, ref)
    compare = " · ".join(f"{k}: {v:.3f}" for k, v in list(scores.items())[-3:])
    clip = "x̂₀ not clipped" if fr.box is None else f"x̂₀ clipped to {views.box_words(fr.box)}"
    shown = frame_views(run, view, 0)
    shown["readout"] = (f"Kept {len(fr)} frames of {fr.sampler.upper()} ({len(fr.ts)} steps){note}{clamped}; "
                        f"{clip}.  \n"
                        f"Chamfer distance of the result to held-out data (lower is closer): {compare}.  \n"
                        + shown["readout"])
    return {"frame": gr.update(maximum=len(fr) - 1, value=0), **shown}


def compare_guidance(run: Run, view: View) -> dict[str, Any]:
    """The guidance scan as a chart titled with what it shows, and its numbers as text."""
    g = views.guidance_scan(run)
    return {"plot": views.guidance(g), "text": views.guidance_text(g)}


def export_gif(run: Run, view: View) -> dict[str, Any]:
    return {"gif": views.gif(_frames(view), _data_points(run) if _is_points(run) else None)}


