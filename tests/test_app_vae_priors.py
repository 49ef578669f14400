"""The VAE tab's learned prior p(z|y) and Gaussian decoder with a learned σ (issue 12, items 4–5), through the
running app: train, continue, export and import, and a bad combination refused with the field's name."""
from __future__ import annotations

from gradio_client import Client, handle_file

from conftest import assert_bad_input_refused, assert_curves, plain, redrawn, step_of, stream_until, submit_train

SETTINGS = dict(conditional=True, prior="learned", recon="mse", gaussian="learned", latent_dim=8, hidden=128)


def train(client, steps=100_000, data="digits", **kw):
    return submit_train(client, "vae", SETTINGS, data=data, steps=steps, **kw)


def test_learned_prior_and_sigma_train_continue_export_import(client, app_url):
    job = train(client)
    out = stream_until(job, lambda o: step_of(o[0]) >= 30 and redrawn(o), timeout=180)
    status, curves, recon, samples, kl, scatter, trav, interp, manifold = plain(out)
    assert_curves(curves, ["total", "−ELBO", "recon", "KL", "sigma"], steps=30)    # σ has a curve of its own
    assert samples and recon
    job.cancel()
    stopped_at = step_of(job.outputs()[-1][0])
    final = train(client, steps=20).result(timeout=180)                          # Train again: continues
    assert step_of(final[0]) >= stopped_at + 20
    path = client.predict(api_name="/vae_export")
    other = Client(app_url, verbose=False)
    out = other.predict("digits", None, handle_file(path), api_name="/vae_import")
    assert "imported" in out[0] and step_of(out[0]) == step_of(final[0])
    again = train(other, steps=10)
    done = again.result(timeout=180)
    assert "continuing" in again.outputs()[0][0] and step_of(done[0]) == step_of(final[0]) + 10


def test_learned_prior_without_the_cvae_is_refused_by_name(client):
    assert_bad_input_refused(client, train, dict(conditional=False), "prior p(z|y) 'learned'")


def test_learned_sigma_with_bce_is_refused_by_name(client):
    assert_bad_input_refused(client, train, dict(recon="bce"), "Gaussian decoder σ 'learned' needs reconstruction loss")


def test_unknown_prior_is_refused(client):
    assert_bad_input_refused(client, train, dict(prior="gmm"), "'standard', 'learned'")
