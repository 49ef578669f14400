"""The "Sample quality" section every tab that makes images gets: FID, KID, precision & recall and an
Inception-style score of ``model.sample(n)`` against held-out real images, in the features of a small
classifier trained on the same data set (trainers/quality.py); curves of the scores against steps and wall
time; and a PCA picture of real vs generated features, where mode dropping (high precision, low recall) shows.

A tab attaches it with one line after ``with panel.layout():``::

    quality.section(panel)          # after ``with panel.layout():``

It scores on demand (a button, API ``/<family>_quality``); each press adds a point to the curves of this run.
And, while training, every N steps ("Score every N steps", the Train press's ``score_every`` input): the scores go
in the run's history and join the loss curves as a second row (playground/quality_live.py).
"""
from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import numpy as np
import torch

from trainers import metrics
from trainers import quality as Q
from trainers.base import global_rng
from trainers.loop import Run

from . import figures, quality_live
from .liveplot import LivePlot

N_DEFAULT = 500
REAL, FAKE = "#15803d", "#7e22ce"
WHY = ("**Why not the usual Inception network?** " + Q.WHY_NOT_INCEPTION.split(": ", 1)[1].capitalize() +
       " So the features are those of a small conv classifier trained on this data set (its held-out accuracy "
       "is shown: the scores mean something only if it is high). FID and KID: lower is better (0 = the real test "
       "set's own statistics); precision: share of samples that look real; recall: share of real images the "
       "samples cover (high precision with low recall = mode dropping); IS: higher is better, at most the number "
       "of classes.")

EVERY_INFO = (f"While training, every N steps: FID, KID, precision & recall of {quality_live.LIVE_N} samples, "
              f"drawn in a second row under the loss curves and kept in the exported metrics.csv. Fewer samples "
              f"than the button's, so training pauses less; FID reads higher on fewer samples.")


@dataclass
class Track:
    """The scores of one run over time (kept beside the run, never on it: they belong to the page)."""
    rows: list[dict[str, Any]] = field(default_factory=list)


_TRACKS: "weakref.WeakKeyDictionary[Run, Track]" = weakref.WeakKeyDictionary()


def track(run: Run) -> Track:
    t = _TRACKS.get(run)
    if t is None:
        t = _TRACKS[run] = Track()
    return t


# ----------------------------------------------------------------------------- scoring
def sample_and_score(run: Run, n: int = N_DEFAULT, seed: int = 0, **sample_kw: Any) -> tuple[Q.Scorer, Q.Scores, float, torch.Tensor]:
    """Draw ``n`` samples from the run's model (``model.sample(n, **sample_kw)``) and score them: (scorer, scores,
    sampling seconds, features)."""
    if isinstance(n, bool) or not isinstance(n, (int, float)) or not math.isfinite(n) or not 50 <= n <= 5000:
        raise ValueError(f"Samples to score must be a whole number between 50 and 5,000; got {n!r}.")
    sc = Q.scorer(run.data)
    with run.evaluating() as m:
        t0 = time.perf_counter()
        try:
            with global_rng(seed):               # the same noise every time: a change of score is the model's
                x = m.sample(int(n), **sample_kw)
        except NotImplementedError:
            raise ValueError("This model does not draw samples (no prior to sample from), so there is "
                             "nothing to score.") from None
        sample_s = time.perf_counter() - t0
    scores, feats = sc.score(x)
    return sc, scores, sample_s, feats


def score_into(run: Run, n: int) -> tuple[Q.Scorer, Q.Scores, float, torch.Tensor]:
    """Score now and add a row to the run's track."""
    sc, s, sample_s, feats = sample_and_score(run, n)
    t = track(run)
    t.rows.append({**s.as_dict(), "score_s": s.seconds, "step": run.step, "seconds": run.train_seconds,
                   "sample_s": sample_s})
    return sc, s, sample_s, feats


