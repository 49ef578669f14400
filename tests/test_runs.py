"""The streaming handler, in-process: the first point comes at step 1, drawing is throttled, NaN stops."""
from __future__ import annotations

import gradio as gr
import pytest

from playground import runs
from playground.forms import read_form
from trainers import loop
from trainers.vae import Config


def test_first_yield_is_drawn_after_the_first_step(digits):
    run = loop.Run("vae", Config(hidden=64), digits)
    calls = []
    gen = runs.stream(run, 50, lambda r: calls.append(r.step) or ["view"], lambda r, t, m: f"step {r.step} {m}")
    first = next(gen)
    assert first == ["step 1 training…", "view"] and calls == [1]
    rest = list(gen)
    assert run.step == 50 and "done" in rest[-1][0]
    # between redraws only the status is sent: every view output is a skip
    skips = [o for o in rest[:-1] if o[1] != gr.skip() and o[1] != "view"]
    assert not skips


def test_drawing_is_throttled_to_a_few_times_a_second(digits, monkeypatch):
    monkeypatch.setattr(runs, "RENDER_EVERY", 1e9)           # no redraw inside the run but the first
    run = loop.Run("vae", Config(hidden=64), digits)
    calls = []
    list(runs.stream(run, 200, lambda r: calls.append(r.step) or [], lambda r, t, m: m))
    assert calls == [1, 200]                                  # the first step and the final state


def test_a_diverging_run_ends_with_a_message_and_finite_weights(digits):
    run = loop.Run("vae", Config(hidden=64, lr=1.0), digits)
    outs = list(runs.stream(run, 100, lambda r: [], lambda r, t, m: m))
    assert "diverged" in outs[-1][0] and "last good weights" in outs[-1][0]
    assert all(p.isfinite().all() for p in run.model.parameters())


def test_read_form_validates_like_the_config():
    names = ["beta", "latent_dim"]
    assert read_form(Config, names, [2.0, 4]).beta == 2.0
    with pytest.raises(ValueError, match="latent size must be between 2 and 64"):
        read_form(Config, names, [1.0, 100])
    with pytest.raises(ValueError, match="give a value"):
        read_form(Config, names, [None, 4])
