"""The panel's streaming, in-process: the first frame comes at step 1, drawing is throttled, NaN stops,
views are keyed by name, and the train endpoint's parameters follow the Config's declaration order."""
from __future__ import annotations

import dataclasses
import inspect

import gradio as gr
import pytest

from playground import session
from playground.forms import read_form
from playground.session import Session
from playground.tabs import vae as vae_tab
from trainers import loop
from trainers.vae import Config


@pytest.fixture(scope="module")
def panel():
    with gr.Blocks():
        return vae_tab.build()


def _session(digits, **cfg) -> Session:
    return Session(loop.Run("vae", Config(hidden=64, **cfg), digits), vae_tab.View())


def test_first_frame_comes_after_the_first_step_with_every_view_by_name(panel, digits):
    s = _session(digits)
    gen = panel.stream(s, 50)
    first = next(gen)
    assert s.run.step == 1
    assert set(first) == {panel.status, panel.curves, *panel.views.values()}
    assert "step 1 " in first[panel.status] and "training…" in first[panel.status]
    rest = list(gen)
    assert s.run.step == 50 and "done" in rest[-1][panel.status]
    # between redraws only the status is sent
    assert all(set(o) == {panel.status} for o in rest[:-1] if panel.curves not in o)


def test_drawing_is_throttled_to_a_few_times_a_second(panel, digits, monkeypatch):
    monkeypatch.setattr(session, "RENDER_EVERY", 1e9)         # no redraw inside the run but the first
    s = _session(digits)
    frames = [o for o in panel.stream(s, 200) if panel.curves in o]
    assert len(frames) == 2                                   # the first step and the final state
    assert "step 200 " in frames[-1][panel.status]


def test_a_diverging_run_ends_with_a_message_and_finite_weights(panel, digits):
    s = _session(digits, lr=1.0)
    outs = list(panel.stream(s, 100))
    assert "diverged" in outs[-1][panel.status] and "last good weights" in outs[-1][panel.status]
    assert all(p.isfinite().all() for p in s.run.model.parameters())


def test_train_endpoint_takes_the_config_in_declaration_order_and_upload_last(panel):
    params = list(inspect.signature(panel._train_handler(list(panel.form))).parameters.values())
    names = [p.name for p in params]
    fields = [f.name for f in dataclasses.fields(Config)]
    assert names == ["session", "data", "steps", *fields, "upload"]
    assert params[-1].default is None
    assert list(panel.form) == fields              # the form's inputs, whatever the layout's accordion


def test_read_form_validates_like_the_config():
    names = ["beta", "latent_dim"]
    assert read_form(Config, names, [2.0, 4]).beta == 2.0
    with pytest.raises(ValueError, match="latent size must be between 2 and 64"):
        read_form(Config, names, [1.0, 100])
    with pytest.raises(ValueError, match="give a value"):
        read_form(Config, names, [None, 4])
