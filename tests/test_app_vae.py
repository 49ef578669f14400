"""The VAE tab driven as a user (or an API client) drives it: through the running app."""
from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import assert_bad_input_refused, assert_curves, redrawn, step_of, stream_until, submit_train

SETTINGS = dict(beta=1.0, warmup_epochs=0, conditional=False, recon="bce", latent_dim=8, arch="mlp",
                hidden=128, lr=1e-3, batch_size=128, seed=0)


def train(client, steps=100_000, data="digits", **kw):
    return submit_train(client, "vae", SETTINGS, data=data, steps=steps, **kw)


def test_train_streams_views_then_stop_keeps_the_model(client):
    job = train(client)
    out = stream_until(job, lambda o: step_of(o[0]) >= 30 and redrawn(o), timeout=180)
    status, curves, recon, samples, kl, scatter, trav, interp, manifold = out
    assert "cpu" in status and "steps/s" in status
    assert_curves(curves, ["total", "−ELBO", "recon", "KL"], steps=30)
    for img in (recon, samples, trav, interp):
        assert img, "an image view is empty"
    assert "pg-scatter" in scatter and "data:image/png;base64" in scatter, "the latent scatter has no hover images"
    job.cancel()
    stopped_at = step_of(job.outputs()[-1][0])
    # the stopped model still serves every view: a t-SNE of the latent means
    proj, *views = client.predict(api_name="/vae_tsne")
    assert "t-SNE" in views[3]
    # Train again continues from where it stopped
    job2 = train(client, steps=20)
    final = stream_until(job2, lambda o: "done" in o[0], timeout=180)
    assert "continuing" in job2.outputs()[0][0]
    assert step_of(final[0]) >= stopped_at + 20


@pytest.mark.parametrize("change, message", [
    (dict(beta=500.0), "maximum value 100"),
    (dict(latent_dim=1), "minimum value 2"),
    (dict(recon="l1"), "'bce', 'mse'"),
    (dict(lr=0.0), "minimum value 1e-05"),
    (dict(batch_size=2.5), "batch size must be a whole number"),
    (dict(data="moons"), "moons"),
    (dict(steps=0), "minimum value 1"),
])
def test_bad_inputs_get_a_clear_message_and_the_app_keeps_serving(client, change, message):
    assert_bad_input_refused(client, train, change, message)


def test_views_before_training_say_train_first(client):
    with pytest.raises(AppError, match="Train a model first"):
        client.predict(api_name="/vae_tsne")


def test_two_visitors_have_their_own_runs(client, app_url):
    from gradio_client import Client
    other = Client(app_url, verbose=False)
    train(client, steps=10).result(timeout=180)
    with pytest.raises(AppError, match="Train a model first"):
        other.predict(api_name="/vae_tsne")


def test_export_then_import_restores_the_run(client, app_url):
    from gradio_client import Client
    final = train(client, steps=40).result(timeout=180)
    path = client.predict(api_name="/vae_export")
    assert str(path).endswith(".zip")
    other = Client(app_url, verbose=False)
    out = other.predict("digits", None, handle_file(path), api_name="/vae_import")
    assert "imported" in out[0] and step_of(out[0]) == step_of(final[0])


def test_a_run_that_diverges_stops_with_a_message_and_keeps_good_weights(client):
    final = train(client, steps=400, lr=1.0).result(timeout=180)
    status = final[0]
    assert "diverged" in status and "last good weights" in status
    assert step_of(status) < 400
    proj, *views = client.predict(api_name="/vae_tsne")    # the restored model still works
    assert "nan" not in views[3].split("pg-area")[1][:3000].lower()
