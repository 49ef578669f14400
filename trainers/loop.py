"""One generic training loop for every family: seeding, device, step timing, cancellation.

A :class:`Run` is what a visitor trains, stops and resumes: a model, its data (already on the
device), where the epoch stands, and the metrics history. :func:`train` advances it and yields
:class:`Metrics` after every step; the caller decides how often to look (the UI throttles).
Never prints.
"""
from __future__ import annotations

import copy
import csv
import dataclasses
import io
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np
import torch

from . import family as _family
from .base import Batch, Diverged, GenerativeModel, Metrics
from .data import Dataset

_SEED_LOCK = threading.Lock()   # model init draws from torch's global RNG: one seeded build at a time


def pick_device(pref: str = "auto") -> torch.device:
    """cuda when present, else Apple's mps, else cpu; or exactly what ``pref`` names."""
    if pref and pref != "auto":
        return torch.device(pref)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class History:
    """Every step's scalar terms and every epoch's means: the curves and the CSV export."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.terms: dict[str, list[float]] = {}
        self.epochs: list[dict[str, float]] = []   # {"epoch", "step", term means...}

    def append(self, step: int, terms: dict[str, float]) -> None:
        n = len(self.steps)
        self.steps.append(step)
        for k, v in terms.items():
            col = self.terms.get(k)
            if col is None:
                col = self.terms[k] = [float("nan")] * n
            col.append(v)
        for k, col in self.terms.items():
            if len(col) < n + 1:
                col.append(float("nan"))

    def series(self, key: str, max_points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values), block-averaged down to at most ``max_points`` (curves stay light)."""
        x = np.asarray(self.steps, dtype=np.float64)
        y = np.asarray(self.terms.get(key, []), dtype=np.float64)
        if len(x) > max_points:
            k = -(-len(x) // max_points)
            m = (len(x) // k) * k
            tail_x, tail_y = x[m:], y[m:]
            x = np.concatenate([x[:m].reshape(-1, k)[:, -1], tail_x[-1:]])
            y = np.concatenate([np.nanmean(y[:m].reshape(-1, k), 1), tail_y[-1:] if len(tail_y) else []]) \
                if len(tail_y) else np.nanmean(y[:m].reshape(-1, k), 1)
            x = x[: len(y)]
        return x, y

    def to_csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out)
        keys = list(self.terms)
        w.writerow(["step"] + keys)
        for i, s in enumerate(self.steps):
            w.writerow([s] + [f"{self.terms[k][i]:.6g}" for k in keys])
        return out.getvalue()

    def epochs_csv(self) -> str:
        out = io.StringIO()
        if self.epochs:
            w = csv.DictWriter(out, fieldnames=list(self.epochs[0]))
            w.writeheader()
            w.writerows(self.epochs)
        return out.getvalue()


class Run:
    """A model, its data and where training stands: a value that pickles and continues bit-identically.

    Everything that decides the next step lives here: weights and optimiser state (on the model), the
    data order (``order``: a generator, the epoch's permutation and the position in it), the noise the
    model draws while training (``noise``: a generator of the run's own, so another visitor's run or a
    view that samples in between cannot change this run's numbers), the epoch's running sums and the
    history. ``pickle.dumps(run)`` carries all of it (the lock is recreated on the other side).
    """

    GOOD_EVERY = 50   # steps between copies of the last good weights (restored on NaN)

    def __init__(self, family: str, cfg: Any, data: Dataset, device: str | torch.device = "auto",
                 model: GenerativeModel | None = None) -> None:
        self.family = family
        self.cfg = cfg
        self.device = pick_device(device) if isinstance(device, str) else device
        self.data = data.to(self.device)
        seed = int(getattr(cfg, "seed", 0))
        if model is None:
            mod = _family(family)
            with _SEED_LOCK:
                torch.manual_seed(seed)
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
        self.history = History()
        self.lock = threading.RLock()  # views read the model while a train burst may be running
        self.steps_per_s = 0.0         # steps over the wall time of the latest train() call (drawing included)
        self.train_seconds = 0.0       # wall time spent inside train steps (for the render budget)

    # -- travelling ----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        del d["lock"]
        d["order"] = self.order.get_state()
        d["noise"] = self.noise.get_state()
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        order, noise = d.pop("order"), d.pop("noise")
        self.__dict__.update(d)
        self.lock = threading.RLock()
        self.order = torch.Generator()
        self.order.set_state(order)
        self.noise = torch.Generator(device=self.device)
        self.noise.set_state(noise)
        if self.model is not None:
            self.model.rng = self.noise

    def position(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Where training stands, as tensors and JSON values (what a checkpoint stores besides weights)."""
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

    def next_batch(self) -> tuple[Batch, dict[str, float] | None]:
        """The next minibatch of this epoch's permutation, and the epoch's means if one just ended."""
        ended = None
        if self.perm is None or self.pos >= len(self.perm):
            if self.perm is not None:                       # an epoch just ended
                ended = {k: v / max(1, self.epoch_count) for k, v in self.epoch_sums.items()}
                self.epoch += 1
                self.history.epochs.append({"epoch": self.epoch, "step": self.step, **ended})
                self.epoch_sums, self.epoch_count = {}, 0
            self.perm = torch.randperm(len(self.data), generator=self.order).to(self.device)
            self.pos = 0
            self.model.on_epoch_start(self.epoch)
        idx = self.perm[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        # index_select: a plain row gather, several times faster on CPU than advanced indexing x[idx]
        y = self.data.y.index_select(0, idx) if self.data.y is not None else None
        return Batch(self.data.x.index_select(0, idx), y), ended

    def record(self, terms: dict[str, float]) -> None:
        """Count one finished step: its terms join the history and the epoch's means."""
        self.step += 1
        self.history.append(self.step, terms)
        for k, v in terms.items():
            self.epoch_sums[k] = self.epoch_sums.get(k, 0.0) + v
        self.epoch_count += 1

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


def _scalars(out: dict[str, Any], loss: float) -> tuple[dict[str, float], dict[str, list[float]]]:
    """A step's named terms: scalars become curves, 1-D tensors bar charts (``loss`` itself is not shown)."""
    terms, vectors = {}, {}
    for k, v in out.items():
        if k == "loss":                  # the tensor to minimise; families name their total
            continue
        if isinstance(v, torch.Tensor) and v.dim() > 0:
            vectors[k] = v.detach().float().cpu().tolist()
        else:
            terms[k] = float(v)
    return terms or {"total": loss}, vectors


def train(run: Run, steps: int | None = None, seconds: float | None = None,
          cancel: Callable[[], bool] | None = None) -> Iterator[Metrics]:
    """Advance ``run`` by ``steps`` optimizer steps (or for ``seconds``), yielding after each step.

    Raises :class:`Diverged` (after restoring the last good weights) if the loss stops being finite.
    Closing the generator (Stop) leaves the run consistent: a step is never half-done at a yield.
    """
    torch.set_flush_denormal(True)   # tiny activations otherwise slow CPU math ~2×; no effect on results shown
    model = run.model
    start = time.perf_counter()
    done = 0
    try:
        while (steps is None or done < steps) and (seconds is None or time.perf_counter() - start < seconds):
            if cancel is not None and cancel():
                return
            with run.lock:
                t0 = time.perf_counter()
                model.train()
                batch, ended = run.next_batch()
                candidate = run.snapshot() if run.step % Run.GOOD_EVERY == 0 else None
                out = model.train_step(batch)
                loss = float(out["loss"].detach())
                if not np.isfinite(loss):
                    run.restore_good()
                    raise Diverged(f"The loss became {loss} at step {run.step + 1}: training diverged "
                                   f"(try a smaller learning rate). The last good weights were kept.")
                terms, vectors = _scalars(out, loss)
                run.record(terms)
                done += 1
                if candidate is not None:      # these weights gave a finite loss: they are good
                    run.mark_good(candidate)
                t1 = time.perf_counter()
                run.train_seconds += t1 - t0
                # what a visitor sees: steps over the wall time of this press, the time spent drawing
                # between steps included (a smoothed per-step rate overstated it ~3×)
                run.steps_per_s = done / max(t1 - start, 1e-9)
            yield Metrics(run.step, run.epoch_progress, terms, vectors, run.steps_per_s, ended)
    finally:
        model.eval()
