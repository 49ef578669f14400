"""Per-session run state and the streaming training handler.

A visitor's :class:`trainers.loop.Run` lives in a ``gr.State`` (never in a module global), so every
visitor of a hosted app has their own runs. Training stays inside the generator: Stop cancels it at
its next yield, which comes at most ``RENDER_EVERY`` seconds after the previous one.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable, Iterator

import gradio as gr
import torch

from trainers.base import Diverged
from trainers.loop import Run, train

RENDER_EVERY = float(os.environ.get("PLAYGROUND_RENDER_EVERY", "0.5"))    # seconds between redraws, at least
TICK = float(os.environ.get("PLAYGROUND_TICK", "0.25"))                                                             # seconds between status-only updates
MAX_SECONDS = float(os.environ.get("PLAYGROUND_MAX_SECONDS", "900"))     # one Train press, at most
_CPUS = os.cpu_count() or 2
# Trainings that run at once (the rest queue), and torch threads each: on a free 2-vCPU Space, two
# visitors train side by side on one core each (small models barely gain from a second thread, and
# oversubscribed cores make every run several times slower).
TRAIN_SLOTS = int(os.environ.get("PLAYGROUND_TRAIN_SLOTS", str(max(2, min(4, _CPUS)))))
THREADS = int(os.environ.get("PLAYGROUND_THREADS", str(max(1, _CPUS // TRAIN_SLOTS))))
STATE_TTL = 2 * 3600                                                      # seconds a run outlives its last update


def free_run(run: Run | None) -> None:
    """gr.State's delete callback: drop the model's memory as soon as a session ends."""
    if run is not None:
        run.model = None  # type: ignore[assignment]
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


class Timing:
    """How the wall time of one Train press splits between training and drawing."""

    def __init__(self, run: Run) -> None:
        self.train0 = run.train_seconds
        self.render = 0.0
        self.run = run

    @property
    def render_share(self) -> float:
        train = self.run.train_seconds - self.train0
        return self.render / max(1e-9, train + self.render)


def stream(run: Run, steps: int, render: Callable[[Run], list[Any]], status: Callable[[Run, Timing, str], str]
           ) -> Iterator[list[Any]]:
    """Train ``run`` for ``steps`` steps, yielding ``[status, *render(run)]`` a few times a second.

    Views are redrawn at most every ``RENDER_EVERY`` s, and less often when drawing is slow (it may
    take ~10% of the time); in between, the status alone is sent every ``TICK`` s, so Stop (which acts
    at a yield) still halts within a fraction of a second.
    """
    timing = Timing(run)
    last = tick = -float("inf")     # render at the very first step: the curve appears at once
    wait, n_views = RENDER_EVERY, None
    message = ""
    try:
        for _ in train(run, steps=steps, seconds=MAX_SECONDS):
            now = time.perf_counter()
            if now - last >= wait:
                outs = render(run)
                spent = time.perf_counter() - now
                timing.render += spent
                wait = max(RENDER_EVERY, 9 * spent)
                n_views = len(outs)
                yield [status(run, timing, "training…"), *outs]
                last = tick = time.perf_counter()
            elif now - tick >= TICK and n_views is not None:
                yield [status(run, timing, "training…"), *([gr.skip()] * n_views)]
                tick = time.perf_counter()
        message = "done: press **Train** to continue."
        if run.train_seconds - timing.train0 >= MAX_SECONDS - 1:
            message = f"paused after {MAX_SECONDS:.0f} s (the limit of one press): press **Train** to continue."
    except Diverged as e:
        message = f"⚠️ {e}"
    t0 = time.perf_counter()
    outs = render(run)
    timing.render += time.perf_counter() - t0
    yield [status(run, timing, message), *outs]
