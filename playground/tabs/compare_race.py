"""The Compare tab's race: which families, how each is set up, and the table, grids and curves it ends with.
Kept apart from the page (compare.py) so a notebook or a test can race without Gradio's events."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from trainers import FAMILIES
from trainers.data import Dataset

from .. import figures

# label -> (family, settings that differ from its defaults, kinds of data it takes, how to sample for scoring)
ENTRIES: dict[str, tuple[str, dict[str, Any], tuple[str, ...], dict[str, Any]]] = {
    "VAE": ("vae", {}, ("image",), {}),
    "β-VAE (β = 4)": ("vae", {"beta": 4.0}, ("image",), {}),
    "VQ-VAE (no prior)": ("vqvae", {}, ("image",), {}),
    "GAN": ("gan", {}, ("image", "points"), {}),
    "DCGAN": ("gan", {"arch": "dcgan"}, ("image",), {}),
    # scored with 20 deterministic DDIM steps (as the diffusion tab's live preview): T = 100 DDPM steps on 500
    # samples took ~30× longer than the other families' sampling, on a loaded 2-core box
    "DDPM (DDIM-20 sampling)": ("diffusion", {}, ("image", "points"), {"sampler": "ddim", "steps": 20}),
    "VAE-GAN": ("vaevariants", {"variant": "vae-gan"}, ("image",), {}),
    "AAE": ("vaevariants", {"variant": "aae"}, ("image",), {}),
    "Score (VE SDE)": ("score", {}, ("points",), {}),
    "Flow matching": ("score", {"objective": "flow"}, ("points",), {}),
}
N_SAMPLES = 500          # samples scored per checkpoint
CHECKPOINTS = 4          # scored this many times along each family's budget
MAX_STEPS, MAX_SECONDS = 100_000, 300
COLUMNS = ["family", "parameters", "training time (s)", "steps", "FID", "KID", "precision", "recall", "IS",
           "sampling time (s)"]


def available(kind: str | None = None) -> list[str]:
    """Entries whose family is registered (and that take data of ``kind``)."""
    return [k for k, (fam, _, kinds, _) in ENTRIES.items() if fam in FAMILIES and (kind is None or kind in kinds)]


def check(data: Dataset, labels: list[str] | None, budget_kind: str, budget: Any) -> tuple[list[str], float]:
    """The race's settings, or a ValueError naming the field."""
    if budget_kind not in ("steps", "seconds"):
        raise ValueError(f"Budget in must be 'steps' or 'seconds'; got {budget_kind!r}.")
    top = MAX_STEPS if budget_kind == "steps" else MAX_SECONDS
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not math.isfinite(budget) \
            or not 1 <= budget <= top or (budget_kind == "steps" and budget != int(budget)):
        what = "a whole number of steps" if budget_kind == "steps" else "a number of seconds"
        raise ValueError(f"Budget per family must be {what} between 1 and {top:,}; got {budget!r}.")
    labels = list(labels or [])
    if not labels:
        raise ValueError("Families to race: tick at least one.")
    for label in labels:
        if label not in ENTRIES or ENTRIES[label][0] not in FAMILIES:
            raise ValueError(f"Families to race: unknown family {label!r}; choose from {', '.join(available())}.")
        if data.kind not in ENTRIES[label][2]:
            what = "images" if data.kind == "image" else "2D points"
            raise ValueError(f"Families to race: {label} does not train on {what} ({data.name}); "
                             f"on this data choose from {', '.join(available(data.kind))}.")
    return labels, float(budget)


@dataclass
class Race:
    """One visitor's race: what finished (rows, grids, curves) survives Stop."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    grids: list[tuple[np.ndarray, str]] = field(default_factory=list)
    curves: dict[str, list[tuple[float, int, float]]] = field(default_factory=dict)   # label -> (s, step, FID)
    data_name: str = ""
    press: object | None = None

    def table(self) -> list[list[Any]]:
        return [[r[c] for c in COLUMNS] for r in self.rows]

    def csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(COLUMNS)
        w.writerows(self.table())
        return buf.getvalue()


def row(label: str, run: Any, scores: Any, sample_s: float) -> dict[str, Any]:
    r = lambda v, k: None if v is None else round(float(v), k)      # noqa: E731
    return {"family": label, "parameters": sum(p.numel() for p in run.model.parameters()),
            "training time (s)": r(run.train_seconds, 2), "steps": run.step, "FID": r(scores.fid, 3),
            "KID": r(scores.kid, 5), "precision": r(scores.precision, 3), "recall": r(scores.recall, 3),
            "IS": r(scores.inception, 3), "sampling time (s)": r(sample_s, 3)}


def picture(samples: torch.Tensor, data: Dataset, n: int = 16) -> np.ndarray:
    """Images: a 4×4 grid. Points: a 64×64 density picture over the real data's box (dark = many samples)."""
    if data.kind == "image":
        return figures.grid(samples[:n].clamp(0, 1), nrow=4)
    pts = samples.detach().cpu().float().numpy()
    real = data.x.cpu().numpy()
    lo, hi = real.min(0) - 0.5, real.max(0) + 0.5
    h, _, _ = np.histogram2d(pts[:, 1], pts[:, 0], bins=64, range=[[lo[1], hi[1]], [lo[0], hi[0]]])
    img = 255 - (255 * np.sqrt(h / max(1.0, h.max()))).astype(np.uint8)
    return np.ascontiguousarray(img[::-1])                                  # y up


def curves(race: Race) -> Any:
    """FID against seconds of training, one line per family."""
    if not race.curves:
        return None
    traces = [dict(type="scatter", x=[p[0] for p in pts], y=[p[2] for p in pts], mode="lines+markers", name=label,
                   text=[f"step {p[1]:,}" for p in pts], line=dict(color=figures.PALETTE[i % len(figures.PALETTE)]))
              for i, (label, pts) in enumerate(race.curves.items())]
    return figures.fig(traces, dict(height=360, hovermode="closest", title=dict(text="FID ↓ against seconds of "
                                    "training (scoring and sampling not counted)", font=dict(size=15)),
                                    xaxis=dict(title=dict(text="seconds of training")),
                                    yaxis=dict(title=dict(text="FID"), type="log")))
