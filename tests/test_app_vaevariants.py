"""The VAE-variants tab driven through the running app with gradio_client: every variant trains, stops,
continues, exports and imports; bad settings are refused with a message naming the field."""
from __future__ import annotations

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from conftest import (assert_bad_input_refused, assert_curves, plain, plot_text, redrawn, step_of, stream_until,
                      submit_train, value)

BASE = dict(hidden=64, batch_size=64, seed=0)
VARIANTS = {
    "vae-gan": (dict(variant="vae-gan", latent_dim=4, twin=True), ["KL", "L_llike", "D loss", "G loss", "twin −ELBO"],
                ["recon", "samples", "twin", "traversal", "interpolation"]),
    "aae": (dict(variant="aae", latent_dim=2, prior="mixture_by_label"), ["recon", "D loss", "G loss", "MMD²"],
            ["recon", "samples", "codes", "traversal", "interpolation"]),
    "gumbel": (dict(variant="gumbel", n_vars=6, categories=4, hard=True), ["recon", "−ELBO", "KL", "τ"],
               ["recon", "samples", "tau_heat", "tau_img", "flip", "interpolation"]),
}
VIEWS = ["recon", "samples", "twin", "codes", "latent", "traversal", "interpolation", "tau_heat", "tau_img", "flip",
         "flip_note"]


def train(client, steps=100_000, data="digits", settings=None, **kw):
    return submit_train(client, "vaevariants", {**BASE, **(settings or {})}, data=data, steps=steps, **kw)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_variant_trains_stops_continues_exports_and_imports(client, app_url, variant):
    settings, terms, shown = VARIANTS[variant]
    job = train(client, settings=settings)
    out = stream_until(job, lambda o: step_of(o[0]) >= 15 and redrawn(o), timeout=240)
    status, curves, *views = plain(out)
    views = dict(zip(VIEWS, views))
    assert_curves(curves, terms)
    for name in shown:
        assert views[name] is not None, f"{variant}: the {name} view is empty"
    assert "pg-scatter" in views["latent"]
    if variant == "aae":
        assert '"heatmap"' in plot_text(views["codes"]) and "prior samples" in plot_text(views["codes"])
    job.cancel()
    stopped_at = step_of(job.outputs()[-1][0])
    final = train(client, steps=10, settings=settings).result(timeout=240)      # Train again continues
    assert "done" in value(final[0]) and step_of(final[0]) >= stopped_at + 10
    path = client.predict(api_name="/vaevariants_export")
    fresh = Client(app_url, verbose=False)
    imported = fresh.predict(data="digits", upload=None, path=handle_file(path), api_name="/vaevariants_import")
    assert f"imported a run at step {step_of(final[0])}" in value(imported[0])
    more = train(fresh, steps=5, settings=settings).result(timeout=240)
    assert step_of(more[0]) == step_of(final[0]) + 5 and "new run" not in value(more[0])


def test_gumbel_views_tau_and_flip(client):
    settings = VARIANTS["gumbel"][0]
    train(client, steps=10, settings=settings).result(timeout=240)
    out = dict(zip(["tau_heat", "tau_img"], plain(client.predict(tau=0.1, image=3, api_name="/vaevariants_tau"))))
    assert "τ = 0.1" in plot_text(out["tau_heat"]) and out["tau_img"] is not None
    out = dict(zip(["flip", "flip_note"], plain(client.predict(image=2, variable=5, category=3,
                                                                api_name="/vaevariants_flip"))))
    assert "flipped to **3**" in out["flip_note"] and out["flip"] is not None
    with pytest.raises(AppError, match="variable must be between 0 and 5"):
        client.predict(image=2, variable=6, category=0, api_name="/vaevariants_flip")
    with pytest.raises(AppError, match="category must be between 0 and 3"):
        client.predict(image=2, variable=0, category=4, api_name="/vaevariants_flip")


@pytest.mark.parametrize("change, message", [
    (dict(tau0=0.0), "τ₀ (Gumbel) must be greater than 0"),
    (dict(tau_min=0.0), "τ_min (Gumbel) must be greater than 0"),
    (dict(categories=1), "categories"),
    (dict(prior="banana"), "prior"),
])
def test_bad_settings_get_a_message_naming_the_field_and_the_app_keeps_serving(client, change, message):
    def gumbel(client, steps=5, **kw):
        settings = {**VARIANTS["gumbel"][0], **{k: v for k, v in kw.items() if k not in ("data", "upload")}}
        return train(client, steps=steps, settings=settings)
    assert_bad_input_refused(client, gumbel, change, message)

