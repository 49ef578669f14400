"""The score tab driven through the running app with gradio_client: train, look at the field, sample frame by
frame, stop, continue, export, import; bad settings get a message naming the field and the app keeps serving."""
from __future__ import annotations

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import (assert_bad_input_refused, assert_curves, plain, plot_json, plot_title, step_of, stream_until,
                      submit_train, trace_names, value)

SETTINGS = dict(objective="ve", hidden=32, layers=1, batch_size=128, lr=3e-3, levels=6)


def train(client, steps=100_000, data="moons", **kw):
    return submit_train(client, "score", SETTINGS, data=data, steps=steps, **kw)


def sample(client, **kw):
    """/score_sample's outputs: the frame slider's update, the two frame plots, the readout's text."""
    args = dict(sampler="PC", steps=8, corrector=1, snr=0.16, eps=5e-5, per_level=3, n=60, seed=0)
    *views, readout = client.predict(**{**args, **kw}, api_name="/score_sample")
    return [*views, value(readout)]


def test_score_model_trains_samples_frame_by_frame_stops_continues_exports(client, app_url):
    job = train(client)
    out = stream_until(job, lambda o: step_of(o[0]) >= 20 and value(o[2]) is not None, timeout=300)
    status, curves, samples_plot, field_plot, true_plot, field_text = plain(out)
    assert trace_names(samples_plot) == {"data", "samples"} and "Samples (PC" in plot_title(samples_plot)
    assert {"learned", "true"} <= trace_names(field_plot) | trace_names(true_plot)
    assert "σ_t" in field_text and "cosine" in field_text and "s = −ε̂/σ_t" in field_text
    job.cancel()
    stopped_at = step_of(job.outputs()[-1][0])
    final = train(client, steps=10).result(timeout=240)                     # Train again continues
    assert "done" in value(final[0]) and step_of(final[0]) >= stopped_at + 10 and "new run" not in value(final[0])
    assert_curves(final[1], ["total", "loss_low", "loss_high"])
    # the field at another noise level: the learned and the true score side by side
    learned, true, text = plain(client.predict(t=0.9, api_name="/score_field"))
    assert "t = 0.900" in text and "t = 0.900" in plot_title(learned) and "True score" in plot_title(true)
    # PC, frame by frame: N + 1 frames from x_T to the samples
    slider, plot, plot_x0, readout = sample(client)
    assert slider["maximum"] == 8 and slider["value"] == 0 and "Kept 9 frames of PC" in readout
    assert "Chamfer distance" in readout and "M = 1, r = 0.16" in readout
    moving = {t["name"]: t for t in plot_json(plot)["data"]}
    assert len(moving["x_t"]["x"]) == 60 and "ŝ(x, t)" in moving and "frame 0/8" in plot_title(plot)
    assert "x̂₀ (predicted clean)" in trace_names(plot_x0)
    k, plot, _, readout = plain(client.predict(k=0, api_name="/score_next"))
    assert k == 1 and "frame 1/8" in readout and "frame 1/8" in plot_title(plot)
    k, *_ = plain(client.predict(k=8, api_name="/score_prev"))
    assert k == 7
    *_, readout = plain(client.predict(k=8, api_name="/score_frame"))
    assert "finished samples" in readout
    with pytest.raises(AppError, match="last frame"):
        client.predict(k=8, api_name="/score_next")
    # annealed Langevin and the ODE from the same seed; the Chamfer distances of all three are listed
    slider, *_ = sample(client, sampler="annealed Langevin", steps=4)
    assert slider["maximum"] == 5 * 3                                  # 5 levels × T = 3 steps
    slider, *_, readout = sample(client, sampler="probability-flow ODE", steps=8)
    assert slider["maximum"] == 8 and readout.count("**0.") + readout.count("**1.") >= 3, readout
    gif = value(client.predict(api_name="/score_gif"))
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 9
    # the corrector scan: one line per M, one point per snr
    fig, text = plain(client.predict(steps=4, api_name="/score_scan"))
    lines = {t["name"]: t for t in plot_json(fig)["data"]}
    assert set(lines) == {"M = 0", "M = 1", "M = 2"} and all(len(t["x"]) == 5 for t in lines.values())
    assert "Best:" in text
    # export, import in a fresh session, continue and sample there
    path = client.predict(api_name="/score_export")
    fresh = Client(app_url, verbose=False)
    imported = fresh.predict(data="moons", upload=None, path=handle_file(path), api_name="/score_import")
    assert f"imported a run at step {step_of(final[0])}" in value(imported[0])
    more = train(fresh, steps=5).result(timeout=240)
    assert step_of(more[0]) == step_of(final[0]) + 5 and "new run" not in value(more[0])
    assert "Kept 9 frames" in sample(fresh)[-1]


def test_flow_matching_trains_samples_and_compares_paths(client):
    final = train(client, steps=30, objective="flow").result(timeout=240)
    assert "done" in value(final[0])
    assert "Euler" in plot_title(final[2])
    slider, plot, _, readout = sample(client, sampler="Euler (flow)", steps=10)
    assert slider["maximum"] == 10 and "v̂(x, t)" in trace_names(plot)
    with pytest.raises(AppError, match="flow-matching model samples with 'Euler"):
        sample(client, sampler="PC")
    with pytest.raises(AppError, match="no Langevin corrector"):
        client.predict(steps=4, api_name="/score_scan")
    fig, text = plain(client.predict(steps=20, api_name="/score_paths"))
    assert "flow matching (Euler)" in text and "VP score model (PF ODE)" in text and "straightness" in text
    assert {"flow matching (Euler)", "VP score model (PF ODE)"} <= trace_names(fig)


@pytest.mark.parametrize("change, message", [
    (dict(sigma_min=5.0, sigma_max=4.0), "σ_min must be smaller than σ_max"),
    (dict(beta_min=30.0, beta_max=20.0), "β_min must be smaller than β_max"),
    (dict(objective="ddpm"), "must be one of"),
    (dict(data="digits"), "not in the list of choices|must be one of|2D point sets"),
])
def test_bad_settings_get_a_clear_message_and_the_app_keeps_serving(client, change, message):
    import re
    assert_bad_input_refused(client, train, change, re.compile(message), steps=3)


def test_bad_sampler_settings_name_the_field(client):
    with pytest.raises(AppError, match="Train a model first"):
        sample(client)
    train(client, steps=3).result(timeout=240)
    for kw, message in [(dict(snr=0.0), "snr r must be above 0"), (dict(snr=-1.0), "snr r must be above 0"),
                        (dict(eps=0.0), "Langevin step ε"), (dict(n=0), "samples: draw between"),
                        (dict(sampler="Euler (flow)"), "for the flow objective")]:
        with pytest.raises(AppError, match=message):
            sample(client, **kw)
    assert "Kept 9 frames" in sample(client)[-1]                       # still serving
