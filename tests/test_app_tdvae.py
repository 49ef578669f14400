"""The TD-VAE tab driven through the running app: train on sequences, then roll out futures."""
from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError

from conftest import assert_bad_input_refused, assert_curves, plot_json, plot_title, step_of, stream_until, \
    submit_train, trace_names, value

# small and quick: the tab's behaviour, not the model's quality, is under test here
SETTINGS = dict(length=16, jump_min=1, jump_max=3, condition_on_jump=True, z_dim=4, belief_dim=16, hidden=32,
                pairs=4, likelihood="auto", obs_std=0.1, lr=3e-3, batch_size=32, seed=0)


def train(client, steps=100_000, data="sine waves", **kw):
    return submit_train(client, "tdvae", SETTINGS, data=data, steps=steps, **kw)


def _drawn(o) -> bool:
    """The curves and the futures plot carry a value (status-only ticks skip them)."""
    return value(o[1]) is not None and value(o[5]) is not None and "possible futures" in trace_names(o[5])


def test_train_on_sine_waves_streams_then_rollout(client):
    job = train(client)
    out = stream_until(job, lambda o: step_of(o[0]) >= 20 and _drawn(o), timeout=240)
    status, curves, info, strip, grid, plot = out
    assert "steps/s" in status
    lines = " | ".join(t["name"] for t in assert_curves(curves, ["total", "KL"], steps=20)["data"]
                       if t.get("mode") == "lines" and t["x"])
    for term in ("decoder", "p_B(z_t1", "p_T", "p_B(z_t2", "p_S"):
        assert term in lines, f"the curves lack a {term} line: {lines}"
    assert "Mean squared error" in info
    assert {"possible futures", "truth ahead", "true sequence"} <= trace_names(plot)
    job.cancel()
    # a chosen sequence, time and jump: the futures start at t and land on t + k·jump
    info, strip, grid, plot = client.predict(3, 5, 2, 6, 4, api_name="/tdvae_rollout")
    assert "#3" in info and "t = 5" in info and "times 7, 9, 11, 13" in info
    traces = plot_json(plot)["data"]
    futures = [t["x"] for t in traces if t.get("name") == "possible futures"]
    assert futures == [[5, 7, 9, 11, 13]] * 6, futures                    # 6 futures, 4 jumps of 2 from t = 5
    assert [t["x"] for t in traces if t.get("name") == "truth ahead"] == [[7, 9, 11, 13]]
    assert "t = 5" in plot_title(plot)


def test_bouncing_ball_shows_image_strips(client):
    final = train(client, steps=15, data="bouncing ball").result(timeout=240)
    status, curves, info, strip, grid, plot = final
    assert step_of(status) == 15 and "done" in status
    assert value(strip) and value(grid), "the image strips are empty"
    info, strip, grid, plot = client.predict(0, 4, 3, 5, 3, api_name="/tdvae_rollout")
    assert "jumps of **3**" in info and value(grid)
    with pytest.raises(AppError, match="test sequence # must be between 0 and 174"):
        client.predict(200, 4, 1, 5, 3, api_name="/tdvae_rollout")       # the ball's test set has 175


@pytest.mark.parametrize("change, message", [
    (dict(jump_max=16), "shorter than the sequences"),
    (dict(jump_min=3, jump_max=2), "shortest jump"),
    (dict(length=100), "maximum value 64"),
    (dict(length=4), "minimum value 8"),
])
def test_bad_settings_get_a_clear_message_and_the_app_keeps_serving(client, change, message):
    assert_bad_input_refused(client, train, change, message, steps=3)


def test_bad_rollout_choices_get_a_clear_message(client):
    with pytest.raises(AppError, match="Train a model first"):
        client.predict(0, 5, 1, 4, 4, api_name="/tdvae_rollout")
    train(client, steps=3).result(timeout=180)
    for args, message in [((0, 16, 1, 4, 4), "time t must be between 0 and 15"),
                          ((0, 5, 5, 4, 4), "trained range 1–3"),
                          ((999, 5, 1, 4, 4), "greater than maximum value 249")]:
        with pytest.raises(AppError, match=message):
            client.predict(*args, api_name="/tdvae_rollout")
    info, *_ = client.predict(1, 5, 1, 4, 4, api_name="/tdvae_rollout")   # still serving
    assert "#1" in info
