"""Issue 14 item 2: pin a run; its curves stay as faint lines and its samples beside the live run's, for
up to three runs per tab, through new runs and Reset, in the export and back from an import."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from conftest import plot_json, submit_train, value


def _vae_run(steps: int = 20, **cfg):
    from trainers import loop
    from trainers.data import load
    from trainers.vae import Config
    run = loop.Run("vae", Config(**cfg), load("digits"))
    for _ in loop.train(run, steps=steps):
        pass
    return run


def test_a_pin_is_a_copy_with_samples_and_the_oldest_goes_first():
    from playground import pins
    from playground.session import Session
    s = Session(_vae_run(20, beta=4.0))
    p = pins.pin(s)
    assert "beta=4" in p.label and "step 20" in p.label and p.label.startswith("📌1")
    assert p.image is not None and p.image.dtype == np.uint8 and p.image.ndim == 3
    n = len(p.history.steps)
    from trainers import loop
    for _ in loop.train(s.run, steps=10):           # the live run goes on; the pin does not move
        pass
    assert len(p.history.steps) == n and len(s.run.history.steps) == n + 10
    for _ in range(3):
        pins.pin(s)
    assert [q.label.split(" ")[0] for q in s.pins] == ["📌2", "📌3", "📌4"]


def test_pinned_curves_are_faint_lines_under_the_live_ones():
    from playground import figures, pins
    from playground.session import Session
    s = Session(_vae_run(15))
    pins.pin(s)
    import json
    plain = json.loads(figures.curves(s.run.history, [["recon", "kl"]]).plot)["data"]
    ghost = json.loads(figures.curves(s.run.history, [["recon", "kl"]], ghosts=s.pins).plot)["data"]
    faint = [t for t in ghost if t.get("opacity") == 0.35]
    assert len(faint) == 2 and all(t["name"].startswith("📌1") for t in faint)
    assert len(ghost) == len(plain) + 2


def test_pins_travel_in_the_zip_and_hostile_pins_are_left_out(tmp_path):
    from PIL import Image
    from playground import pins
    from playground.session import Session
    s = Session(_vae_run(12))
    pins.pin(s)
    pins.pin(s)
    path = str(tmp_path / "run.zip")
    zipfile.ZipFile(path, "w").close()
    pins.add_to_zip(path, s.pins)
    back = pins.read_zip(path)
    assert [p.label for p in back] == [p.label for p in s.pins]
    assert list(back[0].history.steps) == list(s.pins[0].history.steps)
    np.testing.assert_allclose(back[0].history.terms["recon"], s.pins[0].history.terms["recon"], rtol=1e-5)
    assert np.array_equal(back[1].image, s.pins[1].image)
    # a pin whose PNG claims 4,000² pixels is refused from its header; a broken CSV drops only that pin
    bomb = io.BytesIO()
    Image.new("1", (4_000, 4_000)).save(bomb, format="PNG")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("pins/3/metrics.csv", "step,recon\n1,2\n")
        z.writestr("pins/3/samples.png", bomb.getvalue())
    with zipfile.ZipFile(path) as z:
        data = {n: z.read(n) for n in z.namelist() if not n.startswith("pins/2/")}
    data["pins/2/metrics.csv"] = b"not,a\ncsv"
    with zipfile.ZipFile(path, "w") as z:
        for n, b in data.items():
            z.writestr(n, b)
    back = pins.read_zip(path)
    assert [p.label.split(" ")[0] for p in back] == ["📌1", "📌3"] and back[1].image is None


def _ghosts(curves) -> list[str]:
    return [t["name"] for t in plot_json(curves)["data"] if t.get("opacity") == 0.35]


def test_pin_through_the_api_survives_a_new_run_reset_and_an_export(client, tmp_path):
    from gradio_client import Client, handle_file
    submit_train(client, "vae", data="digits", steps=30, beta=1.0).result(timeout=240)
    curves, gallery = client.predict(api_name="/vae_pin")
    assert any(n.startswith("📌1") for n in _ghosts(curves))
    assert len(value(gallery)) == 1
    final = submit_train(client, "vae", data="digits", steps=30, beta=4.0).result(timeout=240)   # a new run
    assert any(n.startswith("📌1") for n in _ghosts(final[1])), "the new run's curves lost the pin"
    client.predict(api_name="/vae_pin")
    path = client.predict(api_name="/vae_export")
    with zipfile.ZipFile(path) as z:
        assert {"pins/1/metrics.csv", "pins/2/metrics.csv", "pins/2/samples.png"} <= set(z.namelist())
    client.predict(api_name="/vae_reset")
    final = submit_train(client, "vae", data="digits", steps=10).result(timeout=240)
    assert {n.split(" ")[0] for n in _ghosts(final[1])} == {"📌1", "📌2"}, "Reset dropped the pins"
    other = Client(client.src, verbose=False)
    out = other.predict("digits", None, handle_file(path), api_name="/vae_import")
    assert {n.split(" ")[0] for n in _ghosts(out[1])} == {"📌1", "📌2"}, "the import lost the pins"
    curves, gallery = client.predict(api_name="/vae_unpin")
    assert _ghosts(curves) == [] and not value(gallery)


def test_pinning_before_training_says_so(client):
    from gradio_client.exceptions import AppError
    with pytest.raises(AppError, match="no run to pin"):
        client.predict(api_name="/gan_pin")