def fmt(v: float | None, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{v:.{digits}f}" if abs(v) < 1000 else f"{v:,.0f}"


def table(sc: Q.Scorer, s: Q.Scores, sample_s: float, step: int) -> str:
    acc = "—" if sc.test_accuracy is None else f"{100 * sc.test_accuracy:.1f}%"
    return (f"| FID ↓ | KID ↓ | precision ↑ | recall ↑ | IS ↑ | samples | sampling | scoring |\n"
            f"|---|---|---|---|---|---|---|---|\n"
            f"| {fmt(s.fid, 2)} | {fmt(s.kid, 4)} ± {fmt(s.kid_std, 4)} | {fmt(s.precision)} | {fmt(s.recall)} | "
            f"{fmt(s.inception, 2)} | {s.n} | {sample_s:.2f} s | {s.seconds:.2f} s |\n\n"
            f"At step {step:,}. Classifier ({sc.source}): **{acc}** held-out accuracy on {sc.data.name}.")


def curves(rows: list[dict[str, Any]]) -> Any:
    """FID against steps and against training seconds; precision and recall against steps."""
    if not rows:
        return None
    step = np.array([r["step"] for r in rows], float)
    sec = np.array([r["seconds"] for r in rows], float)
    fid = np.array([r["fid"] for r in rows], float)
    mk = dict(mode="lines+markers", showlegend=False)
    traces = [dict(type="scatter", x=step, y=fid, name="FID", xaxis="x", yaxis="y", line=dict(color=FAKE), **mk),
              dict(type="scatter", x=sec, y=fid, name="FID", xaxis="x2", yaxis="y2", line=dict(color=FAKE), **mk),
              dict(type="scatter", x=step, y=[r["precision"] for r in rows], name="precision", xaxis="x3",
                   yaxis="y3", line=dict(color="#2563eb"), **mk),
              dict(type="scatter", x=step, y=[r["recall"] for r in rows], name="recall", xaxis="x3", yaxis="y3",
                   line=dict(color="#dc2626", dash="dash"), **mk)]
    w, gap = 0.29, 0.065
    layout = dict(height=300, margin=dict(t=50))
    titles = ["FID vs step", "FID vs training time (s)", "precision (solid) · recall (dashed)"]
    for i, (xt, title) in enumerate(zip(["step", "seconds of training", "step"], titles)):
        sfx = "" if i == 0 else str(i + 1)
        layout[f"xaxis{sfx}"] = dict(domain=[i * (w + gap), i * (w + gap) + w], anchor=f"y{sfx}", title=dict(text=xt))
        layout[f"yaxis{sfx}"] = dict(anchor=f"x{sfx}", **({"range": [0, 1.05]} if i == 2 else {}))
    layout["annotations"] = [dict(text=f"<b>{t}</b>", x=i * (w + gap) + w / 2, y=1.0, xref="paper", yref="paper",
                                  yanchor="bottom", showarrow=False) for i, t in enumerate(titles)]
    return figures.fig(traces, layout)


def pca_picture(sc: Q.Scorer, s: Q.Scores, feats: torch.Tensor, max_points: int = 600) -> Any:
    """Real test features and generated features on the first two principal components of both."""
    real, gen = sc.real_features[:max_points], feats[:max_points]
    pr, pg = metrics.pca_shared(real, gen)
    note = "  ·  recall ≪ precision: the samples cover only part of the data (mode dropping)" \
        if s.recall < s.precision - 0.25 else ""
    traces = [dict(type="scattergl", x=pr[:, 0], y=pr[:, 1], mode="markers", name="real (test set)",
                   marker=dict(size=5, color=REAL, opacity=0.55)),
              dict(type="scattergl", x=pg[:, 0], y=pg[:, 1], mode="markers", name="generated",
                   marker=dict(size=5, color=FAKE, opacity=0.55, symbol="x"))]
    return figures.fig(traces, dict(height=380, hovermode="closest",
                                    title=dict(text=f"Classifier features, PCA: precision {s.precision:.2f}, "
                                                    f"recall {s.recall:.2f}{note}", font=dict(size=14)),
                                    xaxis=dict(title=dict(text="PC 1")), yaxis=dict(title=dict(text="PC 2"))))


def views_now(run: Run, n: int) -> dict[str, Any]:
    sc, s, sample_s, feats = score_into(run, n)
    return {"quality_table": table(sc, s, sample_s, run.step), "quality_curves": curves(track(run).rows),
            "quality_pca": pca_picture(sc, s, feats)}


# ----------------------------------------------------------------------------- the section
def section(panel: Any) -> dict[str, Any]:
    """Build the section at the end of the panel's right column, with its button wired (API
    ``/<family>_quality(samples)``); call it after ``with panel.layout():``. Returns its views by name.

    Also "Score every N steps": a Train input (``panel.extras``, API ``score_every=``), whose scores go in the
    run's history and join the loss curves (the Train press's own output: no new outputs to unpack)."""
    with panel.right, gr.Accordion("Sample quality: FID, KID, precision & recall, IS", open=False):
        gr.Markdown(WHY)
        panel.extras["score_every"] = gr.Number(
            0, minimum=0, maximum=quality_live.MAX_EVERY, precision=0, label=quality_live.LABEL,
            info=EVERY_INFO)
        with gr.Row():
            n = gr.Slider(50, 2000, value=N_DEFAULT, step=50, label="Samples to score")
            btn = gr.Button("Score the samples now")
        table_md = gr.Markdown("Press **Score the samples now** after training a while.")
        curves_plot = LivePlot(label="Scores against steps and training time")
        pca_plot = LivePlot(label="Real vs generated in the classifier's feature space (PCA)")
    views = {"quality_table": table_md, "quality_curves": curves_plot, "quality_pca": pca_plot}
    panel.on(btn.click, score_now, [n], outputs=views, api_name=f"{panel.family}_quality")
    return views


def score_now(run: Run, view: Any, samples: int) -> dict[str, Any]:
    """API ``/<family>_quality(samples)``: score ``samples`` draws of the current model now."""
    return views_now(run, samples)
