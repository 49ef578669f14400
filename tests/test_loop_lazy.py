"""Loss terms stay on the device and reach the host only when someone looks (``Run.flush``).

The references are computed independently: a second run with the same seed stepped by hand, reading
every term with ``float()`` after every step (what the loop did before), and the NaN guard checked
against a run trained exactly to the step whose weights must come back.
"""
from __future__ import annotations

import math
import pickle

import pytest
import torch

from trainers import loop
from trainers.base import Diverged, Metrics
from trainers.vae import Config

CFG = Config(hidden=64, latent_dim=4)


@pytest.fixture(params=["host", "stacked"])
def path(request, monkeypatch):
    """Both ways a step's terms are queued: read at once (the CPU) and stacked into one tensor per step,
    brought over in one transfer at a flush (what a GPU does; forced here on the CPU)."""
    monkeypatch.setattr(loop.Run, "STACK_ON_CPU", request.param == "stacked")
    return request.param


def _run(digits) -> loop.Run:
    return loop.Run("vae", CFG, digits, device="cpu")


def _by_hand(digits, steps: int) -> tuple[list[dict[str, float]], list[list[float]]]:
    """The old behaviour: every scalar term read with float() after every step; kl_per_dim as a list."""
    ref = _run(digits)
    terms, vectors = [], []
    ref.model.train()
    for _ in range(steps):
        batch, _ = ref.next_batch()
        out = ref.model.train_step(batch)
        terms.append({k: float(v) for k, v in out.items() if k != "loss" and v.dim() == 0})
        vectors.append(out["kl_per_dim"].detach().float().tolist())
    return terms, vectors


def _same_weights(a: loop.Run, b: loop.Run) -> None:
    for (k, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(x, y), k
    for oa, ob in zip(a.model.optimizers, b.model.optimizers):
        for pid, st in oa.state_dict()["state"].items():
            for key, v in st.items():
                assert torch.equal(torch.as_tensor(v), torch.as_tensor(ob.state_dict()["state"][pid][key]))


def test_history_and_metrics_equal_the_old_step_by_step_float_reads(digits, path):
    n = 30                                          # 12 steps an epoch on digits: two epoch ends
    want, want_vec = _by_hand(digits, n)
    looked, never = _run(digits), _run(digits)
    seen = [(dict(m.terms), m.vectors["kl_per_dim"]) for m in loop.train(looked, steps=n)]   # a look per step
    ms = list(loop.train(never, steps=n))           # no look until the end of train()
    assert [t for t, _ in seen] == want and [v for _, v in seen] == want_vec
    assert [dict(m.terms) for m in ms] == want
    for run in (looked, never):
        h = run.history
        assert h.steps == list(range(1, n + 1))
        assert {k: h.terms[k] for k in want[0]} == {k: [t[k] for t in want] for k in want[0]}
        # epoch means, summed in step order like the old loop did
        for e, ep in enumerate(h.epochs):
            rows = want[e * 12:(e + 1) * 12]
            for k in want[0]:
                s = 0.0
                for r in rows:
                    s += r[k]
                assert ep[k] == s / 12, (e, k)
        assert [ep["step"] for ep in h.epochs] == [12, 24]
    assert ms[12].epoch_end is not None and ms[12].epoch_end["total"] == never.history.epochs[0]["total"]
    assert ms[11].epoch_end is None


def test_a_yielded_metrics_pickles_as_plain_values(digits, path):
    run = _run(digits)
    m = next(iter(loop.train(run, steps=1)))
    back = pickle.loads(pickle.dumps(m))
    assert type(back) is Metrics and back.terms == m.terms and back.vectors == m.vectors


def test_stopping_flushes_what_was_queued(digits):
    run = _run(digits)
    gen = loop.train(run, steps=100)
    for _ in range(7):
        next(gen)
    gen.close()
    assert run._queue == [] and run.history.steps == list(range(1, 8))


def test_host_numbers_keep_their_place_among_the_terms(digits, path):
    run = _run(digits)
    step = run.model.train_step

    def train_step(batch):
        out = step(batch)
        return {"loss": out["loss"], "total": out["total"], "lr": 0.001, "kl": out["kl"], "count": 7}
    run.model.train_step = train_step
    ms = list(loop.train(run, steps=3))
    assert list(ms[0].terms) == ["total", "lr", "kl", "count"] == list(run.history.terms)
    assert run.history.terms["lr"] == [0.001] * 3 and run.history.terms["count"] == [7.0] * 3
    assert ms[2].terms["total"] == run.history.terms["total"][2] and math.isfinite(ms[2].terms["kl"])


def _poison(run: loop.Run, at: int) -> None:
    """Make the loss of step ``at`` NaN (after a normal update), as a divergence would."""
    step = run.model.train_step

    def train_step(batch):
        out = step(batch)
        if run.step + 1 == at:
            out["loss"] = torch.tensor(math.nan)
        return out
    run.model.train_step = train_step


@pytest.mark.parametrize("bad,good_at", [(73, 50), (51, 0), (50, 0)])
def test_a_nan_restores_the_last_good_weights_and_names_its_step(digits, path, bad, good_at):
    """Weights saved before step g+1 are good only once the loss of step g+1 was seen finite: a NaN at
    step 51 falls back to the weights of step 0, not 50."""
    run = _run(digits)
    _poison(run, bad)
    with pytest.raises(Diverged, match=f"at step {bad}:"):
        for _ in loop.train(run, steps=90):         # nobody looks: found at a GOOD_EVERY flush or the end
            pass
    ref = _run(digits)
    for _ in loop.train(ref, steps=good_at):
        pass
    _same_weights(run, ref)
    assert run.step == bad - 1 and run.history.steps == list(range(1, bad))
    assert all(math.isfinite(v) for col in run.history.terms.values() for v in col)


def test_a_nan_found_by_a_look_while_suspended_stops_the_next_step(digits, path):
    run = _run(digits)
    _poison(run, 5)
    gen = loop.train(run, steps=40)
    for _ in range(8):
        next(gen)
    run.history                                     # the UI looks: the NaN of step 5 comes to light
    with pytest.raises(Diverged, match="at step 5:"):
        next(gen)
    assert run.step == 4
