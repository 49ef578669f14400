"""The GAN tab driven through the running app with gradio_client: 2D and image modes train and stream."""
from __future__ import annotations

import re

import numpy as np
import pytest
from gradio_client import handle_file

from conftest import assert_bad_input_refused, plot_json, step_of, stream_until, submit_train, value, plain

SETTINGS = dict(objective="non-saturating", arch="mlp", z_dim=16, hidden=64, width=16, lr_d=1e-3, lr_g=1e-3,
                n_critic=1, gp_lambda=10.0, clip=0.01, spectral_norm=False, feature_matching=False,
                minibatch_std=False, minibatch_disc=False, batch_size=64, seed=0, mapping_layers=2, beta1=0.5)
UPLOAD = "my points (.csv) or images (.zip / .npz)"


def train(client, steps=100_000, data="ring of 8", upload=None, **kw):
    return submit_train(client, "gan", SETTINGS, data=data, steps=steps, upload=upload, **kw)


def test_2d_mode_streams_the_lab_then_stop_keeps_the_model(client):
    job = train(client, objective="wgan-gp", n_critic=2)
    out = stream_until(job, lambda o: step_of(o[0]) >= 20 and value(o[2]) is not None, timeout=240)
    status, curves, lab, readout, grid, scores = plain(out)
    assert "steps/s" in status
    fig = plot_json(lab)
    kinds = [t["type"] for t in fig["data"]]
    assert kinds[0] == "heatmap" and kinds.count("scatter") == 3          # D, real, fake, G's arrows
    assert len(fig["data"][0]["z"]) == 50                                  # the D grid
    assert len(fig["layout"]["shapes"]) == 8                               # the 3σ circles of the modes
    assert "Modes covered" in readout and "/ 8" in readout
    assert value(grid) is None
    assert [t["type"] for t in plot_json(scores)["data"]] == ["histogram", "histogram"]
    names = {t.get("name") for t in plot_json(curves)["data"]}
    assert {"W estimate", "GP", "D accuracy"} <= names
    job.cancel()
    stopped_at = step_of(job.outputs()[-1][0])
    job2 = train(client, steps=10, objective="wgan-gp", n_critic=2, lr_g=5e-4)     # a live setting
    final = stream_until(job2, lambda o: "done" in o[0], timeout=240)
    assert "continuing" in job2.outputs()[0][0]
    assert step_of(final[0]) >= stopped_at + 10


def test_image_mode_streams_a_fixed_noise_grid_and_score_histograms(client):
    final = train(client, steps=15, data="digits", arch="dcgan", z_dim=16).result(timeout=300)
    status, curves, lab, readout, grid, scores = plain(final)
    assert "done" in status and step_of(status) == 15
    assert value(lab) is None
    assert value(grid), "no sample grid"
    assert "fixed noise" in readout and "‖∇G‖" in readout
    names = {t.get("name") for t in plot_json(curves)["data"]}
    assert {"D loss", "G loss", "‖∇D‖", "‖∇G‖"} <= names


def test_uploaded_points_train(client, tmp_path):
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(300, 2)) * [3.0, 0.5]
    p = tmp_path / "points.csv"
    p.write_text("x,y\n" + "\n".join(f"{a:.4f},{b:.4f}" for a, b in pts))
    job = train(client, steps=10, data=UPLOAD, upload=handle_file(str(p)))
    final = job.result(timeout=240)
    assert "done" in final[0] and "uploaded points" in job.outputs()[0][0]
    assert "n/a" in value(final[3])


@pytest.mark.parametrize("change, message", [
    (dict(lr_d=5.0), "between|; got"),
    (dict(objective="lsgan"), "must be one of|list of choices"),
    (dict(arch="dcgan"), "2D points"),
    (dict(objective="wgan", spectral_norm=True), "clipping"),
    (dict(objective="wgan-gp", minibatch_disc=True), "per-sample gradient"),
    (dict(csv="x,y\n1,2\nfoo,bar\n"), "Line 3"),
    (dict(csv="1,2\n3,4\n"), "at least 10"),
])
def test_bad_inputs_get_a_clear_message_and_the_app_keeps_serving(client, tmp_path, change, message):
    change = dict(change)
    if "csv" in change:
        p = tmp_path / "bad.csv"
        p.write_text(change.pop("csv"))
        change.update(data=UPLOAD, upload=handle_file(str(p)))
    assert_bad_input_refused(client, train, change, re.compile(message, re.I))


def test_a_drawing_becomes_points_the_loader_accepts():
    from trainers.data import DataError
    from playground.tabs.gan import UPLOAD, drawing_to_csv, load_data
    canvas = np.zeros((200, 200, 4), np.uint8)             # transparent; one dark diagonal stroke
    for i in range(20, 180):
        canvas[i, i - 3:i + 3] = (0, 0, 0, 255)
    ds = load_data(UPLOAD, drawing_to_csv({"composite": canvas}))
    assert ds.kind == "points" and ds.x.shape[1] == 2 and len(ds) > 500
    # the stroke goes down-right on screen, so y falls as x grows once flipped to y-up
    x = ds.x.numpy()
    assert np.corrcoef(x[:, 0], x[:, 1])[0, 1] < -0.99
    with pytest.raises(DataError, match="too few"):
        drawing_to_csv({"composite": np.zeros((50, 50, 4), np.uint8)})
    with pytest.raises(DataError, match="Draw"):
        drawing_to_csv({"composite": None})


def test_choosing_an_objective_brings_its_papers_settings_into_the_form():
    import gradio as gr
    from playground.tabs import gan
    from trainers.gan import paper_settings
    with gr.Blocks() as demo:
        panel = gan.build()
    objective = panel.form["objective"]
    wired = [fn for fn in demo.fns.values() if (objective._id, "input") in fn.targets
             and fn.name == "objective_settings"]          # (the preset note listens too: presetnote.py)
    assert len(wired) == 1 and wired[0].api_visibility == "private"
    assert [o._id for o in wired[0].outputs] == [panel.form[k]._id for k in gan.PAPER_FIELDS]
    for name in ("wgan-gp", "wgan", "non-saturating"):
        want = paper_settings(name)
        assert wired[0].fn(name) == [want[k] for k in gan.PAPER_FIELDS]
    # `input` (a person's choice), not `change`: a preset or an imported run sets the objective with its own
    # settings, and nothing that fires on the objective's `change` may overwrite them
    changed = [fn for fn in demo.fns.values() if (objective._id, "change") in fn.targets]
    assert all(o._id not in {panel.form[k]._id for k in gan.PAPER_FIELDS} for fn in changed for o in fn.outputs)


def test_the_readout_states_the_modes_covered_rule():
    import torch
    from playground.tabs.gan import _readout
    from trainers import data
    from trainers.gan_metrics import mode_coverage
    cov = mode_coverage(torch.randn(2500, 2), data.mode_centers("ring of 8"), data.MODE_STD["ring of 8"])
    text = _readout(cov)
    assert "0 / 8" in text and "≥ 105" in text and "a third of its fair share" in text
    assert "VEEGAN" in text and "within 3σ" in text


def test_the_page_says_clipping_gives_some_k_not_1_lipschitz():
    from playground.tabs.gan import EQUATION, NOTES
    from trainers.gan import Config
    text = EQUATION + NOTES["wgan"] + " ".join(f.metadata["help"] for f in Config.__dataclass_fields__.values())
    assert "K-Lipschitz" in text and "$K$-Lipschitz" in EQUATION
    assert "1-Lipschitz\n(clipping" not in EQUATION and "kept 1-Lipschitz" not in text
