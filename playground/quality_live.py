"""Sample quality while training (issue 14): "Score every N steps" in an image tab's quality section.

Every N steps of a Train press, :func:`maybe_score` draws :data:`LIVE_N` samples of the model and scores them
(FID, KID, precision & recall, IS: trainers/quality.py), and puts the scores in the run's history as sparse
terms at that step (``History.mark``): so they are in the history CSV of the export (NaN at other steps), come
back with an import, and are copied by a pin. :func:`with_scores` adds a second row to the loss curves:
FID against steps, FID against seconds of training, precision and recall; pinned runs' scores faint beneath.

Where it runs: between two training steps of :func:`playground.press.frames`, the loop that draws the frames;
on ZeroGPU that loop runs inside the GPU burst (a forked child), so scoring does too: samples go to the CPU
for the classifier, and the scores travel back in the run's history with the run's copy. The setting reaches
the loop on the view state (``view.score_every``), which travels with a burst; the panel sets it from its
Train press's ``score_every`` input (``panel.extras``).

The scoring time (sampling + features + scores; the scores of 2,000 samples take 0.1–0.3 s on 2 quiet cores,
bench/quality.py) is not training time: the run's ``train_seconds``, the x of the FID-vs-time panel, leaves it
out; the status line's "drawing %" counts it.
"""
from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np
from gradio.components.plot import PlotData

from trainers.loop import Run

from . import figures

LIVE_N = 250            # samples per live score: fewer than the button's 500, as sampling dominates (a DDPM's
                        # whole reverse chain); FID on 250 reads higher than on 500 (its small-sample bias)
MAX_EVERY = 100_000
TERMS = ("fid", "kid", "precision", "recall", "inception", "train_s")   # the history's columns for a score
FID, PREC, REC = "#7e22ce", "#2563eb", "#dc2626"
LABEL = "Score every N steps (0 = off)"


def read_every(value: Any) -> int:
    """The setting as a whole number of steps, 0 = off; anything else is a ValueError naming the field."""
    if value is None:
        return 0
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if not ok or value != int(value) or not 0 <= value <= MAX_EVERY:
        raise ValueError(f"{LABEL} must be a whole number from 0 to {MAX_EVERY:,}; got {value!r}.")
    return int(value)


def maybe_score(run: Run, view: Any) -> float:
    """At a multiple of ``view.score_every`` steps, score :data:`LIVE_N` samples into the run's history.
    Returns the seconds spent (0 when nothing was due). A model or data that can't be scored turns the
    setting off for the press and says why on the status line (:func:`note`)."""
    try:
        every = read_every(getattr(view, "score_every", 0))
    except ValueError as e:
        view.score_every, view.score_note = 0, f" · ⚠️ {e}"
        return 0.0
    if not every or run.step <= 0 or run.step % every:
        return 0.0
    h = run.history                                   # (reading it flushes the queued steps)
    if not len(h.steps) or h.steps[-1] != run.step or not math.isnan(h.terms.get("fid", [math.nan])[-1]):
        return 0.0                                    # not this step's row, or scored already
    from .quality import sample_and_score             # (gradio's side of the house: imported when used)
    t0 = time.perf_counter()
    try:
        _, s, _, _ = sample_and_score(run, LIVE_N)
    except (ValueError, RuntimeError) as e:
        view.score_every, view.score_note = 0, f" · ⚠️ scoring every N steps is off: {e}"
        return time.perf_counter() - t0
    terms = dict(fid=s.fid, kid=s.kid, precision=s.precision, recall=s.recall, train_s=run.train_seconds)
    if s.inception is not None:
        terms["inception"] = s.inception
    h.mark(run.step, terms)
    view.score_note = f" · FID {s.fid:,.1f} at step {run.step:,}"
    return time.perf_counter() - t0


def note(view: Any) -> str:
    """What the status line adds: the latest live score, or why scoring stopped."""
    text = getattr(view, "score_note", "")
    return text if getattr(view, "score_every", 0) or "⚠️" in text else ""


