"""Issue 15 item 4: lessons that start trained; item 5: a button copies a link to the tab and its settings.

The shipped examples (assets/examples/, made by bench/make_examples.py) are export zips; beside each, the
samples its model drew from a fixed seed *before* it was saved. Loaded directly or through the app, an
example must sample the same, sit at its saved step, and hold its preset's data and settings. Load time is
measured in bench/examples_load.py, not asserted here.
"""
from __future__ import annotations

import dataclasses
import importlib
import urllib.parse
from types import SimpleNamespace

import pytest
import torch
from gradio_client.exceptions import AppError
from safetensors import safe_open

import trainers
from playground import examples
from trainers import checkpoint

from conftest import plot_json, step_of, submit_train, value

FAMILIES = ["ae", "vae", "vaevariants", "vqvae", "gan", "diffusion", "score", "tdvae"]
SHIPPED = [(f, name, path) for f in FAMILIES
           for name, path in examples.available(f, importlib.import_module(f"playground.tabs.{f}").PRESETS).items()]


def _saved(path):
    """The samples bench/make_examples.py drew from the trained model, and its metadata."""
    with safe_open(str(path.with_suffix(".samples.safetensors")), "pt") as f:
        return f.get_tensor("samples"), f.metadata()


def test_every_tab_but_compare_ships_an_example_and_the_folder_stays_small():
    assert {f for f, _, _ in SHIPPED} == set(FAMILIES)
    size = sum(p.stat().st_size for p in examples.FOLDER.iterdir())
    assert size <= 8 * 2**20, f"assets/examples holds {size / 2**20:.1f} MB"


@pytest.mark.parametrize("family,name,path", SHIPPED, ids=[p.name for _, _, p in SHIPPED])
def test_a_shipped_example_is_its_preset_trained_and_samples_as_saved(family, name, path):
    run = checkpoint.load(path, device="cpu")
    dataset, settings, _ = importlib.import_module(f"playground.tabs.{family}").PRESETS[name]
    assert run.family == family and run.data.name == dataset
    assert run.cfg == trainers.family(family).Config(**settings)          # the preset, default seed
    samples, meta = _saved(path)
    assert meta["preset"] == name and run.step == int(meta["steps"]) > 0
    assert list(run.history.steps)[-1] == run.step                       # the curves reach it
    torch.testing.assert_close(examples.fingerprint(run), samples, rtol=1e-4, atol=1e-5)


def test_the_label_is_the_preset_and_a_stray_file_keeps_its_slug(tmp_path):
    (tmp_path / "vae--kl-warm-up.zip").write_bytes(b"")
    (tmp_path / "vae--my-own.zip").write_bytes(b"")
    (tmp_path / "gan--mode-collapse.zip").write_bytes(b"")
    got = examples.available("vae", {"KL warm-up": None, "Other": None}, folder=tmp_path)
    assert list(got) == ["KL warm-up", "my-own"]
    assert examples.slug("Posterior collapse (β = 8 on digits)") == "posterior-collapse-beta-8-on-digits"
    with pytest.raises(ValueError, match="Start from a trained example must be one of"):
        examples.path_of("vae", "../../etc/passwd")


# ----------------------------------------------------------------------------- through the app
@pytest.mark.parametrize("family,name,path", SHIPPED, ids=[p.name for _, _, p in SHIPPED])
def test_loading_an_example_in_the_app_gives_the_saved_run(client, family, name, path):
    out = client.predict(example=name, api_name=f"/{family}_example")
    samples, meta = _saved(path)
    status = value(out[0])
    assert f"loaded the trained example “{name}” at step {meta['steps']}" in status
    assert step_of(status) == int(meta["steps"])
    fig = plot_json(out[1])                                   # the curves come with it, up to the saved step
    assert max(max(t.get("x") or [0]) for t in fig["data"]) >= int(meta["steps"]) - 50
    assert any(value(v) is not None for v in out[2:]), "no view was drawn"
    # what the visitor's session now holds: exported again, it samples as the trained model did
    exported = client.predict(api_name=f"/{family}_export")
    run = checkpoint.load(value(exported), device="cpu")
    assert run.step == int(meta["steps"])
    torch.testing.assert_close(examples.fingerprint(run), samples, rtol=1e-4, atol=1e-5)


def test_train_continues_a_loaded_example(client):
    family, name, path = next(s for s in SHIPPED if s[0] == "ae")
    dataset, settings, _ = importlib.import_module("playground.tabs.ae").PRESETS[name]
    client.predict(example=name, api_name="/ae_example")
    saved = int(_saved(path)[1]["steps"])
    job = submit_train(client, "ae", settings, data=dataset, steps=5)
    final = job.result(timeout=240)
    assert any("continuing where it stopped" in str(value(o[0])) for o in job.outputs()), job.outputs()[:2]
    assert step_of(final[0]) == saved + 5


