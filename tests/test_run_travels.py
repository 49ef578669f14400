"""A Run is a value: pickled or exported mid-epoch, it continues bit-identically to a run never interrupted.

That is what lets a training burst run in another process (a ZeroGPU call, a worker) and hand the run
back. Each case draws from torch's global RNG between the bursts, as a view or another visitor would:
the run's own generators must make that irrelevant.
"""
from __future__ import annotations

import pickle

import pytest
import torch

import trainers
from trainers import checkpoint, data, loop, tdvae_data

# (family, dataset, settings): every family, plus the variants that draw noise of their own in a step
CASES = [
    ("vae", "digits", dict(batch_size=128)),
    ("vae", "digits", dict(warmup_epochs=3, conditional=True)),
    ("vae", "digits", dict(conditional=True, prior="learned", recon="mse", gaussian="learned")),
    ("ae", "digits", dict(variant="denoising", noise="salt-and-pepper")),
    ("ae", "digits", dict(variant="contractive")),
    ("vqvae", "digits", dict(update="ema", restart=True, dead_after=2, num_codes=64)),
    ("vqvae", "digits", dict(two_level=True, update="loss")),
    ("gan", "ring of 8", dict(objective="wgan-gp", n_critic=2)),
    ("gan", "digits", dict(arch="stylegan", width=8)),
    ("diffusion", "moons", dict(conditional=True, p_uncond=0.2)),
    ("diffusion", "moons", dict(classifier=True)),
    ("diffusion", "digits", dict(latent=True, ae_steps=3, latent_dim=4, ae_hidden=64, width=8)),
    ("diffusion", "digits", dict()),
    ("score", "moons", dict(objective="ncsn", batch_size=512)),
    ("score", "moons", dict(objective="flow", batch_size=512)),
    ("tdvae", "sine waves", dict(length=16)),
    ("vaevariants", "digits", dict(variant="vae-gan", hidden=64, batch_size=128)),
    ("vaevariants", "digits", dict(variant="aae", latent_dim=2, prior="mixture", hidden=64, batch_size=128)),
    ("vaevariants", "digits", dict(variant="gumbel", hard=True, anneal_rate=0.05, hidden=64, batch_size=128)),
]
BEFORE, AFTER = 5, 9      # 1,437 digits at batch 128: 12 steps an epoch, so the continuation crosses one


def _data(name: str, cfg) -> data.Dataset:
    if name in tdvae_data.SEQUENCE_DATASETS:
        return tdvae_data.load(name, length=cfg.length)
    return data.load(name)


def _run(fam: str, dataset: str, settings: dict) -> loop.Run:
    cfg = trainers.family(fam).Config(**settings)
    return loop.Run(fam, cfg, _data(dataset, cfg), device="cpu")


def _advance(run: loop.Run, steps: int) -> list[dict[str, float]]:
    return [dict(m.terms) for m in loop.train(run, steps=steps)]


def _same(a: loop.Run, b: loop.Run) -> None:
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    for oa, ob in zip(a.model.optimizers, b.model.optimizers):
        sa, sb = oa.state_dict()["state"], ob.state_dict()["state"]
        assert sorted(sa) == sorted(sb)
        for pid in sa:
            for key, v in sa[pid].items():
                assert torch.equal(torch.as_tensor(v), torch.as_tensor(sb[pid][key])), (pid, key)
    assert (a.step, a.epoch, a.pos) == (b.step, b.epoch, b.pos)


@pytest.mark.parametrize("fam,dataset,settings", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_pickle_and_export_mid_epoch_continue_bit_identically(fam, dataset, settings):
    straight = _run(fam, dataset, settings)
    _advance(straight, BEFORE)
    assert 0 < straight.pos < len(straight.data)               # stopped mid-epoch
    pickled = pickle.loads(pickle.dumps(straight))
    exported = checkpoint.load(checkpoint.save(straight), device="cpu")
    reference = _advance(straight, AFTER)
    for other in (pickled, exported):
        torch.randn(1000)                                        # someone else draws in between
        terms = _advance(other, AFTER)
        assert terms == reference                                # every term of every step, exactly
        _same(straight, other)
    assert straight.epoch >= 1 or dataset != "digits"            # the continuation crossed an epoch end


def test_the_lock_is_recreated_and_history_travels(digits):
    run = _run("vae", "digits", {})
    _advance(run, 3)
    back = pickle.loads(pickle.dumps(run))
    assert back.lock is not run.lock and back.lock.acquire(blocking=False)
    back.lock.release()
    assert back.history.steps == [1, 2, 3] and back.history.terms == run.history.terms


def test_a_run_draws_none_of_the_global_rng(digits):
    """Training leaves torch's global generator untouched: visitors' runs do not disturb each other."""
    run = _run("diffusion", "moons", {})
    state = torch.get_rng_state()
    _advance(run, 3)
    assert torch.equal(torch.get_rng_state(), state)


def test_a_damaged_position_is_refused_with_a_reason():
    run = _run("vae", "digits", {})
    _advance(run, 2)
    tensors, meta = run.position()
    bad = dict(tensors, perm=torch.zeros_like(tensors["perm"]))
    with pytest.raises(ValueError, match="not a permutation"):
        run.restore_position(bad, meta)
    with pytest.raises(ValueError, match="position in the epoch"):
        run.restore_position(tensors, dict(meta, pos=-3))
    with pytest.raises(ValueError, match="generator state is damaged"):
        run.restore_position(dict(tensors, order=torch.zeros(7, dtype=torch.uint8)), meta)
