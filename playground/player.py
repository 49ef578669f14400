"""The frame player of a kept sampling run (the diffusion tab's reverse process, the score tab's samplers): a
frame slider, ◀ −1 step, ▶ Play, ❚❚ Pause, +1 step ▶, driven by a ``gr.Timer``.

Play turns the timer on and sets ``view.playing``; each tick shows the next frame (about 100 ticks whatever
the number of frames) and turns the timer off at the last one. Pause clears ``view.playing`` and turns the
timer off. The flag on the server is what makes Pause stick: a tick already queued or running when Pause
is pressed sees it cleared and changes nothing, where a tick that answered "keep the timer on" would have
switched it back on. Play resumes from the frame shown (from frame 0 once at the end).

The timer goes out as ``gr.update(active=...)``: a ``gr.Timer(active=...)`` returned through the Panel
(every view is sent as an update, ``panel.as_update``) became the timer's *value*, and Play never started.

Also the one test the live views of both tabs make: :func:`trained`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from trainers.loop import Run

from .session import Session

TICK = 0.2            # seconds between frames while playing
TICKS = 100           # a whole run plays in about this many ticks


def trained(run: Run) -> bool:
    """Whether the model has taken a training step (the live sample views wait for the first one)."""
    return int(getattr(run.model, "trained_steps", 0)) > 0


def frames_of(view: Any, missing: str) -> Any:
    """The kept sampling run of ``view`` (``view.frames``), or a ValueError saying how to make one."""
    if getattr(view, "frames", None) is None:
        raise ValueError(missing)
    return view.frames


@dataclass
class Player:
    frame: gr.Slider
    prev: gr.Button
    play: gr.Button
    pause: gr.Button
    next: gr.Button
    timer: gr.Timer


def build(label: str) -> Player:
    """The frame slider and the four buttons under it, where the tab lays them out; the timer (invisible)."""
    frame = gr.Slider(0, 100, value=0, step=1, label=label)
    with gr.Row():
        prev = gr.Button("◀ −1 step")
        play = gr.Button("▶ Play")
        pause = gr.Button("❚❚ Pause")
        nxt = gr.Button("+1 step ▶")
    return Player(frame, prev, play, pause, nxt, gr.Timer(TICK, active=False))


def step(frames: Any, k: float, delta: int, first: str, last: str) -> int:
    """Frame ``k + delta``, or a ValueError (``first``/``last``) past either end."""
    k = int(k) + delta
    if k < 0:
        raise ValueError(first)
    if k >= len(frames):
        raise ValueError(last)
    return k


def start(view: Any, frames: Any, k: float) -> dict[str, Any]:
    """Play: from the frame shown, or from frame 0 when it is the last."""
    view.playing = True
    return {"frame": 0 if int(k) >= len(frames) - 1 else int(k), "timer": gr.update(active=True)}


def tick(view: Any, frames: Any, k: float, show: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
    """One tick of Play: the next frame (``show(k)`` draws it), the timer off at the end; nothing once paused."""
    if not getattr(view, "playing", False):
        return {"timer": gr.update(active=False)}
    k = min(int(k) + max(1, len(frames) // TICKS), len(frames) - 1)
    out = {"frame": k, **show(k)}
    if k >= len(frames) - 1:
        view.playing = False
        out["timer"] = gr.update(active=False)
    return out


def stop(s: Session | None) -> dict[str, Any]:
    """Pause: no run or no frames is fine too (nothing plays)."""
    if s is not None and s.view is not None:
        s.view.playing = False
    return gr.update(active=False)


def wire(panel: Any, p: Player, get_frames: Callable[[Any], Any], frame_views: Callable[..., dict[str, Any]],
         fviews: dict[str, Any], family: str, first: str, last: str) -> None:
    """The player's events. ``get_frames(view)``: the kept frames (ValueError if none); ``frame_views(run, view,
    k) -> {name: value}`` draws frame k into ``fviews``. API: ``/<family>_frame``, ``_prev``, ``_next`` (k=)."""
    with_frame = dict(frame=p.frame, **fviews)

    def moved(run: Run, view: Any, k: float, delta: int) -> dict[str, Any]:
        k = step(get_frames(view), k, delta, first, last)
        return {"frame": k, **frame_views(run, view, k)}

    def play(run: Run, view: Any, k: float) -> dict[str, Any]:
        return start(view, get_frames(view), k)

    def advance(run: Run, view: Any, k: float) -> dict[str, Any]:
        return tick(view, get_frames(view), k, lambda j: frame_views(run, view, j))

    panel.on(p.frame.release, frame_views, [p.frame], outputs=fviews, api_name=f"{family}_frame")
    panel.on(p.prev.click, lambda run, view, k: moved(run, view, k, -1), [p.frame], outputs=with_frame,
             api_name=f"{family}_prev")
    panel.on(p.next.click, lambda run, view, k: moved(run, view, k, +1), [p.frame], outputs=with_frame,
             api_name=f"{family}_next")
    panel.on(p.play.click, play, [p.frame], outputs=dict(frame=p.frame, timer=p.timer))
    p.pause.click(stop, panel.state, p.timer, api_visibility="private", show_progress="hidden", queue=False)
    panel.on(p.timer.tick, advance, [p.frame], outputs=dict(with_frame, timer=p.timer))
