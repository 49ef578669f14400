"""The diffusion tab driven through the running app: train, sample once, move through the frames."""
from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import (assert_bad_input_refused, assert_curves, plot_json, plot_title, step_of, submit_train,
                      trace_names, value, wait_for_step)

SETTINGS = dict(T=30, schedule="cosine", conditional=False, guidance=2.0, hidden=64, layers=2, width=16,
                lr=2e-3, batch_size=128, seed=0, variance="beta_tilde", clip_x0=True, p_uncond=0.1)


def train(client, steps=40, data="moons", **kw):
    return submit_train(client, "diffusion", SETTINGS, data=data, steps=steps, **kw)


def sample(client, sampler="DDPM", steps=10, n=80, **kw):
    args = dict(sampler=sampler, steps=steps, eta=0.0, n=n, seed=0, guidance=2.0, label=-1, field_mode="ε̂ field")
    return client.predict(**{**args, **kw}, api_name="/diffusion_sample")


def test_train_sample_and_scrub_the_reverse_process(client):
    job = train(client)
    final = job.result(timeout=240)
    status, curves, samples_plot, samples_img, sched, fwd_plot, fwd_img = final
    assert "done" in status and step_of(status) == 40
    assert_curves(curves, ["total", "loss_t_low", "loss_t_high"], steps=40)
    points = {t["name"]: t for t in plot_json(samples_plot)["data"]}
    assert set(points) == {"data", "samples"} and len(points["samples"]["x"]) > 0
    assert "at step 40" in plot_title(samples_plot)
    # the schedule and the forward process are sent when they change (the first redraw), skipped after
    sent = [o for o in job.outputs() if value(o[4]) is not None]
    assert sent, "the schedule view was never drawn"
    sched, fwd_plot = sent[-1][4], sent[-1][5]
    lines = [t for t in plot_json(sched)["data"] if t.get("mode") == "lines"]
    assert {t["name"] for t in lines} == {"linear", "cosine"} and all(len(t["x"]) == 30 for t in lines)
    assert "of 30" in plot_title(fwd_plot) and trace_names(fwd_plot) == {"data", "x_t"}
    # DDPM: T + 1 frames, from x_T (frame 0) to x_0 (frame T)
    slider, plot, plot_x0, xt, eps, x0, readout = sample(client)
    assert slider["maximum"] == 30 and slider["value"] == 0
    assert "Kept 31 frames" in readout and "t = 30" in readout
    moving = {t["name"]: t for t in plot_json(plot)["data"]}
    assert len(moving["x_t"]["x"]) == 80 and "ε̂(x, t)" in moving and "frame 0/30" in plot_title(plot)
    headed = {t["name"]: t for t in plot_json(plot_x0)["data"]}
    assert len(headed["x̂₀ (predicted clean)"]["x"]) == 80
    k, plot, *_, readout = client.predict(k=0, api_name="/diffusion_next")
    assert k == 1 and "frame 1/30" in readout and "t = 29" in readout and "frame 1/30" in plot_title(plot)
    *_, readout = client.predict(k=30, api_name="/diffusion_frame")
    assert "x₀" in readout
    k, *_ = client.predict(k=30, api_name="/diffusion_prev")
    assert k == 29
    # stepping past either end is a clear message, and the app keeps serving
    with pytest.raises(AppError, match="last frame"):
        client.predict(k=30, api_name="/diffusion_next")
    with pytest.raises(AppError, match="first frame"):
        client.predict(k=0, api_name="/diffusion_prev")
    with pytest.raises(AppError, match="greater than maximum value 30|numbered 0 to 30"):   # the slider checks first
        client.predict(k=31, api_name="/diffusion_frame")
    # DDIM from the same seed: fewer frames
    slider, *_, readout = sample(client, sampler="DDIM", steps=6)
    assert slider["maximum"] == 6 and "DDIM" in readout
    # the kept frames become an animated GIF
    path = client.predict(api_name="/diffusion_gif")
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 7


def test_guidance_readout_on_a_conditional_model(client):
    train(client, conditional=True).result(timeout=240)
    slider, *_, readout = sample(client, label=1, guidance=3.0)
    assert "guidance w = 3" in readout
    fig, text = client.predict(api_name="/diffusion_guidance")
    assert "Spread within a class" in text
    # one point per guidance scale listed in the text, for the spread and for the distance to the data
    ws = text.count("w=")
    curves = {t["name"]: t for t in plot_json(fig)["data"]}
    assert ws >= 3 and {len(t["x"]) for t in curves.values()} == {ws}, (ws, curves.keys())
    assert "spread within a class" in curves


@pytest.mark.parametrize("change, message", [
    (dict(T=5), "minimum value 10"),                 # the form's slider answers before the Config does
    (dict(T=2000), "maximum value 1000"),
    (dict(conditional=True, data="swiss roll"), "no labels"),
    (dict(schedule="quadratic"), "not in the list of choices"),
    (dict(lr=0.0), "minimum value 1e-05"),
])
def test_bad_inputs_get_a_clear_message_and_the_app_keeps_serving(client, change, message):
    assert_bad_input_refused(client, train, change, message, steps=3)


def test_sampling_before_training_says_train_first(client):
    with pytest.raises(AppError, match="Train a model first"):
        sample(client)
    with pytest.raises(AppError, match="Train a model first"):
        client.predict(k=0, api_name="/diffusion_next")


def test_guidance_and_labels_need_a_conditional_model(client):
    train(client, steps=5).result(timeout=180)
    with pytest.raises(AppError, match="not class-conditional"):
        sample(client, label=1)
    with pytest.raises(AppError, match="class-conditional"):
        client.predict(api_name="/diffusion_guidance")
    with pytest.raises(AppError, match="Sample and keep every frame"):
        client.predict(k=0, api_name="/diffusion_next")


def test_the_tab_in_a_browser_trains_samples_and_steps(browser, app_url):
    from conftest import ARTIFACTS
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_role("tab", name="Diffusion").click()
    page.get_by_role("button", name="▶ Train").locator("visible=true").first.click()
    page.locator(".pg-curves:visible .js-plotly-plot .scatterlayer path.js-line").first.wait_for(timeout=120_000)
    wait_for_step(page, 100, timeout=120_000)          # a model some way into training, then Stop
    page.get_by_role("button", name="■ Stop").locator("visible=true").first.click()
    page.locator(".pg-status:visible", has_text="stopped").first.wait_for(timeout=60_000)
    page.get_by_role("tab", name="Reverse process").click()
    page.get_by_role("button", name="Sample and keep every frame").click()
    page.get_by_text("Kept 101 frames").first.wait_for(timeout=120_000)
    page.get_by_role("button", name="+1 step ▶").click()
    page.get_by_text("frame 1/100").first.wait_for(timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "diffusion_tab.png"), full_page=True)
    assert not errors, errors
    page.close()
