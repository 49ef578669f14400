"""The panel's streaming, in-process: the first frame comes at step 1, drawing is throttled, NaN stops,
views are keyed by name, and the train endpoint's parameters follow the Config's declaration order."""
from __future__ import annotations

import dataclasses
import inspect
import threading

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
    status = outs[-1][panel.status]
    assert "diverged" in status and "last good weights" in status
    assert all(p.isfinite().all() for p in s.run.model.parameters())


def test_train_endpoint_takes_the_config_in_declaration_order_and_upload_last(panel):
    params = list(inspect.signature(panel._train_handler(list(panel.form))).parameters.values())
    names = [p.name for p in params]
    fields = [f.name for f in dataclasses.fields(Config)]
    # request: Gradio's, not the API's; after upload, the tab's extra Train inputs (the quality section's)
    assert names == ["session", "data", "steps", *fields, "upload", *panel.extras, "request"]
    assert "score_every" in panel.extras
    assert params[names.index("upload")].default is None and params[-2].default is None
    assert list(panel.form) == fields              # the form's inputs, whatever the layout's accordion


def test_read_form_validates_like_the_config():
    names = ["beta", "latent_dim"]
    assert read_form(Config, names, [2.0, 4]).beta == 2.0
    with pytest.raises(ValueError, match="latent size must be between 2 and 64"):
        read_form(Config, names, [1.0, 100])
    with pytest.raises(ValueError, match="give a value"):
        read_form(Config, names, [None, 4])


def test_speed_readout_is_steps_over_the_wall_time_of_the_press(digits, monkeypatch):
    """Time spent between steps (drawing, other visitors) counts: 10 steps over 5 s of wall time is 2/s."""
    clock = [100.0]
    monkeypatch.setattr(loop.time, "perf_counter", lambda: clock[0])
    run = loop.Run("vae", Config(hidden=64), digits)
    for m in loop.train(run, steps=10):
        clock[0] += 0.5                      # the consumer takes half a second per step
    assert run.steps_per_s == pytest.approx(10 / 4.5)    # the 10th step ended 4.5 s after the press began
    assert m.steps_per_s == run.steps_per_s


def test_streaming_leaves_no_component_behind_in_the_session(digits, monkeypatch):
    """Gradio keeps a new component in the session for every update → plain-value cycle on an output
    (issue 16: ~1 MB/s while streaming). Feed a whole press, status ticks included, through Gradio's own
    postprocessing: the session must hold as many blocks at the end as after the first frame."""
    import asyncio

    from gradio.state_holder import SessionState
    monkeypatch.setattr(session, "RENDER_EVERY", 0.0)
    monkeypatch.setattr(session, "TICK", 0.0)
    with gr.Blocks() as demo:
        panel = vae_tab.build()
    fn = next(f for f in demo.fns.values() if f.api_name == "vae_train")
    state = SessionState(demo)
    s = _session(digits)
    sizes, kinds = [], set()

    async def feed():
        for i, out in enumerate(panel.stream(s, 60)):
            kinds.add(len(out))
            if i % 3 == 1:                   # make status-only ticks happen between redraws
                out = {panel.status: out[panel.status]}
            await demo.postprocess_data(fn, out, state)
            sizes.append(len(state.blocks_config.blocks))

    # in a thread of its own: another test's in-process app may own this thread's event loop
    worker = threading.Thread(target=lambda: asyncio.run(feed()))
    worker.start()
    worker.join(120)
    assert len(sizes) > 20 and min(kinds) >= 1
    assert sizes[-1] == sizes[0], sizes[:3] + sizes[-3:]


def test_a_press_stopped_by_the_time_limit_says_paused_not_done(panel, digits, monkeypatch):
    monkeypatch.setattr(session, "MAX_SECONDS", 0.0)          # the limit is reached after the first step
    s = _session(digits)
    last = list(panel.stream(s, 1000))[-1]
    assert s.run.step < 1000
    assert "paused at step" in last[panel.status] and "done" not in last[panel.status]


def test_old_exports_are_swept(tmp_path, monkeypatch):
    import tempfile
    import time as _time

    from playground import exports as exports_mod
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old, new = exports_mod.folder() / "run-old", exports_mod.folder() / "run-new"
    for d in (old, new):
        d.mkdir()
        (d / "vae-digits-step1.zip").write_bytes(b"x")
    now = _time.time()
    import os
    os.utime(old, (now - 2 * exports_mod.EXPORT_TTL, now - 2 * exports_mod.EXPORT_TTL))
    assert exports_mod.sweep(now) == 1
    assert not old.exists() and (new / "vae-digits-step1.zip").exists()
