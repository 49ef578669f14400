"""A Train press as a sequence of GPU bursts: how the playground trains on a free ZeroGPU Space.

On ZeroGPU a GPU exists only inside a call decorated with ``@spaces.GPU``, which runs in a forked child:
its arguments go in pickled, every yield comes out pickled, CUDA tensors cannot cross, and one call may
last ``zerogpu.burst_seconds()`` (45 s). So :func:`press` hands the visitor's run to :func:`burst`, which
moves it to the GPU, trains with the tab's own streaming (:meth:`Panel.frames`: the same curves and
views, rendered in the child), sends a copy of the run back every ``SNAPSHOT_EVERY`` seconds and at the
end, and :func:`press` starts the next burst until the press is done. Stop closes the burst (the child
is killed) and keeps the last copy: at most ``SNAPSHOT_EVERY`` seconds of training are lost. When the
visitor's GPU allowance is used up, the press goes on here, on the CPU, and says so.

The run's data stays in this process: a copy of the run travels without it (:func:`portable`) and is
joined to it again here (:func:`attach`). Without ZeroGPU (``zerogpu.mode() == "off"``) none of this
runs: the panel trains in-process.
"""
from __future__ import annotations

import copy
import os
import time
from typing import Any, Callable, Iterator

import torch

from trainers.devices import _move_model, pick_device
from trainers.loop import Run

from . import session, zerogpu

PANELS: dict[str, Any] = {}      # family → its Panel (Panel.wire registers it; a forked child inherits it)
SNAPSHOT_EVERY = float(os.environ.get("PLAYGROUND_SNAPSHOT_EVERY", "2"))
BURST_STEPS: int | None = None   # at most this many steps per burst (tests: several bursts per press)
QUOTA_NOTE = "GPU allowance used up for today: continuing on CPU."


def portable(run: Run) -> dict[str, Any]:
    """The run's state without its data, every tensor on the CPU (a copy when the run is on a GPU, which
    keeps training there)."""
    d = run.__getstate__()
    d.pop("data")
    if run.device.type != "cpu":
        model = copy.deepcopy(run.model)
        _move_model(model, torch.device("cpu"))
        seed = int(torch.randint(0, 2**62, (1,), generator=run.noise, device=run.device))
        d.update(model=model, device=torch.device("cpu"), good=None,
                 perm=None if run.perm is None else run.perm.cpu(),
                 noise=torch.Generator().manual_seed(seed).get_state())
    return d


def attach(state: dict[str, Any], data: Any) -> Run:
    """Undo :func:`portable` with the run's ``data`` (kept in this process)."""
    run = Run.__new__(Run)
    run.__setstate__({**state, "data": data.to(state["device"])})
    return run


def train_burst(family: str, run: Run, view: Any, steps: int, seconds: float,
          press_span: tuple[int, int]) -> Iterator[tuple[str, Any]]:
    """One burst, in the GPU's process: train ``run`` for ``steps`` steps or ``seconds`` on the best device,
    yielding the tab's frames, ``("run", (state, view))`` copies, and the burst's ``("end", frame)``."""
    panel = PANELS[family]
    zerogpu.forked_child_threads()
    run.to(pick_device(os.environ.get("PLAYGROUND_DEVICE", "auto")))
    last = time.monotonic()
    for kind, body in panel.frames(run, view, steps, lambda: True, seconds, press_span):
        if kind == "end":
            yield "run", (portable(run), view)
        yield kind, body
        if kind != "end" and time.monotonic() - last >= SNAPSHOT_EVERY:
            yield "run", (portable(run), view)
            last = time.monotonic()


# the GPU call: spaces.GPU on ZeroGPU, a forked child under the stand-in, the function itself otherwise
burst = zerogpu.gpu(duration=zerogpu.BURST_SECONDS + 15)(train_burst)


def press(panel: Any, s: session.Session, steps: int, live: Callable[[], bool]) -> Iterator[tuple[str, Any]]:
    """A whole Train press of ``s.run`` as bursts (see the module's docstring), as :meth:`Panel.frames`."""
    from .panel import STATUS
    first, t0 = s.run.step, time.monotonic()
    while live():
        left = steps - (s.run.step - first)
        budget = session.MAX_SECONDS - (time.monotonic() - t0)
        if left <= 0 or budget <= 0:
            break
        try:
            end = None
            n = left if BURST_STEPS is None else min(left, BURST_STEPS)
            for kind, body in burst(panel.family, s.run, s.view, n, min(zerogpu.burst_seconds() or budget, budget),
                                    (first, steps)):
                if kind == "run":
                    state, view = body
                    s.run, s.view = attach(state, s.run.data), view
                elif kind == "end":
                    end = body
                else:
                    yield kind, body
        except zerogpu.QuotaExceeded:
            for kind, body in panel.frames(s.run, s.view, left, live, budget, (first, steps)):
                yield kind, _with_note(kind, body)
            return
        if end is not None and (s.run.step - first >= steps or "⚠️" in str(end.get(STATUS, ""))):
            yield "end", end                   # done, or diverged: the burst's last frame says so
            return
    if not live():
        return
    message = (f"paused at step {s.run.step:,} after {session.MAX_SECONDS:.0f} s (the limit of one press): "
               f"press **Train** to continue.")
    yield "end", panel.named(s.run, s.view, message)


def _with_note(kind: str, body: Any) -> Any:
    """A CPU continuation's frames say why the run left the GPU."""
    if kind == "tick":
        return f"{body} · {QUOTA_NOTE}"
    from .panel import STATUS
    body[STATUS] = f"{body[STATUS]} · {QUOTA_NOTE}"
    return body
