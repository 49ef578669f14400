"""The VQ-VAE tab driven through the running app: train, move the codebook sliders, sample from the prior."""
from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError

from conftest import assert_bad_input_refused, assert_curves, plot_json, plot_text, plot_title, step_of, stream_until, plain, \
    submit_train, trace_names, value

SETTINGS = dict(num_codes=32, code_dim=16, beta=0.25, update="ema", gamma=0.99, restart=True, two_level=False,
                lr=2e-3, batch_size=128, seed=0, dead_after=20, width=16)
VIEWS = ["recon", "usage", "proj", "eq", "codemap", "edit", "topn_img", "topn_fig", "off_img", "off_md",
         "levels", "noprior"]


def train(client, steps=100_000, data="digits", **kw):
    return submit_train(client, "vqvae", SETTINGS, data=data, steps=steps, **kw)


def test_train_then_sliders_edits_and_prior(client):
    job = train(client)
    # status-only updates skip the views; wait for a full redraw after step 30
    out = stream_until(job, lambda o: step_of(o[0]) >= 30 and value(o[1]) is not None, timeout=240)
    status, curves, *views = plain(out)
    v = dict(zip(VIEWS, views))
    assert "steps/s" in status
    assert_curves(curves, ["total", "recon", "vq", "commit", "perplexity", "dead_codes"], steps=30)
    latest = {}                            # costly views are sent when due, not in every redraw
    for o in job.outputs():
        latest.update({k: value(x) for k, x in zip(VIEWS, o[2:]) if value(x) is not None})
    for key in ("recon", "edit", "topn_img", "noprior"):
        assert latest.get(key), f"the {key} view is empty"
    # the usage plot and the formula are sent when they change (not at every redraw)
    sent = [dict(zip(VIEWS, o[2:])) for o in job.outputs()]
    usage = [s["usage"] for s in sent if value(s["usage"]) is not None]
    assert usage, "the usage plot was never sent"
    bars = plot_json(usage[-1])["data"]
    assert bars[0]["type"] == "bar" and len(bars[0]["y"]) == SETTINGS["num_codes"]      # a bar per code
    assert "perplexity" in plot_title(usage[-1])
    assert any("eq. 13" in str(s["eq"]) for s in sent)
    job.cancel()
    # keep the 2 most used codes: the error curve marks N = 2
    v = dict(zip(["topn_img", "topn_fig"], plain(client.predict(2, api_name="/vqvae_top_n"))))
    assert "N = 2" in plot_title(v["topn_fig"]) and {"error", "N = 2"} <= trace_names(v["topn_fig"])
    # switch two codes off: the summary says how many cells they held
    v = dict(zip(["off_img", "off_md"], plain(client.predict("0, 1", api_name="/vqvae_codes_off"))))
    assert "switched off" in v["off_md"] and v["off_img"]
    # give cell (1, 2) of image 5 another code; outside the 4×4 grid is a clear message
    v = dict(zip(["codemap", "edit"], plain(client.predict(5, 1, 2, 7, api_name="/vqvae_edit"))))
    cells = plot_json(v["codemap"])["data"][0]
    assert "#5" in plot_title(v["codemap"]) and v["edit"]
    assert cells["type"] == "heatmap" and [len(row) for row in cells["z"]] == [4, 4, 4, 4]
    assert all(0 <= k < SETTINGS["num_codes"] for row in cells["z"] for k in row)
    with pytest.raises(AppError, match="outside the 4×4 grid"):
        client.predict(5, 4, 0, 7, api_name="/vqvae_edit")
    with pytest.raises(AppError, match="codes 0 to 31"):
        client.predict("3, 99", api_name="/vqvae_codes_off")
    # the prior: trains, shows its curve, samples images
    msg, curve, img = plain(client.submit(40, 1.0, api_name="/vqvae_prior").result(timeout=240))
    assert "40 steps" in msg and img
    nll = plot_json(curve)["data"]
    assert [t["name"] for t in nll] == ["prior NLL"] and len(nll[0]["x"]) == 40 and "Prior loss" in plot_title(curve)
    msg, _, img = plain(client.predict(0.7, api_name="/vqvae_prior_sample"))
    assert img and "nats" in msg


