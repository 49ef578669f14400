"""VQ-VAE's priors travel with the run (issue 12): export → import keeps both priors (transformer and gated
PixelCNN), their loss curves and Adam moments, so samples with a fixed seed are equal and training continues
exactly as if never interrupted. Damaged extras are refused with a message; a file without them still loads."""
from __future__ import annotations

import io
import json
import math
import pickle
import zipfile

import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from trainers import checkpoint
from trainers.loop import Run, train
from trainers.vqvae import Config
from trainers.vqvae_pixelcnn import PixelCNNPrior
from trainers.vqvae_prior import CodePrior, PriorConfig, code_sequences

NAMES = {"prior": CodePrior, "pixelcnn": PixelCNNPrior}     # the tab's names for them in run.extras


@pytest.fixture(scope="module")
def run_with_priors(digits):
    run = Run("vqvae", Config(num_codes=16, width=16, seed=2), digits, "cpu")
    list(train(run, steps=25))
    seqs = code_sequences(run.model, digits.x)
    for name, cls in NAMES.items():
        prior = cls(PriorConfig(batch_size=32, width=32, lr=3e-3, seed=7), run.model)
        list(prior.fit(seqs, steps=12))
        prior.vq_steps = int(run.model.steps_done)
        run.extras[name] = prior
    return run, seqs


def _draw(prior, n=6, seed=11):
    return prior.sample_seq(n, 0.9, generator=torch.Generator().manual_seed(seed))


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    return buf.getvalue()


def test_export_holds_each_prior_as_safetensors_and_json(run_with_priors):
    run, _ = run_with_priors
    m = _members(checkpoint.save(run))
    assert {"extras/prior.safetensors", "extras/pixelcnn.safetensors"} <= set(m)
    cfg = json.loads(m["config.json"])
    assert cfg["extras"]["pixelcnn"]["kind"] == "gated PixelCNN" and cfg["extras"]["prior"]["kind"] == "transformer"
    assert cfg["extras"]["prior"]["config"]["seed"] == 7 and cfg["extras"]["prior"]["vq_steps"] == 25
    t = st_load(m["extras/pixelcnn.safetensors"])
    assert t["losses"].dtype == torch.float64 and len(t["losses"]) == 12
    assert any(k.startswith("opt0.") for k in t) and any(k.startswith("w.nets.bottom.") for k in t)
    assert not any(n.endswith((".pkl", ".pt", ".pickle")) for n in m)


