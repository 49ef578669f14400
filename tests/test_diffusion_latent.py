"""Latent diffusion (Rombach et al. 2022): refuses without an autoencoder; with one it trains in two stages,
samples in latent space, decodes, and travels through export/import with its autoencoder and codes."""
from __future__ import annotations

import pytest
import torch

from trainers import checkpoint
from trainers.data import load
from trainers.diffusion import Config, reverse_process
from trainers.diffusion_latent import CODES, LatentModel, reconstruct, speed_compare
from trainers.loop import Run, train

SMALL = dict(latent=True, ae_steps=30, latent_dim=6, ae_hidden=64, hidden=32, layers=1, batch_size=64, T=20,
             lr=3e-3)


def _run(**kw) -> Run:
    return Run("diffusion", Config(**{**SMALL, **kw}), load("digits"), device="cpu")


def test_refuses_to_start_without_an_autoencoder_and_says_how_to_get_one():
    with pytest.raises(ValueError, match="needs a trained autoencoder") as e:
        Config(latent=True, ae_steps=0)
    assert "autoencoder steps" in str(e.value) and "above 0" in str(e.value)
    with pytest.raises(ValueError, match="compresses images"):
        Run("diffusion", Config(latent=True), load("moons"), device="cpu")


def test_trains_both_stages_samples_decodes_exports_imports_and_continues():
    run = _run()
    assert isinstance(run.model, LatentModel)
    with pytest.raises(ValueError, match="autoencoder stage is still running"):
        run.model.sample(4)
    for _ in train(run, steps=60):
        pass
    m = run.model
    assert m.stage == "diffusion" and int(m.ae_trained) == 30 and int(m.trained_steps) == 30
    recon, eps_mse = (run.history.series(k)[1].copy() for k in ("ae_recon", "total"))   # copies: training goes on
    assert len(recon) == len(eps_mse) == 60                                   # both stages report both terms
    assert recon[25:30].mean() < recon[:5].mean()                             # the autoencoder learned …
    assert abs(recon[30:].max() - recon[30:].min()) < 1e-2 + 0.5 * recon[30:].mean()   # … then stays frozen
    assert eps_mse[-5:].mean() < eps_mse[:30].mean()                          # the denoiser learns in stage 2
    n = int(m.n_codes)                              # every stage-2 batch's codes until CODES are kept
    assert 29 * 64 < n <= min(CODES, 30 * 64) and m.stored_codes().shape == (n, 6)
    with torch.no_grad():                           # they are E(x), standardised with the stored (m, s)
        z = m.encode(run.data.x)
    assert torch.cdist(m.stored_codes()[:50], z).min(1).values.max() < 1e-2     # (cdist rounds)
    m.eval()
    fr = reverse_process(m, 5, m.sampler("ddim", steps=4), seed=0)
    assert fr.x.shape == (5, 5, 6)                                            # frames live in latent space
    x = m.sample(5, sampler="ddim", steps=4, seed=0)
    assert x.shape == (5, 1, 8, 8) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert torch.allclose(x, m.decode(fr.result), atol=1e-6)                  # a sample is D(z₀)
    assert reconstruct(m, run.data.x_test[:3]).shape == (3, 1, 8, 8)
    # export, import: the autoencoder, the scaling and the codes come back; both continue identically
    back = checkpoint.load(checkpoint.save(run), device="cpu")
    assert isinstance(back.model, LatentModel)
    for k, v in m.state_dict().items():
        assert torch.equal(v, back.model.state_dict()[k]), k
    m.train()
    for r in (run, back):
        for _ in train(r, steps=4):
            pass
    assert back.step == run.step == 64
    for k, v in run.model.state_dict().items():
        assert torch.equal(v, back.model.state_dict()[k]), k


def test_speed_compare_times_both_steps_without_moving_the_run():
    run = _run(ae_steps=2)
    for _ in train(run, steps=3):
        pass
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    sp = speed_compare(run, steps=2, seconds=0.5)
    assert sp["latent"] > 0 and sp["pixel"] > 0 and sp["ratio"] == pytest.approx(sp["latent"] / sp["pixel"])
    assert all(torch.equal(v, run.model.state_dict()[k]) for k, v in before.items())
    with pytest.raises(ValueError, match="diffusion stage"):
        speed_compare(_run())
