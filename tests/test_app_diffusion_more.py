"""The diffusion tab's issue-13 additions driven through the running app with gradio_client: classifier
guidance (train, sample frame by frame, stop, continue, export, import, GIF) and latent diffusion."""
from __future__ import annotations

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import (assert_bad_input_refused, assert_curves, plain, plot_json, plot_title, step_of, stream_until,
                      submit_train, value)

SETTINGS = dict(T=20, hidden=32, layers=1, batch_size=128, lr=5e-3, classifier=True)


def train(client, steps=100_000, data="moons", **kw):
    return submit_train(client, "diffusion", SETTINGS, data=data, steps=steps, **kw)


def sample(client, **kw):
    args = dict(sampler="DDPM", steps=10, eta=0.0, n=60, seed=0, guidance=1.0, label=0,
                field_mode="classifier ∇ log p(y | x_t)", guide="classifier", scale=3.0)
    *views, readout = client.predict(**{**args, **kw}, api_name="/diffusion_sample")
    return [*views, value(readout)]


def test_classifier_guidance_trains_samples_stops_continues_exports(client, app_url):
    job = train(client)
    stream_until(job, lambda o: step_of(o[0]) >= 20, timeout=300)
    job.cancel()
    stopped_at = step_of(job.outputs()[-1][0])
    final = train(client, steps=10).result(timeout=240)                     # Train again continues
    assert "done" in value(final[0]) and step_of(final[0]) >= stopped_at + 10 and "new run" not in value(final[0])
    assert_curves(final[1], ["total", "clf_ce", "clf_acc"])
    # classifier-guided DDPM, frame by frame, with the classifier's gradient drawn as arrows
    slider, plot, plot_x0, *_, readout = sample(client)
    assert slider["maximum"] == 20 and "classifier guidance s = 3" in readout
    arrows = {t["name"] for t in plot_json(plot)["data"]}
    assert "classifier ∇ log p_φ(y | x_t)" in arrows and "x_t" in arrows
    k, plot, *_ = plain(client.predict(k=0, api_name="/diffusion_next"))
    assert k == 1 and "frame 1/20" in plot_title(plot)
    gif = value(client.predict(api_name="/diffusion_gif"))
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 21
    # DDIM takes the same guidance (Alg. 2); s = 0 is plain sampling
    slider, *_, readout = sample(client, sampler="DDIM", steps=5, scale=0.0)
    assert slider["maximum"] == 5 and "s = 0" in readout
    # export, import in a fresh session, continue: the classifier travels with the run
    path = client.predict(api_name="/diffusion_export")
    fresh = Client(app_url, verbose=False)
    imported = fresh.predict(data="moons", upload=None, path=handle_file(path), api_name="/diffusion_import")
    assert f"imported a run at step {step_of(final[0])}" in value(imported[0])
    more = train(fresh, steps=5).result(timeout=240)
    assert step_of(more[0]) == step_of(final[0]) + 5 and "new run" not in value(more[0])
    *_, readout = sample(fresh, label=1)
    assert "classifier guidance" in readout


def test_classifier_sampling_settings_are_checked_by_name(client):
    train(client, steps=5).result(timeout=240)
    with pytest.raises(AppError, match="Class must be"):
        sample(client, label=7)
    with pytest.raises(AppError, match="[Gg]uidance type"):
        sample(client, guide="magic")
    with pytest.raises(AppError, match="[Cc]lassifier scale s"):
        sample(client, scale=-1.0)
    plain_run = Client(client.src, verbose=False)
    submit_train(plain_run, "diffusion", {**SETTINGS, "classifier": False}, data="moons", steps=3).result(timeout=240)
    with pytest.raises(AppError, match="noisy classifier"):
        sample(plain_run)


def test_classifier_on_unlabelled_data_is_refused_with_a_message(client):
    assert_bad_input_refused(client, train, dict(data="swiss roll"), "labelled dataset", steps=3)


# ----------------------------------------------------------------------------- latent diffusion
LATENT = dict(SETTINGS, classifier=False, latent=True, ae_steps=20, latent_dim=6, ae_hidden=64, batch_size=64)
VIEWS = ["samples_plot", "samples_img", "schedules", "forward_plot", "forward_img", "latent_codes", "latent_samples",
         "latent_recon", "latent_note"]


def train_latent(client, steps=100_000, data="digits", **kw):
    return submit_train(client, "diffusion", LATENT, data=data, steps=steps, **kw)


def test_latent_diffusion_trains_samples_decodes_stops_continues_exports(client, app_url):
    job = train_latent(client)
    stream_until(job, lambda o: step_of(o[0]) >= 30, timeout=300)
    job.cancel()
    stopped_at = step_of(job.outputs()[-1][0])
    final = train_latent(client, steps=10).result(timeout=240)
    assert "done" in value(final[0]) and step_of(final[0]) >= stopped_at + 10 and "new run" not in value(final[0])
    assert_curves(final[1], ["ae_recon", "total"])
    views = dict(zip(VIEWS, plain(final[2:])))
    assert views["samples_img"] is not None and views["latent_recon"] is not None    # decoded samples, D(E(x))
    codes, samples = plot_json(final[7]), plot_json(final[8])
    assert "latent codes" in codes["layout"]["title"]["text"] and "latent space" in samples["layout"]["title"]["text"]
    assert len(codes["data"][0]["x"]) > 0 and len(samples["data"][0]["x"]) == 400
    # the reverse process runs in latent space; the viewer shows decoded frames; the GIF exports
    slider, *_, readout = sample(client, guide="none", label=-1, n=9, sampler="DDIM", steps=5)
    assert slider["maximum"] == 5 and "Kept 6 frames" in readout
    k, *_ = plain(client.predict(k=0, api_name="/diffusion_next"))
    assert k == 1
    with Image.open(value(client.predict(api_name="/diffusion_gif"))) as im:
        assert im.format == "GIF" and im.n_frames == 6
    speed = value(client.predict(api_name="/diffusion_speed"))
    assert "steps/s" in speed and "latent is" in speed
    path = client.predict(api_name="/diffusion_export")
    fresh = Client(app_url, verbose=False)
    imported = fresh.predict(data="digits", upload=None, path=handle_file(path), api_name="/diffusion_import")
    assert f"imported a run at step {step_of(final[0])}" in value(imported[0])
    more = train_latent(fresh, steps=5).result(timeout=240)
    assert step_of(more[0]) == step_of(final[0]) + 5 and "new run" not in value(more[0])


@pytest.mark.parametrize("change, message", [
    (dict(ae_steps=0), "needs a trained autoencoder"),
    (dict(data="moons"), "compresses images"),
    (dict(latent_dim=0), "latent size d"),
])
def test_latent_diffusion_refuses_bad_settings_with_a_message(client, change, message):
    assert_bad_input_refused(client, train_latent, change, message, steps=3)
