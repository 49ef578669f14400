"""What a run has measured: every step's terms (:class:`History`), and the :class:`LiveMetrics` that
``loop.train`` yields, whose terms stay on the device until someone reads them.

Split from ``loop.py`` (which re-exports :class:`History`); never imports gradio.
"""
from __future__ import annotations

import csv
import io
from array import array
from typing import Any

import numpy as np
import torch

from .base import Metrics


class Column(array):
    """A typed array (8 bytes a value; a list of floats costs 32) that still compares equal to a list."""
    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        return not self == other


class History:
    """Every step's scalar terms and every epoch's means: the curves and the CSV export."""

    def __init__(self) -> None:
        # typed columns: a 15-minute press keeps ~4x less than in lists of Python floats
        self.steps = Column("q")
        self.terms: dict[str, Column] = {}
        self.epochs: list[dict[str, float]] = []   # {"epoch", "step", term means...}

    def append(self, step: int, terms: dict[str, float]) -> None:
        n = len(self.steps)
        self.steps.append(step)
        for k, v in terms.items():
            col = self.terms.get(k)
            if col is None:
                col = self.terms[k] = Column("d", [float("nan")] * n)
            col.append(v)
        for k, col in self.terms.items():
            if len(col) < n + 1:
                col.append(float("nan"))

    def mark(self, step: int, terms: dict[str, float]) -> None:
        """Sparse terms measured at ``step``, the latest row (a sample-quality score every N steps): their
        columns hold NaN at every other step, so they travel in the CSV like any term."""
        if not len(self.steps) or self.steps[-1] != step:
            raise ValueError(f"Sparse terms go on the latest step ({self.steps[-1] if len(self.steps) else None}); "
                             f"got step {step}.")
        for k, v in terms.items():
            col = self.terms.get(k)
            if col is None:
                col = self.terms[k] = Column("d", [float("nan")] * len(self.steps))
            col[-1] = float(v)

    def sparse(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of the steps where ``key`` was measured (not NaN)."""
        y = np.array(self.terms.get(key, []), dtype=np.float64)
        keep = ~np.isnan(y)
        return np.array(self.steps, dtype=np.float64)[: len(y)][keep], y[keep]

    def series(self, key: str, max_points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values), block-averaged down to at most ``max_points`` (curves stay light)."""
        # copies, never views: a view of a column would stop the training thread appending to it (BufferError)
        x = np.array(self.steps, dtype=np.float64)
        y = np.array(self.terms.get(key, []), dtype=np.float64)
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
            names = list(dict.fromkeys(k for e in self.epochs for k in e))     # terms may change between epochs
            w = csv.DictWriter(out, fieldnames=names)
            w.writeheader()
            w.writerows(self.epochs)
        return out.getvalue()


class LiveMetrics(Metrics):
    """:class:`Metrics` whose terms stay on the device until read: reading ``terms``, ``vectors`` or
    ``epoch_end`` flushes the run (one transfer for every queued step). Pickles as plain Metrics."""

    def __init__(self, run: Any, step: int, epoch: float, vectors: dict[str, torch.Tensor]) -> None:
        self.step, self.epoch, self.steps_per_s = step, epoch, 0.0
        self._run, self._terms, self._end, self._vectors = run, None, None, vectors
        # while queued (``Run.record`` sets them; ``Run.flush`` reads them): the names of the terms,
        # those known on the host, and the values: a host list, or ``_n`` values in a device row
        self._keys: tuple[str, ...] = ()
        self._host: dict[str, float] | None = None
        self._row: list[float] | None = None
        self._n = 0

    @property
    def terms(self) -> dict[str, float]:          # type: ignore[override]
        if self._terms is None:
            self._run.flush()
        return self._terms if self._terms is not None else {}

    @property
    def epoch_end(self) -> dict[str, float] | None:   # type: ignore[override]
        self.terms
        return self._end

    @property
    def vectors(self) -> dict[str, list[float]]:  # type: ignore[override]
        if any(isinstance(v, torch.Tensor) for v in self._vectors.values()):
            self._vectors = {k: v.cpu().tolist() for k, v in self._vectors.items()}
        return self._vectors

    def __reduce__(self) -> tuple[Any, ...]:
        return Metrics, (self.step, self.epoch, self.terms, self.vectors, self.steps_per_s, self.epoch_end)
