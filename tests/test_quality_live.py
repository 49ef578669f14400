"""Sample quality while training (issue 14): "Score every N steps" puts FID, KID, precision and recall in the
run's history at the multiples of N, the loss curves get a row of them, the export's CSV carries them, pins'
ghosts show them, and scoring does not change the training it interrupts."""
from __future__ import annotations

import csv
import io
import json
import math
import zipfile

import gradio as gr
import numpy as np
import pytest
from gradio_client.exceptions import AppError

from conftest import plot_json, train_settings, value

SETTINGS = dict(latent_dim=8, hidden=64, seed=0)


@pytest.fixture(scope="module")
def panel():
    from playground.tabs import vae as vae_tab
    with gr.Blocks():
        return vae_tab.build()


def _session(digits, every: int):
    from playground.session import Session
    from playground.tabs import vae as vae_tab
    from trainers import loop
    from trainers.vae import Config
    s = Session(loop.Run("vae", Config(**SETTINGS), digits), vae_tab.View())
    s.view.score_every = every
    return s


# ----------------------------------------------------------------------------- history: sparse terms
def test_sparse_terms_sit_on_their_step_and_survive_the_csv():
    from trainers import checkpoint
    from trainers.history import History
    h = History()
    for step in range(1, 8):
        h.append(step, {"total": float(step)})
        if step % 3 == 0:
            h.mark(step, {"fid": 10.0 * step, "train_s": 0.5 * step})
    steps, fid = h.sparse("fid")
    assert steps.tolist() == [3, 6] and fid.tolist() == [30, 60]
    assert len(h.terms["fid"]) == len(h.steps) == 7 and math.isnan(h.terms["fid"][6])
    with pytest.raises(ValueError, match="latest step"):
        h.mark(2, {"fid": 1.0})
    back = checkpoint._parse_history(h.to_csv().encode(), b"")
    assert back.sparse("fid")[0].tolist() == [3, 6] and back.sparse("train_s")[1].tolist() == [1.5, 3.0]


def test_the_setting_is_read_as_a_whole_number_or_refused_by_name():
    from playground.quality_live import read_every
    assert read_every(None) == 0 and read_every(25) == 25 and read_every(10.0) == 10
    for bad in (-1, 2.5, "abc", True, float("nan"), 10**9):
        with pytest.raises(ValueError, match="Score every N steps"):
            read_every(bad)


# ----------------------------------------------------------------------------- in the press's own loop
def test_a_press_scores_at_the_multiples_of_n_without_changing_the_training(panel, digits):
    import scipy.linalg
    from playground import quality, quality_live
    plain, scored = _session(digits, 0), _session(digits, 10)
    for s in (plain, scored):
        for _ in panel.stream(s, 20):
            pass
    h = scored.run.history
    steps, fid = h.sparse("fid")
    assert steps.tolist() == [10, 20]
    assert all(np.isfinite(h.sparse(k)[1]).all() and len(h.sparse(k)[1]) == 2
               for k in ("kid", "precision", "recall", "inception", "train_s"))
    assert 0 < h.sparse("train_s")[1][0] < h.sparse("train_s")[1][1] <= scored.run.train_seconds
    assert "fid" not in plain.run.history.terms
    # the scoring draws its noise from a forked global RNG and puts the model back in training mode: the run
    # it interrupted is the run it would have been, step for step
    assert plain.run.history.terms["total"] == scored.run.history.terms["total"]
    # the last score is of the final model: the same samples again, and the textbook FID (scipy's sqrtm) of
    # their features against the scorer's real ones, give the number in the history
    sc, _, _, feats = quality.sample_and_score(scored.run, quality_live.LIVE_N)
    r, g = sc.real_features.double().numpy(), feats.double().numpy()
    s1, s2 = np.cov(r, rowvar=False), np.cov(g, rowvar=False)
    d = r.mean(0) - g.mean(0)
    textbook = d @ d + np.trace(s1 + s2 - 2 * np.real(scipy.linalg.sqrtm(s1 @ s2)))
    assert fid[1] == pytest.approx(textbook, rel=1e-4)


def test_a_model_that_cannot_be_scored_turns_scoring_off_and_says_why(digits):
    import dataclasses
    from playground import quality_live
    from trainers import loop
    from trainers.vae import Config
    unlabelled = dataclasses.replace(digits, name="my images", y=None, y_test=None)   # like an upload
    run = loop.Run("vae", Config(**SETTINGS), unlabelled)
    for _ in loop.train(run, steps=4):
        pass

    class View:
        score_every = 2
    v = View()
    quality_live.maybe_score(run, v)
    assert v.score_every == 0 and "scoring every N steps is off" in quality_live.note(v)
    assert "labelled" in quality_live.note(v)
    assert "fid" not in run.history.terms


