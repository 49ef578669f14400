"""The VQ-VAE tab's second prior, a gated PixelCNN (issue 12, item 6), through the running app: it trains
beside the transformer, draws its loss curve (both curves once both are trained) and samples images."""
from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError

from conftest import plain, plot_json, plot_title, step_of, submit_train

SETTINGS = dict(num_codes=32, width=16)


def test_pixelcnn_prior_trains_samples_and_compares(client):
    final = submit_train(client, "vqvae", SETTINGS, data="digits", steps=40).result(timeout=240)
    assert step_of(final[0]) == 40
    msg, curve, img = plain(client.submit(40, 1.0, "gated PixelCNN", api_name="/vqvae_prior").result(timeout=240))
    assert "gated PixelCNN prior: 40 steps" in msg and "nats" in msg and img
    nll = plot_json(curve)["data"]
    assert [t["name"] for t in nll] == ["prior NLL"] and len(nll[0]["x"]) == 40
    # the transformer beside it: its own curve in blue, the PixelCNN's in grey, same units
    msg, curve, img = plain(client.submit(30, 1.0, "transformer", api_name="/vqvae_prior").result(timeout=240))
    assert msg.startswith("transformer prior: 30 steps") and img
    lines = {t["name"]: len(t["x"]) for t in plot_json(curve)["data"]}
    assert lines == {"prior NLL": 30, "gated PixelCNN NLL": 40}
    assert "transformer (blue) vs gated PixelCNN (grey)" in plot_title(curve)
    # each prior keeps its own state: sampling the PixelCNN again does not retrain anything
    msg, _, img = plain(client.predict(0.7, "gated PixelCNN", api_name="/vqvae_prior_sample"))
    assert "gated PixelCNN prior: 40 steps" in msg and img
    # the old two-argument calls still mean the transformer
    msg, _, img = plain(client.predict(0.7, api_name="/vqvae_prior_sample"))
    assert msg.startswith("transformer prior: 30 steps") and img


def test_unknown_prior_choice_is_refused(client):
    submit_train(client, "vqvae", SETTINGS, data="digits", steps=5).result(timeout=240)
    with pytest.raises(AppError, match="prior|wavenet"):
        client.predict(1.0, "wavenet", api_name="/vqvae_prior_sample")
    with pytest.raises(AppError, match="Train the prior first"):
        client.predict(1.0, "gated PixelCNN", api_name="/vqvae_prior_sample")


VIEWS = ["recon", "usage", "projection", "equation", "codemap", "edit", "topn_img", "topn_fig", "off_img",
         "off_note", "levels", "no_prior", "prior_status", "prior_curve", "prior_img"]


def test_both_priors_travel_with_the_exported_run(client, app_url):
    """Export → import in another visitor's page: both priors, their curves and samples come back, sampling
    needs no retraining, and Train prior continues the imported prior's curve."""
    from gradio_client import Client, handle_file
    final = submit_train(client, "vqvae", SETTINGS, data="digits", steps=30).result(timeout=240)
    client.submit(20, 1.0, "gated PixelCNN", api_name="/vqvae_prior").result(timeout=240)
    client.submit(15, 1.0, "transformer", api_name="/vqvae_prior").result(timeout=240)
    path = client.predict(api_name="/vqvae_export")
    other = Client(app_url, verbose=False)
    out = plain(other.predict("digits", None, handle_file(path), api_name="/vqvae_import"))
    status, _, *views = out
    v = dict(zip(VIEWS, views))
    assert "imported" in status and step_of(status) == step_of(final[0]) == 30
    assert v["prior_status"].startswith("transformer prior: 15 steps"), v["prior_status"]
    assert {t["name"]: len(t["x"]) for t in plot_json(v["prior_curve"])["data"]} == \
        {"prior NLL": 15, "gated PixelCNN NLL": 20}
    assert v["prior_img"], "the imported prior's samples are missing"
    msg, curve, img = plain(other.predict(0.8, "gated PixelCNN", api_name="/vqvae_prior_sample"))
    assert msg.startswith("gated PixelCNN prior: 20 steps") and img and "⚠️" not in msg
    msg, curve, img = plain(other.submit(10, 1.0, "gated PixelCNN", api_name="/vqvae_prior").result(timeout=240))
    assert msg.startswith("gated PixelCNN prior: 30 steps") and img
    assert {t["name"]: len(t["x"]) for t in plot_json(curve)["data"]} == {"prior NLL": 30, "transformer NLL": 15}
    # the first visitor's priors are their own: untouched by the import and the training after it
    msg, _, _ = plain(client.predict(1.0, "gated PixelCNN", api_name="/vqvae_prior_sample"))
    assert msg.startswith("gated PixelCNN prior: 20 steps")
