"""The diffusion tab driven through the running app: train, sample once, move through the frames."""
from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import step_of

SETTINGS = dict(T=30, schedule="cosine", conditional=False, guidance=2.0, hidden=64, layers=2, width=16,
                lr=2e-3, batch_size=128, seed=0, variance="beta_tilde", clip_x0=True, p_uncond=0.1)


def train(client, steps=40, data="moons", **kw):
    return client.submit(data=data, upload=None, steps=steps, **{**SETTINGS, **kw}, api_name="/diffusion_train")


def sample(client, sampler="DDPM", steps=10, n=80, **kw):
    args = dict(sampler=sampler, steps=steps, eta=0.0, n=n, seed=0, guidance=2.0, label=-1, field_mode="ε̂ field")
    return client.predict(**{**args, **kw}, api_name="/diffusion_sample")


def test_train_sample_and_scrub_the_reverse_process(client):
    final = train(client).result(timeout=240)
    status, curves, samples_plot, samples_img, sched, fwd_plot, fwd_img = final
    assert "done" in status and step_of(status) == 40
    assert curves is not None and samples_plot is not None and sched is not None and fwd_plot is not None
    # DDPM: T + 1 frames, from x_T (frame 0) to x_0 (frame T)
    slider, plot, plot_x0, xt, eps, x0, readout = sample(client)
    assert slider["maximum"] == 30 and slider["value"] == 0
    assert "Kept 31 frames" in readout and "t = 30" in readout and plot is not None and plot_x0 is not None
    k, plot, *_, readout = client.predict(k=0, api_name="/diffusion_next")
    assert k == 1 and "frame 1/30" in readout and "t = 29" in readout
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
    assert "Spread within a class" in text and fig is not None


@pytest.mark.parametrize("change, message", [
    (dict(T=5), "minimum value 10"),                 # the form's slider answers before the Config does
    (dict(T=2000), "maximum value 1000"),
    (dict(conditional=True, data="swiss roll"), "no labels"),
    (dict(schedule="quadratic"), "not in the list of choices"),
    (dict(lr=0.0), "minimum value 1e-05"),
])
def test_bad_inputs_get_a_clear_message_and_the_app_keeps_serving(client, change, message):
    change = dict(change)
    data = change.pop("data", "moons")
    with pytest.raises(AppError) as e:
        train(client, steps=5, data=data, **change).result(timeout=120)
    assert message.lower() in str(e.value).lower() and "Traceback" not in str(e.value)
    assert step_of(train(client, steps=3).result(timeout=180)[0]) >= 3


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
    page.wait_for_timeout(8000)
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