def test_the_curves_get_a_score_row_and_pinned_runs_show_theirs(panel, digits):
    from playground import pins, quality_live
    s = _session(digits, 5)
    for _ in panel.stream(s, 10):
        pass
    fig = json.loads(quality_live.curves(panel, s.run, s.view).plot)
    fid = [t for t in fig["data"] if t["name"] == "FID"][0]
    assert fid["x"] == [5, 10] and fid["y"] == pytest.approx(s.run.history.sparse("fid")[1].tolist())
    vs_time = [t for t in fig["data"] if t["name"] == "FID vs time"][0]
    assert vs_time["x"] == pytest.approx(s.run.history.sparse("train_s")[1].tolist())
    assert fig["layout"]["yaxis"]["domain"][0] > fig["layout"][fid["yaxis"].replace("y", "yaxis")]["domain"][1]
    s.pins = [pins.pin(s)]
    s.view.pins = s.pins
    fig = json.loads(quality_live.curves(panel, s.run, s.view).plot)
    assert any(t["name"].startswith("📌1") and t["name"].endswith("· FID") and t["opacity"] == 0.35
               for t in fig["data"])
    plain = _session(digits, 0)
    for _ in panel.stream(plain, 3):
        pass
    assert not any(t["name"] == "FID" for t in json.loads(quality_live.curves(panel, plain.run, plain.view).plot)["data"])


def test_scoring_runs_inside_zerogpu_bursts_and_the_scores_come_back(panel, digits, monkeypatch):
    """On ZeroGPU the frames (and so the scoring) run in a forked child per burst: the scores must come back
    in the run's copy, at the same steps, with the same training as without bursts."""
    import torch
    from playground import bursts, zerogpu
    if torch.cuda.is_available():
        pytest.skip("run with CUDA_VISIBLE_DEVICES='' (tests/test_bursts.py says why)")
    monkeypatch.setenv("PLAYGROUND_ZEROGPU", "standin")
    monkeypatch.setenv("PLAYGROUND_BURST_SECONDS", "20")
    monkeypatch.setattr(bursts, "BURST_STEPS", 7)        # 3 bursts for 20 steps: scores at 5 and 15 cross them
    monkeypatch.setattr(bursts, "SNAPSHOT_EVERY", 0.1)
    monkeypatch.setattr(bursts, "burst", zerogpu.gpu(duration=20)(bursts.train_burst))
    zerogpu.reset_quota()
    try:
        burst, here = _session(digits, 5), _session(digits, 5)
        for _ in panel.stream(burst, 20):
            pass
    finally:
        zerogpu.reset_quota()
    monkeypatch.setenv("PLAYGROUND_ZEROGPU", "off")
    for _ in panel.stream(here, 20):
        pass
    assert burst.run.step == 20
    assert burst.run.history.sparse("fid")[0].tolist() == [5, 10, 15, 20]
    assert burst.run.history.sparse("fid")[1] == pytest.approx(here.run.history.sparse("fid")[1], rel=1e-6)
    assert burst.run.history.terms["total"] == here.run.history.terms["total"]


# ----------------------------------------------------------------------------- through the running app
def _train(client, steps: int, **extra):
    """``/vae_train`` by keyword; ``score_every`` is the quality section's input, not a Config field."""
    return client.submit(data="digits", steps=steps, upload=None, **train_settings("vae", SETTINGS), **extra,
                         api_name="/vae_train")


def test_score_every_n_through_the_app_curves_export_and_bad_values(client):
    final = _train(client, 30, score_every=10).result(timeout=300)
    assert "done" in value(final[0]), final[0]
    fig = plot_json(final[1])
    fid = [t for t in fig["data"] if t["name"] == "FID"][0]
    assert fid["x"] == [10, 20, 30] and all(v > 0 for v in fid["y"])
    assert {"FID vs time", "precision", "recall"} <= {t["name"] for t in fig["data"]}
    path = client.predict(api_name="/vae_export")
    with zipfile.ZipFile(path) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("metrics.csv").decode())))
    scored = {int(r["step"]): float(r["fid"]) for r in rows if r["fid"] not in ("nan", "")}
    assert sorted(scored) == [10, 20, 30]
    assert [scored[k] for k in (10, 20, 30)] == pytest.approx(fid["y"], rel=1e-5)
    for bad in (-5, "abc"):
        with pytest.raises(AppError, match="Score every N steps"):
            _train(client, 5, score_every=bad).result(timeout=120)
    off = _train(client, 5).result(timeout=120)                                  # the default: 0 (off)
    assert "done" in value(off[0])
