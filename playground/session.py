"""What one visitor keeps in one tab, and the limits every visitor shares.

A visitor's :class:`Session` lives in a ``gr.State`` (never in a module global), so every visitor of a
hosted app has their own runs. It holds the :class:`trainers.loop.Run` (the model and where training
stands: a value that pickles) and the tab's view state (which image is chosen, cached projections):
a dataclass each tab declares, which belongs to the page, not to the model.
"""
from __future__ import annotations

import contextvars
import os
import threading
import time
from pathlib import Path
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import gradio as gr
import torch

from trainers.data import DataError
from trainers.loop import Run

_STOP: contextvars.ContextVar = contextvars.ContextVar("stop", default=lambda: False)

RENDER_EVERY = float(os.environ.get("PLAYGROUND_RENDER_EVERY", "0.5"))    # seconds between redraws, at least
TICK = float(os.environ.get("PLAYGROUND_TICK", "0.25"))                  # seconds between status-only updates
MAX_SECONDS = float(os.environ.get("PLAYGROUND_MAX_SECONDS", "900"))     # one Train press, at most


def cpu_quota(root: str = "/sys/fs/cgroup") -> int:
    """CPUs this container may use: its cgroup CPU quota (v2 ``cpu.max``, else v1 ``cpu.cfs_quota_us`` /
    ``cpu.cfs_period_us``), capped by the CPUs the process may run on (``os.sched_getaffinity``, else
    ``os.cpu_count()``). A Space's container sees the host's cores in ``os.cpu_count()``, not its share."""
    try:
        avail = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        avail = os.cpu_count() or 1
    base = Path(root)

    def read(*names: str) -> list[str] | None:
        for name in names:
            try:
                return (base / name).read_text().split()
            except (OSError, ValueError):
                continue
        return None

    limit = None
    v2 = read("cpu.max")
    if v2 and len(v2) >= 2 and v2[0] != "max":
        limit = (float(v2[0]), float(v2[1]))
    elif not v2:
        q = read("cpu.cfs_quota_us", "cpu/cpu.cfs_quota_us", "cpu,cpuacct/cpu.cfs_quota_us")
        p = read("cpu.cfs_period_us", "cpu/cpu.cfs_period_us", "cpu,cpuacct/cpu.cfs_period_us")
        if q and p and float(q[0]) > 0:
            limit = (float(q[0]), float(p[0]))
    if limit is None or limit[1] <= 0:
        return max(1, avail)
    return max(1, min(avail, int(limit[0] // limit[1])))


_CPUS = cpu_quota()
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
    press: object | None = field(default=None, repr=False)  # the token of the training that may run now
    pins: list = field(default_factory=list)        # pinned runs (playground/pins.py): outlive this run

    def begin(self) -> object:
        """A new training (a Train press or a side training) starts: any older one of this session ends
        at its next step, so two never train one visitor's run at once."""
        self.press = token = object()
        return token

    def halt(self) -> None:
        """Stop or Reset: whatever trains for this session ends at its next step, wherever it runs
        (Gradio's cancel only reaches a generator at a yield, and never a thread inside a handler)."""
        self.press = None

    def live(self, token: object) -> bool:
        return self.press is token


def check_budget(family: str, cfg: Any, data: Any) -> None:
    """Refuse settings whose memory or time per step would be too much for one visitor of a shared
    server (trainers/budget.py: a ValueError that says which setting to lower)."""
    from trainers import budget
    from trainers.loop import pick_device
    device = pick_device(os.environ.get("PLAYGROUND_DEVICE", "auto")).type
    budget.check(family, cfg, data.shape, data.num_classes, device=device)


def trim() -> None:
    """Hand freed memory back to the OS (glibc keeps it otherwise; up to ~100 MB after a crowd leaves)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass                                     # not glibc: nothing to do


def should_stop() -> bool:
    """Inside a side training (``Panel.on(..., train=True)``): has Stop or Reset asked it to end?"""
    return bool(_STOP.get()())


@contextmanager
def stop_when(stop: Any):
    """Inside: :func:`should_stop` asks ``stop()`` (e.g. a worker decoding an upload for a Train press)."""
    reset = _STOP.set(stop)
    try:
        yield
    finally:
        _STOP.reset(reset)


def in_worker(fn: Callable[[], None]) -> Iterator[float]:
    """Run ``fn`` (reading the data, building the model) in a worker thread; yield the seconds waited every
    ``TICK`` while it runs. Stop acts at a yield, so it can end a long decode of an upload: closing this
    generator makes :func:`should_stop` true inside ``fn`` (the upload reader asks it between images).
    ``fn``'s exception is raised here; a ValueError/DataError/TypeError becomes the page's message."""
    stop, err = threading.Event(), []

    def work() -> None:
        with stop_when(stop.is_set):
            try:
                fn()
            except BaseException as e:       # handed to the request's thread below
                err.append(e)

    worker = threading.Thread(target=contextvars.copy_context().run, args=(work,), daemon=True)
    t0 = time.perf_counter()
    worker.start()
    try:
        while worker.is_alive():
            worker.join(TICK)
            if worker.is_alive():
                yield time.perf_counter() - t0
    except GeneratorExit:
        stop.set()
        raise
    if err:
        if isinstance(err[0], (ValueError, DataError, TypeError)):
            raise gr.Error(str(err[0])) from None
        raise err[0]


@contextmanager
def training(s: Session):
    """A side training of ``s`` (the AE tab's comparisons): it takes over the session's press, so Stop
    and Reset end it at its next step (:func:`should_stop`), like a Train press."""
    token = s.begin()
    reset = _STOP.set(lambda: not s.live(token))
    try:
        yield
    finally:
        _STOP.reset(reset)
        if s.live(token):
            s.press = None


def free(session: Session | None) -> None:
    """gr.State's delete callback: end its training and drop the model's memory as soon as a session ends."""
    if session is not None:
        session.halt()
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
