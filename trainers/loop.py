"""One generic training loop for every family: seeding, device, step timing, cancellation.

A :class:`Run` is what a visitor trains, stops and resumes: a model, its data (already on the
device), where the epoch stands, and the metrics history. :func:`train` advances it and yields
:class:`Metrics` after every step; the caller decides how often to look (the UI throttles).
Loss terms stay on the device: a step only queues them (no host sync), and :meth:`Run.flush` brings
every queued step to the host in one transfer when someone looks (reads ``run.history`` or a yielded
``Metrics``' terms), every ``GOOD_EVERY`` steps, at the end of :func:`train` and before pickling.
Never prints.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch

from . import family as _family
from .base import Batch, Diverged, GenerativeModel, Metrics, global_rng
from .data import Dataset
from .devices import _move_model, pick_device  # noqa: F401  (pick_device: part of this module's API)
from .history import History, LiveMetrics

__all__ = ["History", "LiveMetrics", "Run", "pick_device", "train"]



class Run:
    """A model, its data and where training stands: a value that pickles and continues bit-identically.

    Everything that decides the next step lives here: weights and optimiser state (on the model), the
    data order (``order``: a generator, the epoch's permutation and the position in it), the noise the
    model draws while training (``noise``: a generator of the run's own, so another visitor's run or a
    view that samples in between cannot change this run's numbers), the epoch's running sums and the
    history. ``pickle.dumps(run)`` carries all of it (the lock is recreated on the other side).
    """

    GOOD_EVERY = 50   # steps between copies of the last good weights (restored on NaN)
    STACK_ON_CPU = False   # True: queue terms as device tensors on the CPU too (tests cover the GPU path)

    def __init__(self, family: str, cfg: Any, data: Dataset, device: str | torch.device = "auto",
                 model: GenerativeModel | None = None) -> None:
        self.family = family
        self.cfg = cfg
        self.device = pick_device(device) if isinstance(device, str) else device
        self.data = data.to(self.device)
        seed = int(getattr(cfg, "seed", 0))
        if model is None:
            mod = _family(family)
            with global_rng(seed):
                model = mod.Model(cfg, data.shape, data.num_classes)
        self.model = model.to(self.device)
        self.model.optimizers = self.model.configure_optimizers()
        self.noise = torch.Generator(device=self.device).manual_seed(seed + 1)
        self.model.rng = self.noise
        self.batch_size = int(getattr(cfg, "batch_size", 128))
        self.step = 0
        self.epoch = 0                 # completed epochs
        self.order = torch.Generator().manual_seed(seed)
        self.perm: torch.Tensor | None = None    # this epoch's order of the training examples
        self.pos = 0                   # how many of them this epoch has used
        self.epoch_sums: dict[str, float] = {}
        self.epoch_count = 0
        self.good: tuple[dict, list] | None = None   # the last weights that gave a finite loss
        self._history = History()
        self.diverged: Diverged | None = None  # what the latest flush found, until train() raises it
        self.extras: dict[str, Any] = {}   # trained companions that travel with the run (VQ-VAE's priors)
        self._clear_pending()
        self.lock = threading.RLock()  # views read the model while a train burst may be running
        self.steps_per_s = 0.0         # steps over the wall time of the latest train() call (drawing included)
        self.train_seconds = 0.0       # wall time spent inside train steps (for the render budget)

    # -- travelling ----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        self.flush()
        d = self.__dict__.copy()
        for k in ("lock", "_queue", "_rows", "_candidate"):
            d.pop(k, None)
        d["order"] = self.order.get_state()
        d["noise"] = self.noise.get_state()
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        order, noise = d.pop("order"), d.pop("noise")
        if "history" in d:                     # pickled before terms stayed on the device
            d["_history"] = d.pop("history")
        d.setdefault("diverged", None)
        d.setdefault("extras", {})
        self.__dict__.update(d)
        self.lock = threading.RLock()
        self._clear_pending()
        self.order = torch.Generator()
        self.order.set_state(order)
        self.noise = torch.Generator(device=self.device)
        self.noise.set_state(noise)
        if self.model is not None:
            self.model.rng = self.noise

    def to(self, device: str | torch.device) -> "Run":
        """Move the run (weights, optimiser state, data, noise) to ``device``: a GPU burst takes it there
        and hands it back on the CPU. The noise generator is re-seeded from its own next draw (a state
        cannot cross device kinds), so the run goes on deterministically, not bit-identically."""
        device = torch.device(device)
        if device == self.device:
            return self
        with self.lock:
            self.flush()
            _move_model(self.model, device)
            self.data = self.data.to(device)
            self.perm = None if self.perm is None else self.perm.to(device)
            seed = int(torch.randint(0, 2**62, (1,), generator=self.noise, device=self.device))
            self.noise = torch.Generator(device=device).manual_seed(seed)
            self.model.rng = self.noise
            self.device = device
            self.mark_good()
        return self

    def position(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Where training stands, as tensors and JSON values (what a checkpoint stores besides weights)."""
        self.flush()
        tensors = {"order": self.order.get_state(), "noise": self.noise.get_state()}
        if self.perm is not None:
            tensors["perm"] = self.perm.cpu()
        return tensors, {"step": self.step, "epoch": self.epoch, "pos": self.pos,
                         "epoch_sums": dict(self.epoch_sums), "epoch_count": self.epoch_count,
                         "noise_device": self.device.type}

    def restore_position(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        """Undo :meth:`position` (from a checkpoint): check every part, then continue where it stood.

        Raises ValueError naming the part that does not fit. A noise state saved on another kind of
        device cannot be used here: the run then draws fresh noise (it continues, not bit-identically).
        """
        n = len(self.data)
        perm = tensors.get("perm")
        if perm is not None:
            if perm.dtype != torch.int64 or perm.dim() != 1 or len(perm) != n or \
                    not torch.equal(torch.sort(perm).values, torch.arange(n)):
                raise ValueError(f"The saved data order is not a permutation of the {n} training examples.")
        pos = meta.get("pos", 0)
        if isinstance(pos, bool) or not isinstance(pos, int) or pos < 0 or (perm is None and pos):
            raise ValueError(f"The saved position in the epoch ({pos!r}) does not fit {n} training examples.")
        pos = min(pos, n)              # past the end (the last batch was short) means: the epoch is over
        self.flush()
        sums, count = meta.get("epoch_sums", {}), meta.get("epoch_count", 0)
        if not isinstance(sums, dict) or not all(isinstance(v, (int, float)) for v in sums.values()) or \
                isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError("The saved running means of the epoch are malformed.")
        try:
            if "order" in tensors:
                self.order.set_state(tensors["order"].to(torch.uint8))
            if "noise" in tensors and meta.get("noise_device", self.device.type) == self.device.type:
                self.noise.set_state(tensors["noise"].to(torch.uint8))
        except (RuntimeError, TypeError, ValueError):
            raise ValueError("The saved random number generator state is damaged.") from None
        self.step, self.epoch = int(meta.get("step", self.step)), int(meta.get("epoch", self.epoch))
        self.perm = None if perm is None else perm.to(self.device)
        self.pos = pos
        self.epoch_sums, self.epoch_count = {str(k): float(v) for k, v in sums.items()}, count
        self.model.on_epoch_start(self.epoch)

    @property
    def epoch_progress(self) -> float:
        """Completed epochs plus the fraction of the current one (for status lines and curves)."""
        return self.epoch + min(1.0, self.pos / max(1, len(self.data)))

    # -- settings ---------------------------------------------------------------------------
    def live_changes(self, cfg: Any) -> tuple[list[str], list[str]]:
        """(live, other) names of the settings in which ``cfg`` differs from this run's."""
        live, other = [], []
        for f in dataclasses.fields(cfg):
            if getattr(cfg, f.name) != getattr(self.cfg, f.name):
                (live if f.metadata.get("live") else other).append(f.name)
        return live, other

    def update_config(self, cfg: Any) -> None:
        """Apply changed ``live`` settings (learning rate, β, ...) to the running model."""
        with self.lock:
            self.cfg = cfg
            self.model.apply_config(cfg)
            self.model.on_epoch_start(self.epoch)
            self.batch_size = int(getattr(cfg, "batch_size", self.batch_size))

    # -- data -----------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return max(1, -(-len(self.data) // self.batch_size))

    def next_batch(self) -> tuple[Batch, bool]:
        """The next minibatch of this epoch's permutation, and whether an epoch just ended (its means are
        computed by :meth:`flush`, from the queued terms, into ``history.epochs``)."""
        ended = False
        if self.perm is None or self.pos >= len(self.perm):
            if self.perm is not None:                       # an epoch just ended
                self.epoch += 1
                self._queue.append((self.epoch, self.step))
                ended = True
            self.perm = torch.randperm(len(self.data), generator=self.order).to(self.device)
            self.pos = 0
            self.model.on_epoch_start(self.epoch)
        idx = self.perm[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        # index_select: a plain row gather, several times faster on CPU than advanced indexing x[idx]
        y = self.data.y.index_select(0, idx) if self.data.y is not None else None
        return Batch(self.data.x.index_select(0, idx), y), ended

    def record(self, out: dict[str, Any]) -> LiveMetrics:
        """Count one finished step: its terms are queued (on a GPU as one small tensor: no host sync)
        to join the history and the epoch's means at the next :meth:`flush`. ``out["loss"]`` is the
        step's total (checked for NaN there); other 0-d terms become curves, 1-D terms bar charts.
        On the CPU, reading a value is no sync: the terms are read at once (cheaper than stacking)."""
        self.step += 1
        keys, vectors = [], {}
        m = LiveMetrics(self, self.step, self.epoch_progress, vectors)
        if self.device.type == "cpu" and not self.STACK_ON_CPU:
            m._row = row = [float(out["loss"].detach())]
            for k, v in out.items():
                if k == "loss":              # the tensor to minimise; families name their total
                    continue
                if isinstance(v, torch.Tensor) and v.dim():
                    vectors[k] = v.detach().float().tolist()
                else:
                    keys.append(k)
                    row.append(float(v))
        else:
            vals, host = [out["loss"].detach()], None
            on_cpu = vals[0].is_cpu
            for k, v in out.items():
                if k == "loss":
                    continue
                if isinstance(v, torch.Tensor) and v.dim():
                    vectors[k] = v.detach().to(torch.float32, copy=True)     # later steps may change v
                    continue
                keys.append(k)
                if isinstance(v, torch.Tensor) and v.is_cpu == on_cpu:
                    vals.append(v.detach())
                else:                        # a host number (or a CPU tensor beside a GPU loss)
                    host = host or {}
                    host[k] = float(v)
            m._host, m._n = host, len(vals)
            self._rows.append(torch.stack(vals))
        m._keys = tuple(keys)
        self._queue.append(m)
        return m

    def _clear_pending(self) -> None:
        self._queue: list[Any] = []          # LiveMetrics of steps and (epoch, step) epoch ends, in order
        self._rows: list[torch.Tensor] = []  # each queued step's [loss, *terms] on the device
        self._candidate: tuple[int, tuple[dict, list]] | None = None   # (step, weights) awaiting a check

    @property
    def history(self) -> History:
        """Every step's terms and every epoch's means (reading it brings queued steps to the host)."""
        self.flush()
        return self._history

    @history.setter
    def history(self, h: History) -> None:
        with self.lock:
            self._clear_pending()
            self._history = h

    def flush(self) -> Diverged | None:
        """Bring every queued step's terms to the host in one transfer: into the history, the epoch's
        means and the yielded Metrics. Weights saved before step g+1 become the last good weights once
        every loss up to step g+1 is known to be finite. If a queued loss is not finite, restore the last
        good weights, forget that step and the later ones, and return (and keep in ``self.diverged``)
        the :class:`Diverged` naming the first bad step; train() raises it."""
        with self.lock:
            if not self._queue:
                return None
            queue, rows, cand = self._queue, self._rows, self._candidate
            self._clear_pending()
            flat = torch.cat(rows).tolist() if rows else []      # the one device-to-host transfer
            h, off, bad, ended, last = self._history, 0, None, None, 0
            for e in queue:
                if isinstance(e, tuple):                         # an epoch ended before the next step
                    if bad is None:
                        ended = {k: v / max(1, self.epoch_count) for k, v in self.epoch_sums.items()}
                        h.epochs.append({"epoch": e[0], "step": e[1], **ended})
                        self.epoch_sums, self.epoch_count = {}, 0
                    continue
                if e._row is None:
                    vals, off = flat[off:off + e._n], off + e._n
                else:
                    vals = e._row
                loss, last, it = vals[0], e.step, iter(vals[1:])
                terms = {k: e._host[k] if k in e._host else next(it) for k in e._keys} \
                    if e._host else dict(zip(e._keys, it))
                terms = terms or {"total": loss}
                e._terms, e._end, e._row, ended = terms, ended, None, None
                if bad is None and not math.isfinite(loss):
                    bad = (e.step, loss)
                if bad is None:
                    h.append(e.step, terms)
                    for k, v in terms.items():
                        self.epoch_sums[k] = self.epoch_sums.get(k, 0.0) + v
                    self.epoch_count += 1
            checked = bad[0] - 1 if bad else last
            if cand is not None and cand[0] + 1 <= checked:     # its weights gave a finite loss
                self.good = cand[1]
            elif cand is not None and bad is None:
                self._candidate = cand                         # its step is not done yet
            if bad is None:
                return None
            self.step = bad[0] - 1
            if self.model is not None:          # (None: the session was freed)
                self.restore_good()
            self.diverged = Diverged(f"The loss became {bad[1]} at step {bad[0]}: training diverged "
                                     f"(try a smaller learning rate). The last good weights were kept.")
            return self.diverged

    # -- weights ----------------------------------------------------------------------------
    def snapshot(self) -> tuple[dict, list]:
        """A copy of the weights and optimiser states (see :meth:`mark_good`)."""
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return state, [copy.deepcopy(o.state_dict()) for o in self.model.optimizers]

    def mark_good(self, snapshot: tuple[dict, list] | None = None) -> None:
        """Remember ``snapshot`` (default: the weights now) as the last good weights, restored on NaN."""
        self.good = snapshot if snapshot is not None else self.snapshot()

    def restore_good(self) -> None:
        if self.good is None:
            return
        state, opts = self.good
        self.model.load_state_dict(state)
        for o, s in zip(self.model.optimizers, opts):
            o.load_state_dict(copy.deepcopy(s))

    @contextmanager
    def evaluating(self) -> Iterator[GenerativeModel]:
        """Use the model for a view: locked against a running train burst, in eval mode."""
        with self.lock:
            was = self.model.training
            self.model.eval()
            try:
                with torch.no_grad():
                    yield self.model
            finally:
                self.model.train(was)


def train(run: Run, steps: int | None = None, seconds: float | None = None,
          cancel: Callable[[], bool] | None = None) -> Iterator[Metrics]:
    """Advance ``run`` by ``steps`` optimizer steps (or for ``seconds``), yielding after each step.

    Raises :class:`Diverged` (after restoring the last good weights) if the loss stops being finite:
    found when the queued terms are flushed (a look, every ``Run.GOOD_EVERY`` steps, the end), so it
    names the first bad step though a few steps more may have run. Closing the generator (Stop) leaves
    the run consistent: a step is never half-done at a yield, and the queued steps are flushed.
    """
    model = run.model
    start = time.perf_counter()
    done = 0
    run.diverged = None
    try:
        while (steps is None or done < steps) and (seconds is None or time.perf_counter() - start < seconds):
            if cancel is not None and cancel():
                break
            with run.lock:
                t0 = time.perf_counter()
                # tiny activations otherwise slow CPU math ~2×. The flag lives in a CPU register of the
                # *thread*, and Gradio resumes a generator on any of its worker threads: set it at every
                # step, or the same seed gives different low bits depending on the thread (issue 16.9)
                torch.set_flush_denormal(True)
                if run.step % Run.GOOD_EVERY == 0 or (run.good is None and run._candidate is None):
                    # check what is queued before saving candidate good weights: at most one waits
                    if run.flush() is not None:
                        break
                    run._candidate = (run.step, run.snapshot())
                model.train()
                batch, _ = run.next_batch()
                m = run.record(model.train_step(batch))
                done += 1
                t1 = time.perf_counter()
                run.train_seconds += t1 - t0
                # what a visitor sees: steps over the wall time of this press, the time spent drawing
                # between steps included (a smoothed per-step rate overstated it ~3×)
                run.steps_per_s = m.steps_per_s = done / max(t1 - start, 1e-9)
            yield m
            if run.diverged is not None:       # someone looked while we were suspended and found a NaN
                break
        run.flush()
        if run.diverged is not None:
            err, run.diverged = run.diverged, None
            raise err
    finally:
        run.flush()                          # Stop closes us at a yield: what was queued still counts
        model.eval()