@pytest.mark.parametrize("name", list(NAMES))
def test_after_import_samples_curves_and_training_continue_exactly(run_with_priors, name):
    run, seqs = run_with_priors
    blob = checkpoint.save(run)
    back = checkpoint.load(blob, data=run.data, device="cpu")
    a, b = run.extras[name], back.extras[name]
    assert type(b) is type(a) and b.losses == a.losses and b.vq_steps == a.vq_steps and b.cfg == a.cfg
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k
    # the same draws with the same seed: code maps and the images decoded from them
    assert torch.equal(_draw(a), _draw(b))
    ia = a.sample_images(run.model, 4, 0.9, generator=torch.Generator().manual_seed(3))
    ib = b.sample_images(back.model, 4, 0.9, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(ia, ib, rtol=0, atol=0)
    # continuing: the imported prior's next steps equal the uninterrupted one's (Adam moments came along)
    fresh = checkpoint.load(blob, data=run.data, device="cpu").extras[name]
    ahead = [loss for _, loss in pickle.loads(pickle.dumps(a)).fit(seqs, steps=6)]
    assert [loss for _, loss in fresh.fit(seqs, steps=6)] == ahead
    assert len(fresh.losses) == 18


def test_without_its_adam_moments_a_prior_continues_differently(run_with_priors):
    """The check above can fail: an import that dropped the optimizer state would not match."""
    run, seqs = run_with_priors
    m = _members(checkpoint.save(run))
    t = st_load(m["extras/prior.safetensors"])
    m["extras/prior.safetensors"] = st_save({k: v for k, v in t.items() if not k.startswith("opt0.")})
    stripped = checkpoint.load(_zip(m), data=run.data, device="cpu").extras["prior"]
    full = checkpoint.load(checkpoint.save(run), data=run.data, device="cpu").extras["prior"]
    assert [x for _, x in stripped.fit(seqs, steps=3)] != [x for _, x in full.fit(seqs, steps=3)]


def test_priors_travel_in_a_pickled_run(run_with_priors):
    run, _ = run_with_priors
    back = pickle.loads(pickle.dumps(run))
    assert set(back.extras) == set(NAMES)
    for name in NAMES:
        assert torch.equal(_draw(back.extras[name]), _draw(run.extras[name]))


def test_a_run_without_priors_and_an_older_file_load_without_extras(digits):
    run = Run("vqvae", Config(num_codes=16, width=16), digits, "cpu")
    list(train(run, steps=2))
    blob = checkpoint.save(run)
    assert "extras" not in json.loads(_members(blob)["config.json"])
    assert checkpoint.load(blob, data=digits, device="cpu").extras == {}
    state = run.__getstate__()
    state.pop("extras")                            # a run pickled before extras existed
    old = Run.__new__(Run)
    old.__setstate__({**state, "data": digits})
    assert old.extras == {}


def _edited(run, name="prior", meta=None, tensors=None, drop_file=False, extra_file=None) -> bytes:
    m = _members(checkpoint.save(run))
    cfg = json.loads(m["config.json"])
    if meta is not None:
        cfg["extras"][name] = meta(cfg["extras"][name])
    m["config.json"] = json.dumps(cfg).encode()
    if tensors is not None:
        m[f"extras/{name}.safetensors"] = st_save(tensors(st_load(m[f"extras/{name}.safetensors"])))
    if drop_file:
        del m[f"extras/{name}.safetensors"]
    if extra_file:
        m[extra_file] = b"x"
    return _zip(m)


def _nan(t):
    t = dict(t)
    k = next(k for k in t if k.startswith("w.") and t[k].is_floating_point())
    t[k] = torch.full_like(t[k], math.nan)
    return t


@pytest.mark.parametrize("edit, message", [
    (dict(meta=lambda m: {**m, "kind": "wavenet"}), "unknown kind 'wavenet'"),
    (dict(meta=lambda m: {**m, "config": {**m["config"], "width": 20}}), "multiple of 16"),
    (dict(meta=lambda m: {**m, "config": {**m["config"], "depth": 3}}), "Unknown setting"),
    (dict(meta=lambda m: {**m, "vq_steps": -1}), "vq_steps"),
    (dict(tensors=lambda t: {**t, "losses": torch.tensor([1.0, math.inf])}), "loss curve"),
    (dict(tensors=_nan), "NaN"),
    (dict(tensors=lambda t: {k: v for k, v in t.items() if k != "w.head.weight"}), "missing head.weight"),
    (dict(tensors=lambda t: {**t, "w.head.weight": torch.zeros(3, 3)}), "head.weight has shape"),
    (dict(tensors=lambda t: {**t, "opt0.99.exp_avg": torch.zeros(1)}), "parameter 99"),
    (dict(drop_file=True), "do not match their settings"),
    (dict(extra_file="extras/../../evil.safetensors"), "unexpected file"),
    (dict(extra_file="extras/other.pkl"), "unexpected file"),
])
def test_damaged_extras_are_refused_with_a_message(run_with_priors, edit, message):
    run, _ = run_with_priors
    with pytest.raises(ValueError, match=message):
        checkpoint.load(_edited(run, **edit), data=run.data, device="cpu")


def test_extras_of_a_family_that_has_none_are_refused(digits):
    run = Run("ae", __import__("trainers.ae", fromlist=["Config"]).Config(), digits, "cpu")
    list(train(run, steps=1))

    class Fake:
        def checkpoint_state(self):
            return {"a": torch.zeros(1)}, {"kind": "x"}
    run.extras["fake"] = Fake()
    with pytest.raises(ValueError, match="cannot load"):
        checkpoint.load(checkpoint.save(run), data=digits, device="cpu")
