"""The Autoencoders tab driven through the running app with gradio_client, as an API client would."""
from __future__ import annotations

import json
import re

import pytest
from gradio_client.exceptions import AppError

from conftest import redrawn, step_of, stream_until

SETTINGS = dict(variant="plain", noise="masking", noise_level=0.3, sparsity="kl", rho=0.05, beta=1.0, l1=0.03,
                k=5, lam=0.1, latent_dim=16, arch="mlp", hidden=128, lr=2e-3, batch_size=128, seed=0)


def text(plot) -> str:
    """A gr.Plot output as readable text (its JSON escapes non-ASCII characters such as ρ and λ)."""
    return json.dumps(json.loads(plot["plot"]), ensure_ascii=False)


def train(client, steps=100_000, data="digits", **kw):
    return client.submit(data, None, steps, *{**SETTINGS, **kw}.values(), api_name="/ae_train")


def test_training_streams_every_view_then_stop_keeps_the_model(client):
    job = train(client)
    # status-only yields carry gr.skip() updates for the views: wait for a full redraw
    out = stream_until(job, lambda o: step_of(o[0]) >= 20 and redrawn(o), timeout=180)
    status, curves, recon, scatter, hist, rho_fig, sens, holes, holes_note = out
    assert "steps/s" in status
    assert "recon" in text(curves)
    assert recon and holes, "an image view is empty"
    assert "pg-scatter" in scatter and "data:image/png;base64" in scatter
    for plot in (hist, rho_fig, sens):
        assert "plot" in str(plot).lower()
    assert "AE" in holes_note
    job.cancel()
    proj, *views = client.predict(api_name="/ae_tsne")      # the stopped model still serves the views
    assert "t-SNE" in views[1]


@pytest.mark.parametrize("variant, extra, term", [
    ("denoising", dict(noise="salt-and-pepper"), None),
    ("sparse", dict(sparsity="kl", latent_dim=32), "sparsity penalty"),
    ("sparse", dict(sparsity="k-sparse", k=3, latent_dim=16), "fraction of zeros"),
    ("contractive", dict(lam=0.2), "‖J‖_F"),
])
def test_each_variant_trains_and_shows_its_terms(client, variant, extra, term):
    final = train(client, steps=25, variant=variant, **extra).result(timeout=240)
    status, curves, recon, scatter, hist, rho_fig, sens, holes, holes_note = final
    assert step_of(status) == 25 and "done" in status
    assert recon and holes and "pg-scatter" in scatter
    if term:
        assert term in text(curves)
    if extra.get("sparsity") == "kl":
        assert "target ρ" in text(rho_fig)
    if extra.get("sparsity") == "k-sparse":
        assert "k = 3 of 16" in text(rho_fig)


def test_comparison_models_trained_on_the_spot(client):
    train(client, steps=20, variant="contractive").result(timeout=240)
    views = client.predict(api_name="/ae_compare_plain")
    assert "λ = 0" in text(views[4]), "the sensitivity view has no λ = 0 twin"
    views = client.predict(200, api_name="/ae_train_vae")
    assert "VAE" in views[-1] and "200 steps" in views[-1]
    fig, note = client.predict(["0", "1"], 100, api_name="/ae_anomaly")
    auc = float(re.search(r"ROC AUC = ([\d.]+)", note).group(1))
    assert 0.0 <= auc <= 1.0 and "histogram" in text(fig)


@pytest.mark.parametrize("change, message", [
    (dict(variant="sparse", sparsity="k-sparse", k=20, latent_dim=8), "at most the code size"),
    (dict(rho=1.0), "maximum value 0.999"),
    (dict(lam=-1.0), "minimum value 0"),
    (dict(variant="wavelet"), "'plain', 'denoising'"),
])
def test_bad_inputs_get_a_clear_message_and_the_app_keeps_serving(client, change, message):
    with pytest.raises(AppError) as e:
        train(client, steps=5, **change).result(timeout=120)
    assert message.lower() in str(e.value).lower()
    assert "Traceback" not in str(e.value)
    final = train(client, steps=5).result(timeout=180)
    assert step_of(final[0]) >= 5


def test_bad_view_inputs_get_a_clear_message(client):
    with pytest.raises(AppError, match="Train a model first"):
        client.predict(["0"], 100, api_name="/ae_anomaly")
    train(client, steps=5).result(timeout=180)
    with pytest.raises(AppError, match="contractive"):
        client.predict(api_name="/ae_compare_plain")         # a plain run has no λ to switch off
    with pytest.raises(AppError, match="at least one class"):
        client.predict([], 100, api_name="/ae_anomaly")