def test_prior_before_any_vqvae_says_train_first(client):
    with pytest.raises(AppError, match="Train a VQ-VAE first"):
        client.submit(20, 1.0, api_name="/vqvae_prior").result(timeout=60)
    with pytest.raises(AppError, match="Train the prior first"):
        client.predict(1.0, api_name="/vqvae_prior_sample")
    with pytest.raises(AppError, match="Train a model first"):
        client.predict(3, api_name="/vqvae_top_n")


@pytest.mark.parametrize("change, message", [
    (dict(num_codes=4), "from 8 to"),
    (dict(num_codes=2000), "to 1024; got"),
    (dict(code_dim=1), "from 2 to"),
    (dict(update="adam"), "'loss', 'ema'"),
    (dict(data="moons"), "moons"),
])
def test_bad_inputs_get_a_clear_message_and_the_app_keeps_serving(client, change, message):
    assert_bad_input_refused(client, train, change, message, steps=3)


def test_two_levels_show_what_each_level_carries(client):
    job = train(client, steps=10, two_level=True)
    job.result(timeout=240)
    # a view is sent when it changes and skipped otherwise: take the latest value sent of each
    v = {}
    for out in job.outputs():
        v.update({k: x for k, x in zip(VIEWS, out[2:]) if value(x) is not None})
    assert v.get("levels"), "the VQ-VAE-2 view is empty"
    assert "top: column" in plot_text(v["codemap"])


# ----------------------------------------------------------------------------- the presets' notes come true
# No app needed: each preset's "what to watch" against a seeded run of its settings, shorter than the tab's
# 2000 steps (the notes' numbers were measured at full length; these runs check the same behaviour early).
def _preset_run(name: str, data=None):
    import torch
    from playground.tabs.vqvae import PRESETS
    from trainers import data as datasets
    from trainers.loop import Run
    from trainers.vqvae import Config
    ds_name, overrides, note = PRESETS[name]
    assert note
    torch.manual_seed(0)
    return Run("vqvae", Config(**overrides), data if data is not None else datasets.load(ds_name), "cpu")


def test_preset_codebook_collapse_holds_and_restarts_undo_it(digits):
    import dataclasses
    from trainers.loop import train
    run = _preset_run("Codebook collapse (no restarts)", digits)
    for m in train(run, steps=120):
        pass
    assert m.terms["dead_codes"] >= 250 and m.terms["perplexity"] < 3, m.terms      # measured 254, 1.3
    run.update_config(dataclasses.replace(run.cfg, restart=True))                  # tick restarts, Train again
    for m in train(run, steps=40):
        pass
    assert m.terms["dead_codes"] <= 5 and m.terms["perplexity"] > 100, m.terms     # measured 0, 171
    with run.evaluating() as model:
        assert model.codes(digits.x_test)["bottom"].unique().numel() > 200        # measured 231 of 256


def test_preset_ema_with_restarts_uses_most_codes(digits):
    from trainers.loop import train
    run = _preset_run("EMA codebook with restarts", digits)
    for m in train(run, steps=150):
        pass
    assert m.terms["dead_codes"] == 0, m.terms
    assert m.terms["perplexity_epoch"] > 128, m.terms                               # measured 165 of 256
    with run.evaluating() as model:
        assert int((model.vq_b.usage() == 0).sum()) <= 5


def test_preset_vqvae2_bottom_level_carries_nearly_everything():
    import torch
    from trainers.loop import train
    run = _preset_run("VQ-VAE-2 on sprites")
    for _ in train(run, steps=60):
        pass
    x = run.data.x_test[:128]
    with run.evaluating() as model:
        codes = model.codes(x)
        err = {"full": float((model.decode_codes(codes) - x).pow(2).mean())}
        for lv in ("top", "bottom"):
            for how in ("zero", "random"):
                torch.manual_seed(0)
                err[lv, how] = float((model.decode_codes(codes, {lv: how}) - x).pow(2).mean())
    # losing the bottom level costs many times what losing the top costs (measured ×8 and ×4 at step 50,
    # ×15 and ×11 at step 1000)
    for how in ("zero", "random"):
        assert err["bottom", how] - err["full"] > 3 * (err["top", how] - err["full"]), err
    mean_image = float((x.mean(0, keepdim=True) - x).pow(2).mean())
    assert err["bottom", "zero"] > 0.6 * mean_image, (err, mean_image)               # next to nothing is left
