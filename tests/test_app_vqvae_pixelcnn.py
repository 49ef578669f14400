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
    msg, curve, img = client.submit(40, 1.0, "gated PixelCNN", api_name="/vqvae_prior").result(timeout=240)
    assert "gated PixelCNN prior: 40 steps" in msg and "nats" in msg and img
    nll = plot_json(curve)["data"]
    assert [t["name"] for t in nll] == ["prior NLL"] and len(nll[0]["x"]) == 40
    # the transformer beside it: its own curve in blue, the PixelCNN's in grey, same units
    msg, curve, img = client.submit(30, 1.0, "transformer", api_name="/vqvae_prior").result(timeout=240)
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
