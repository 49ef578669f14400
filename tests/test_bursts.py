"""Issue 11: a Train press as ZeroGPU bursts, through the stand-in (each burst a forked child; the run goes
in pickled, frames and copies of the run come out pickled). Every tab trains across several bursts and
ends bit-identical to a run trained here without interruption; Stop keeps the last copy; when the GPU
allowance is used up the press goes on on the CPU and says so."""
from __future__ import annotations

import importlib

import gradio as gr
import pytest
import torch

import trainers
from playground import bursts, zerogpu
from playground.panel import STATUS
from trainers import loop

# Bit-identical to a CPU run, with this process training between bursts: a test for a machine whose test
# process sees no GPU, like ZeroGPU's web process (tests/test_zerogpu.py, trains_before_forking, says why).
# On a GPU machine: CUDA_VISIBLE_DEVICES="" (bench/gpu_check.sh does so).
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="run with CUDA_VISIBLE_DEVICES=''")

DATA = {"gan": "ring of 8", "diffusion": "moons", "tdvae": "sine waves"}
STEPS = 40


@pytest.fixture()
def standin(monkeypatch):
    """The ZeroGPU stand-in, with bursts of 15 steps so that a press of 40 steps takes three."""
    monkeypatch.setenv("PLAYGROUND_ZEROGPU", "standin")
    monkeypatch.setenv("PLAYGROUND_BURST_SECONDS", "5")
    monkeypatch.setattr(bursts, "BURST_STEPS", 15)
    monkeypatch.setattr(bursts, "SNAPSHOT_EVERY", 0.1)
    monkeypatch.setattr(bursts, "burst", zerogpu.gpu(duration=5)(bursts.train_burst))
    zerogpu.reset_quota()
    calls = []
    real = bursts.burst

    def counted(*a, **k):
        calls.append(a[4])
        yield from real(*a, **k)
    monkeypatch.setattr(bursts, "burst", counted)
    yield calls
    zerogpu.reset_quota()


def _panel(family: str):
    with gr.Blocks():
        return importlib.import_module(f"playground.tabs.{family}").build()


def _session(panel, family: str):
    cfg = trainers.family(family).Config()
    s, _ = panel._prepare(None, cfg, DATA.get(family, panel.datasets[0]), None)
    return s


def _status(out, panel) -> str:
    return str(out.get(panel.status, ""))


@pytest.mark.parametrize("family", list(trainers.FAMILIES))
def test_every_tab_trains_across_bursts_as_if_uninterrupted(standin, family):
    panel = _panel(family)
    s = _session(panel, family)
    ref = loop.Run(family, s.run.cfg, s.run.data, device="cpu")
    outs = list(panel.stream(s, STEPS))
    assert "done" in _status(outs[-1], panel) and s.run.step == STEPS
    assert len(standin) >= 2, "the press fitted in one burst: the test did not cross a burst boundary"
    assert any(panel.curves in o for o in outs[:-1]), "no frame came back from the bursts"
    for _ in loop.train(ref, steps=STEPS):
        pass
    a, b = s.run.model.state_dict(), ref.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in b), "bursts changed the numbers"
    assert s.run.history.terms.keys() == ref.history.terms.keys()
    from trainers import checkpoint                                  # and the run still exports
    assert checkpoint.load(checkpoint.save(s.run), data=s.run.data).step == STEPS


def test_stop_keeps_the_last_copy_and_the_next_press_continues(standin):
    panel = _panel("vae")
    s = _session(panel, "vae")
    press = panel.stream(s, 100_000)
    for out in press:
        if s.run.step >= 30:
            break
    press.close()                                                    # Stop: the child is killed
    kept = s.run.step
    assert kept >= 30
    outs = list(panel.stream(s, 20))                                 # Train again: continues from there
    assert s.run.step == kept + 20 and "done" in _status(outs[-1], panel)


def test_used_up_allowance_continues_on_the_cpu(standin, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_ZEROGPU_QUOTA", "1")              # less than one burst's duration
    panel = _panel("vae")
    s = _session(panel, "vae")
    outs = list(panel.stream(s, 30))
    assert s.run.step == 30 and not standin[1:]
    assert bursts.QUOTA_NOTE in _status(outs[-1], panel)
