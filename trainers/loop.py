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
    """A model, its data and where training stands."""

    GOOD_EVERY = 50   # steps between copies of the last good weights (restored on NaN)

    def __init__(self, family: str, cfg: Any, data: Dataset, device: str | torch.device = "auto",
                 model: GenerativeModel | None = None) -> None:
        self.family = family
        self.cfg = cfg
        self.device = pick_device(device) if isinstance(device, str) else device
        self.data = data.to(self.device)
        if model is None:
            mod = _family(family)
            with _SEED_LOCK:
                torch.manual_seed(int(getattr(cfg, "seed", 0)))
                model = mod.Model(cfg, data.shape, data.num_classes)
        self.model = model.to(self.device)
        self.model.optimizers = self.model.configure_optimizers()
        self.batch_size = int(getattr(cfg, "batch_size", 128))
        self.step = 0
        self.epoch = 0                 # completed epochs
        self._pos = 0                  # position inside the current epoch's permutation
        self._perm: torch.Tensor | None = None
        self._epoch_sums: dict[str, float] = {}
        self._epoch_count = 0
        self._gen = torch.Generator().manual_seed(int(getattr(cfg, "seed", 0)))
        self._good: tuple[dict, list] | None = None
        self.history = History()
        self.lock = threading.RLock()  # views read the model while a train burst may be running
        self.steps_per_s = 0.0
        self.train_seconds = 0.0       # wall time spent inside train steps (for the render budget)
        self.ui: dict[str, Any] = {}   # view settings a front end keeps with the run (chosen images, ...)

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

    def _next_batch(self) -> tuple[Batch, dict[str, float] | None]:
        ended = None
        if self._perm is None or self._pos >= len(self._perm):
            if self._perm is not None:                       # an epoch just ended
                ended = {k: v / max(1, self._epoch_count) for k, v in self._epoch_sums.items()}
                self.epoch += 1
                self.history.epochs.append({"epoch": self.epoch, "step": self.step, **ended})
                self._epoch_sums, self._epoch_count = {}, 0
            self._perm = torch.randperm(len(self.data), generator=self._gen).to(self.device)
            self._pos = 0
            self.model.on_epoch_start(self.epoch)
        idx = self._perm[self._pos:self._pos + self.batch_size]
        self._pos += self.batch_size
        # index_select: a plain row gather, several times faster on CPU than advanced indexing x[idx]
        y = self.data.y.index_select(0, idx) if self.data.y is not None else None
        return Batch(self.data.x.index_select(0, idx), y), ended

    # -- weights ----------------------------------------------------------------------------
    def _snapshot(self) -> tuple[dict, list]:
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return state, [copy.deepcopy(o.state_dict()) for o in self.model.optimizers]

    def _restore_good(self) -> None:
        if self._good is None:
            return
        state, opts = self._good
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

    Raises :class:`Diverged` (after restoring the last good weights) if the loss stops being finite.
    Closing the generator (Stop) leaves the run consistent: a step is never half-done at a yield.
    """
    torch.set_flush_denormal(True)   # tiny activations otherwise slow CPU math ~2×; no effect on results shown
    model = run.model
    start = time.perf_counter()
    done = 0
    t_last = None
    try:
        while (steps is None or done < steps) and (seconds is None or time.perf_counter() - start < seconds):
            if cancel is not None and cancel():
                return
            with run.lock:
                t0 = time.perf_counter()
                model.train()
                batch, ended = run._next_batch()
                candidate = run._snapshot() if run.step % Run.GOOD_EVERY == 0 else None
                out = model.train_step(batch)
                loss = float(out["loss"].detach())
                if not np.isfinite(loss):
                    run._restore_good()
                    raise Diverged(f"The loss became {loss} at step {run.step + 1}: training diverged "
                                   f"(try a smaller learning rate). The last good weights were kept.")
                terms, vectors = {}, {}
                for k, v in out.items():
                    if k == "loss":              # the tensor to minimise; families name their total
                        continue
                    if isinstance(v, torch.Tensor) and v.dim() > 0:
                        vectors[k] = v.detach().float().cpu().tolist()
                    else:
                        terms[k] = float(v)
                if not terms:
                    terms["total"] = loss
                run.step += 1
                done += 1
                run.history.append(run.step, terms)
                for k, v in terms.items():
                    run._epoch_sums[k] = run._epoch_sums.get(k, 0.0) + v
                run._epoch_count += 1
                if candidate is not None:      # these weights gave a finite loss: they are good
                    run._good = candidate
                t1 = time.perf_counter()
                run.train_seconds += t1 - t0
                dt = t1 - (t_last if t_last is not None else t0)
                t_last = t1
                run.steps_per_s = 1.0 / dt if run.steps_per_s == 0 else 0.9 * run.steps_per_s + 0.1 / max(dt, 1e-9)
            frac = run.epoch + min(1.0, run._pos / max(1, len(run.data)))
            yield Metrics(run.step, frac, terms, vectors, run.steps_per_s, ended)
    finally:
        model.eval()