@pytest.mark.parametrize("bad", ["no such example", "../../assets/examples/ae--denoising-masking-noise.zip"])
def test_a_bad_example_name_is_refused_naming_the_field(client, bad):
    with pytest.raises(AppError) as e:
        client.predict(example=bad, api_name="/ae_example")
    assert "Start from a trained example must be one of" in str(e.value) and "Traceback" not in str(e.value)


# ----------------------------------------------------------------------------- links with settings
def _vae_panel():
    from trainers.vae import Config
    return SimpleNamespace(family="vae", config_cls=Config, form={f.name: None for f in dataclasses.fields(Config)},
                           datasets=["digits", "sprites", "mnist", "my images (.zip / .npz)"],
                           upload_choice="my images (.zip / .npz)")


def test_set_reads_back_what_the_link_wrote():
    panel = _vae_panel()
    raw = examples.encode({"data": "sprites", "beta": 4.0, "latent_dim": 2, "arch": "conv"})
    assert examples.settings(panel, raw) == ("sprites", {"beta": 4.0, "latent_dim": 2, "arch": "conv"})


@pytest.mark.parametrize("raw,message", [
    (examples.encode({"beta": -1.0}), "β must be between 0 and 100; got -1"),
    (examples.encode({"latent_dim": "two"}), "must be a number"),
    (examples.encode({"no_such": 1}), "does not have"),
    (examples.encode({"beta": {"__class__": "os.system"}}), "must be a single value"),
    (examples.encode({"data": "/etc/passwd"}), "Data must be one of"),
    (examples.encode({"data": "my images (.zip / .npz)"}), "Data must be one of"),
    (examples.encode([1, 2]), "must name each setting"),
    ("gASVAAAA" + "!" * 10, "not readable"),
    ("A" * (examples.MAX_SET + 1), "at most 2,048"),
    ("", "empty"),
])
def test_a_bad_set_is_refused_with_a_sentence(raw, message):
    with pytest.raises(ValueError, match=message):
        examples.settings(_vae_panel(), raw)


def _copy_link(page) -> dict:
    """Press the visible tab's 🔗 Copy link; the link it shows, as its query with ``set=`` decoded."""
    import base64
    import json
    page.locator(".pg-copy").locator("visible=true").first.click()
    box = page.locator(".pg-link textarea, .pg-link input").locator("visible=true").first
    page.wait_for_function("(el) => el.value.includes('?tab=')", arg=box.element_handle(), timeout=30_000)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(box.input_value()).query)
    raw = q.get("set", [""])[0]
    got = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) if raw else {}
    return {"tab": q["tab"][0], **got}


def test_a_link_with_settings_opens_the_tab_with_them_and_copy_link_gives_it_back(browser, app_url):
    from playwright.sync_api import expect
    want = {"data": "sprites", "beta": 4.0, "latent_dim": 2}
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{app_url}?tab=vae&set={examples.encode(want)}", wait_until="domcontentloaded")
        expect(page.get_by_role("tab", name="VAE", exact=True)).to_have_attribute("aria-selected", "true",
                                                                                 timeout=120_000)
        page.wait_for_timeout(3000)                   # the queued load sets the form
        assert _copy_link(page) == {"tab": "vae", **want}   # the page's form holds them: the JS reads them back
        page.screenshot(path="tests/artifacts/examples_link.png")
        # a hostile link: refused with a warning naming the problem, the page loads as without it
        page.goto(f"{app_url}?tab=vae&set={'A' * 5000}", wait_until="domcontentloaded")
        expect(page.locator("text=settings were not applied").first).to_be_visible(timeout=120_000)
        expect(page.get_by_role("tab", name="VAE", exact=True)).to_have_attribute("aria-selected", "true")
        assert _copy_link(page) == {"tab": "vae"}            # defaults: nothing of the bad link got in
    finally:
        page.screenshot(path="tests/artifacts/examples_link_bad.png")
        page.close()


def test_a_link_with_an_example_opens_the_page_with_it_loaded(browser, app_url):
    from playwright.sync_api import expect
    family, name, path = next(s for s in SHIPPED if s[0] == "gan")
    steps = _saved(path)[1]["steps"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{app_url}?tab={family}&example={urllib.parse.quote(name)}", wait_until="domcontentloaded")
        status = page.locator(f"text=loaded the trained example “{name}” at step {steps}").first
        expect(status).to_be_visible(timeout=120_000)
        link = page.get_by_role("link", name="Link to this trained example").locator("visible=true").first
        assert f"example={urllib.parse.quote(name)}" in (link.get_attribute("href") or "")
    finally:
        page.screenshot(path="tests/artifacts/examples_example_link.png")
        page.close()
