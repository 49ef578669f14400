"""What one visitor keeps in one tab, and the limits every visitor shares.

A visitor's :class:`Session` lives in a ``gr.State`` (never in a module global), so every visitor of a
hosted app has their own runs. It holds the :class:`trainers.loop.Run` (the model and where training
stands: a value that pickles) and the tab's view state (which image is chosen, cached projections):
a dataclass each tab declares, which belongs to the page, not to the model.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from trainers.loop import Run

RENDER_EVERY = float(os.environ.get("PLAYGROUND_RENDER_EVERY", "0.5"))    # seconds between redraws, at least
TICK = float(os.environ.get("PLAYGROUND_TICK", "0.25"))                  # seconds between status-only updates
MAX_SECONDS = float(os.environ.get("PLAYGROUND_MAX_SECONDS", "900"))     # one Train press, at most
_CPUS = os.cpu_count() or 2
# Trainings that run at once (the rest queue), and torch threads each: on a free 2-vCPU Space, two
# visitors train side by side on one core each (small models barely gain from a second thread, and
# oversubscribed cores make every run several times slower).
TRAIN_SLOTS = int(os.environ.get("PLAYGROUND_TRAIN_SLOTS", str(max(2, min(4, _CPUS)))))
THREADS = int(os.environ.get("PLAYGROUND_THREADS", str(max(1, _CPUS // TRAIN_SLOTS))))
STATE_TTL = 2 * 3600                                                      # seconds a run outlives its last update


@dataclass
class NoView:
    """The view state of a tab that keeps none."""


@dataclass
class Session:
    """One visitor's state in one tab."""
    run: Run | None = None
    view: Any = field(default_factory=NoView)      # the tab's view-state dataclass
    data_key: tuple[str, str | None] | None = None  # which data the run trains on (a new choice: a new run)


def free(session: Session | None) -> None:
    """gr.State's delete callback: drop the model's memory as soon as a session ends."""
    if session is not None and session.run is not None:
        session.run.model = None  # type: ignore[assignment]
        session.run = None
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

    @property
    def trained(self) -> float:
        return self.run.train_seconds - self.train0


class Throttle:
    """When to redraw the views and when to send the status alone, whatever the step rate.

    Views are redrawn at most every ``RENDER_EVERY`` s, and less often when drawing is slow (it may
    take ~10% of the time); in between, the status alone goes out every ``TICK`` s, so Stop (which
    acts at a yield) still halts within a fraction of a second.
    """

    def __init__(self) -> None:
        self.redraw_at = self.tick_at = -float("inf")   # the very first step redraws: the curve appears at once

    def due(self) -> str | None:
        now = time.perf_counter()
        if now >= self.redraw_at:
            return "redraw"
        if now >= self.tick_at:
            return "tick"
        return None

    def drew(self, seconds: float) -> None:
        now = time.perf_counter()
        self.redraw_at = now + max(RENDER_EVERY, 9 * seconds)
        self.tick_at = now + TICK

    def ticked(self) -> None:
        self.tick_at = time.perf_counter() + TICK
