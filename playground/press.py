"""One Train press: its frames while it trains, and which press of a page may still speak.

A press is a generator the queue runs for one page. Reset and Stop come as other events of the same page,
and may land at any moment of it: while the press waits for the data to be read and the model built
(before there is a run to halt), or while it draws a frame. :class:`Ledger` remembers, per page and tab,
the one press that may still change the page; Reset and Stop retire it, so a press that outlived them
ends at its next step and yields nothing more (a frame it was drawing never overwrites the fresh state).
"""
from __future__ import annotations

import math
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator

from trainers.base import Diverged
from trainers.loop import Run, train

from . import latent, quality_live
from .session import Throttle, Timing

if TYPE_CHECKING:
    from .panel import Panel


class Press:
    """One press of a page's tab, as the ledger knows it: ``live()`` while no Reset, Stop or newer press
    came; ``done()`` when it has said its last word (returned, or was closed by Gradio's cancel)."""

    def __init__(self, ledger: "Ledger | None", key: tuple[str, str] | None) -> None:
        self.ledger, self.key = ledger, key
        self.quiet = threading.Event()

    def live(self) -> bool:
        return self.ledger is None or self.ledger._now.get(self.key) is self

    def done(self) -> None:
        self.quiet.set()
        if self.ledger is not None:
            with self.ledger._lock:
                if self.ledger._now.get(self.key) is self:
                    del self.ledger._now[self.key]


class Ledger:
    """Per (page, tab): the press that may still speak. Pages are Gradio session hashes; a call without one
    (a test calling a handler directly) gets no key, and its presses are always live.

    Retiring a press also waits (briefly) until it has gone quiet. Why: Gradio sends a streamed frame
    only after post-processing it (its images are written to files), so a frame drawn just before Reset
    could reach the page *after* Reset's own reply and show "training…" over the fresh state. A press
    checks :meth:`Press.live` before it draws again, which is after its previous frame was sent; so once
    it is quiet, nothing of it can still be on its way."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now: dict[tuple[str, str], Press] = {}

    @staticmethod
    def key(request: Any, family: str) -> tuple[str, str] | None:
        sid = getattr(request, "session_hash", None)
        return (sid, family) if sid else None

    def begin(self, key: tuple[str, str] | None) -> Press:
        """A new press of this page's tab: an older one falls silent."""
        if key is None:
            return Press(None, None)
        press = Press(self, key)
        with self._lock:
            self._now[key] = press
        return press

    def retire(self, key: tuple[str, str] | None, wait: float = 0.0) -> bool:
        """Stop or Reset on this page's tab: whatever press runs there ends at its next step, silently.
        Waits up to ``wait`` s for it to go quiet (one training step and one frame, at most); True if it
        did, or there was none."""
        if key is None:
            return True
        with self._lock:
            press = self._now.pop(key, None)
        return press is None or press.quiet.wait(wait)

    def forget(self, session_hash: str) -> None:
        """The page closed."""
        with self._lock:
            for k in [k for k in self._now if k[0] == session_hash]:
                del self._now[k]

    def __len__(self) -> int:
        return len(self._now)


PRESSES = Ledger()
QUIET_WAIT = float(os.environ.get("PLAYGROUND_STEP_SECONDS", "10")) + 2   # a step at most, and a frame
STATUS, CURVES = "__status__", "__curves__"      # the panel's own names among a tab's views


def frames(panel: "Panel", run: Run, view: Any, steps: int, live: Callable[[], bool], seconds: float,
           press: tuple[int, int] | None = None) -> Iterator[tuple[str, Any]]:
    """Train ``run`` for ``steps`` steps or ``seconds``, as name-keyed frames: ``("frame", {name: value})``
    a few times a second (see :class:`Throttle`), ``("tick", status)`` in between, and ``("end", {...})``
    saying how it ended, unless ``live()`` turned false (Stop, Reset, a newer press: nothing more; the
    caller, :meth:`Panel.stream`, also drops a frame that was being drawn when it happened). ``press``: (first step, steps) of the whole press
    when this is one burst of it."""
    timing, throttle = Timing(run), Throttle()
    message, step0 = "done: press **Train** to continue.", run.step
    first, total = press or (step0, steps)

    def where() -> str:
        done = run.step - first
        left = (total - done) / run.steps_per_s if run.steps_per_s > 0 else float("nan")
        eta = f" · ~{left:,.0f} s left" if math.isfinite(left) else ""
        return f"training… {done:,} of {total:,} steps{eta}{quality_live.note(view)}"
    try:
        for _ in train(run, steps=steps, seconds=seconds, cancel=lambda: not live()):
            scored = quality_live.maybe_score(run, view)       # "score every N steps" (issue 14): its seconds
            timing.render += scored
            due = "redraw" if scored else throttle.due()
            if due == "redraw":
                t0 = time.perf_counter()
                out = panel.named(run, view, where(), timing)
                spent = time.perf_counter() - t0
                timing.render += spent
                throttle.drew(spent)
                yield "frame", out         # (Panel.stream drops it if Reset/Stop came while it was drawn)
            elif due == "tick":
                yield "tick", panel._status(run, timing, where())
                throttle.ticked()
        if not live():                  # Stop, Reset or a newer press took over: say nothing more
            return
        if run.step - step0 < steps:      # the loop ended early: the time limit
            message = (f"paused at step {run.step:,} after {seconds:.0f} s (the limit of one "
                       f"press): press **Train** to continue.")
    except Diverged as e:
        message = f"⚠️ {e}"
    t0 = time.perf_counter()
    latent.redraw_all(view)
    out = panel.named(run, view, message, timing)
    timing.render += time.perf_counter() - t0
    out[STATUS] = panel._status(run, timing, message)
    yield "end", out