# ----------------------------------------------------------------------------- the curves' second row
def curves(panel: Any, run: Run, view: Any) -> Any:
    """The panel's loss curves (figures.curves, pinned runs faint beneath), with :func:`with_scores`' row."""
    ghosts = getattr(view, "pins", ())
    return with_scores(figures.curves(run.history, panel.curve_groups, panel.curve_titles, ghosts=ghosts),
                       run.history, ghosts)


def _scored(history: Any) -> bool:
    return history is not None and "fid" in history.terms


def with_scores(plot: Any, history: Any, ghosts: Any = ()) -> Any:
    """The loss curves ``plot`` (figures.curves) with a second row when the run or a pin has live scores:
    FID vs step, FID vs seconds of training, precision & recall vs step. Unchanged otherwise."""
    ghosts = [g for g in ghosts or () if _scored(getattr(g, "history", None))]
    if not isinstance(plot, PlotData) or not (_scored(history) or ghosts):
        return plot
    f = json.loads(plot.plot)
    data, layout = f["data"], f["layout"]
    used = [int(k[5:] or 1) for k in layout if k.startswith("xaxis")] or [1]
    first = max(used) + 1
    margin = layout.get("margin", {})
    height = layout.get("height", 330)
    new_h = height + 330
    area = new_h - margin.get("t", 45) - margin.get("b", 45)
    r2, r1 = 210 / area, 330 / area                  # row 2: [0, r2]; row 1 from r1 (its axis title, row 2's titles)
    for k, ax in layout.items():
        if k.startswith("yaxis"):
            ax["domain"] = [r1, 1.0]
    gap, n = 0.06, 3
    w = (1 - gap * (n - 1)) / n
    titles = [f"FID ↓ vs step ({LIVE_N} samples)", "FID ↓ vs seconds of training",
              "precision · recall (dashed)"]
    for i, xt in enumerate(["step", "seconds of training", "step"]):
        a = first + i
        layout[f"xaxis{a}"] = dict(domain=[i * (w + gap), i * (w + gap) + w], anchor=f"y{a}", title=dict(text=xt))
        layout[f"yaxis{a}"] = dict(domain=[0.0, r2], anchor=f"x{a}", gridcolor="#e2e8f0",
                                   **({"range": [0, 1.05]} if i == 2 else {}))
    layout["annotations"] = list(layout.get("annotations", [])) + [
        dict(text=f"<b>{t}</b>", x=i * (w + gap) + w / 2, y=r2, xref="paper", yref="paper", yanchor="bottom",
             showarrow=False, font=dict(size=15)) for i, t in enumerate(titles)]
    layout["height"] = new_h
    runs = [(g.history, f"{g.label} · ", 0.35, 1.5) for g in ghosts]
    if _scored(history):
        runs.append((history, "", 1.0, 2.0))
    for h, prefix, alpha, width in runs:
        step, fid = h.sparse("fid")
        _, sec = h.sparse("train_s")
        _, prec = h.sparse("precision")
        _, rec = h.sparse("recall")
        mk = dict(type="scatter", mode="lines+markers", opacity=alpha, showlegend=False,
                  marker=dict(size=6 if alpha == 1 else 4))
        data += [dict(mk, x=step, y=fid, name=f"{prefix}FID", xaxis=f"x{first}", yaxis=f"y{first}",
                      line=dict(color=FID, width=width)),
                 dict(mk, x=sec, y=fid, name=f"{prefix}FID vs time", xaxis=f"x{first + 1}", yaxis=f"y{first + 1}",
                      line=dict(color=FID, width=width)),
                 dict(mk, x=step, y=prec, name=f"{prefix}precision", xaxis=f"x{first + 2}", yaxis=f"y{first + 2}",
                      line=dict(color=PREC, width=width)),
                 dict(mk, x=step, y=rec, name=f"{prefix}recall", xaxis=f"x{first + 2}", yaxis=f"y{first + 2}",
                      line=dict(color=REC, width=width, dash="dash"))]
    text = json.dumps(f, default=lambda o: o.tolist() if isinstance(o, np.ndarray) else o.item(), allow_nan=True)
    return PlotData(type="plotly", plot=text.replace("NaN", "null").replace("Infinity", "null"))
