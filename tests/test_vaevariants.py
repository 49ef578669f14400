"""VAE variants (issue #12, items 1–3) against independent references: torch.distributions, autograd, scipy,
closed forms, and a kernel MMD written here with scipy's distances."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from scipy.stats import chisquare
from torch.distributions import Categorical, kl_divergence

from trainers import loop, vaevariants
from trainers.base import Batch
from trainers.vaevariants import Config
from trainers.vaevariants_aae import RING_RADIUS, RING_STD, decision_map
from trainers.vaevariants_gumbel import flip, gumbel_softmax, kl_uniform, temperature
from trainers.vaevariants_vaegan import PRIOR, REAL, RECON


def _run(digits, steps: int = 0, **kw) -> loop.Run:
    cfg = Config(**kw)
    run = loop.Run("vaevariants", cfg, digits, "cpu", model=vaevariants.Model(cfg, digits.shape, digits.num_classes))
    for _ in loop.train(run, steps=steps):
        pass
    return run


# ----------------------------------------------------------------------------- Gumbel-softmax
LOGITS = torch.tensor([1.0, 0.0, -1.0, 0.5, -0.3])


def test_relaxed_samples_approach_one_hot_with_softmax_frequencies_as_tau_falls():
    g = torch.Generator().manual_seed(0)
    n, K = 20_000, LOGITS.numel()
    u = torch.rand(n, K, generator=g)
    peak = [float(gumbel_softmax(LOGITS.expand(n, K), tau, u).max(-1).values.mean()) for tau in (5.0, 1.0, 0.1, 0.01, 0.001)]
    assert all(a < b for a, b in zip(peak, peak[1:])), peak          # sharper as τ falls ...
    y = gumbel_softmax(LOGITS.expand(n, K), 0.001, u)
    assert peak[-1] > 0.995 and float((y.max(-1).values > 0.99).float().mean()) > 0.98   # ... nearly one-hot
    counts = np.bincount(y.argmax(-1).numpy(), minlength=K)
    expected = n * torch.softmax(LOGITS, 0).double().numpy()
    assert chisquare(counts, expected).pvalue > 0.01, (counts, expected)


def test_straight_through_is_one_hot_with_the_soft_samples_gradient():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(6, 3, 4, generator=g)
    u, w = torch.rand(6, 3, 4, generator=g), torch.randn(6, 3, 4, generator=g)
    a = logits.clone().requires_grad_(True)
    hard = gumbel_softmax(a, 0.7, u, hard=True)
    assert set(hard.detach().unique().tolist()) <= {0.0, 1.0} and torch.all(hard.detach().sum(-1) == 1)
    soft_ref = torch.softmax((logits - torch.log(-torch.log(u))) / 0.7, -1)
    assert torch.equal(hard.detach().argmax(-1), soft_ref.argmax(-1))
    (g_hard,) = torch.autograd.grad((w * hard).sum(), a)
    b = logits.clone().requires_grad_(True)
    (g_soft,) = torch.autograd.grad((w * gumbel_softmax(b, 0.7, u)).sum(), b)
    torch.testing.assert_close(g_hard, g_soft)


def test_categorical_kl_to_uniform_matches_torch_distributions():
    logits = torch.randn(5, 7, 6, generator=torch.Generator().manual_seed(2)) * 3
    ref = kl_divergence(Categorical(logits=logits), Categorical(probs=torch.full((6,), 1 / 6)))
    torch.testing.assert_close(kl_uniform(logits), ref)


def test_temperature_schedule_closed_form():
    assert temperature(0, 2.0, 0.5, 1e-3) == 2.0
    assert temperature(500, 2.0, 0.5, 1e-3) == pytest.approx(2.0 * math.exp(-0.5))
    assert temperature(10_000, 2.0, 0.5, 1e-3) == 0.5
    assert temperature(10_000, 2.0, 0.5, 0.0) == 2.0


def test_gumbel_run_anneals_tau_and_trains(digits):
    run = _run(digits, 30, variant="gumbel", n_vars=4, categories=3, tau0=2.0, tau_min=0.3, anneal_rate=0.01,
               hard=True, hidden=32)
    taus = run.history.terms["tau"]
    assert taus[0] == pytest.approx(2.0) and taus[-1] == pytest.approx(2.0 * math.exp(-0.01 * 29))
    assert all(math.isfinite(v) for v in run.history.terms["neg_elbo"])
    code = run.model.hard_code(digits.x_test[:1])[0]
    f = flip(code, 2, (int(code[2].argmax()) + 1) % 3)
    assert (f != code).any(1).tolist() == [False, False, True, False] and torch.all(f.sum(1) == 1)
    with pytest.raises(ValueError, match="variable"):
        flip(code, 4, 0)


# ----------------------------------------------------------------------------- settings
@pytest.mark.parametrize("kw, field", [
    (dict(tau0=0.0), "τ₀"), (dict(tau0=-1.0), "τ₀"), (dict(tau_min=0.0), "τ_min"),
    (dict(categories=1), "categories K"), (dict(prior="banana"), "prior"), (dict(variant="vq"), "variant"),
])
def test_bad_settings_name_the_field(kw, field):
    with pytest.raises(ValueError, match=field):
        Config(**kw)


def test_semi_supervised_prior_needs_labels():
    with pytest.raises(ValueError, match="mixture_by_label needs labelled data"):
        vaevariants.Model(Config(variant="aae", prior="mixture_by_label"), (1, 8, 8), num_classes=0)


# ----------------------------------------------------------------------------- AAE
def _mmd2(a: np.ndarray, b: np.ndarray, scales=(0.5, 1.0, 2.0, 4.0)) -> float:
    """Biased squared MMD with a sum of Gaussian kernels, from scipy's pairwise distances."""
    def k(u, v):
        d2 = cdist(u, v, "sqeuclidean")
        return sum(np.exp(-d2 / (2 * s * s)) for s in scales)
    return float(k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean())


def _ring_prior(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 10, n)
    ang = 2 * np.pi * c / 10
    return np.stack([RING_RADIUS * np.cos(ang), RING_RADIUS * np.sin(ang)], 1) + RING_STD * rng.standard_normal((n, 2))


def test_aae_aggregate_posterior_moves_to_the_prior(digits):
    run = _run(digits, 0, variant="aae", latent_dim=2, prior="mixture", hidden=128, batch_size=128, seed=0)
    prior = _ring_prior(1000)
    codes = lambda: run.model.latents(digits.x_test).detach().numpy()
    before = _mmd2(codes(), prior)
    for _ in loop.train(run, steps=300):
        pass
    after = _mmd2(codes(), prior)
    assert after < 0.5 * before, (before, after)
    xs, ys, v = decision_map(run.model, (-6.0, 6.0), n=20)
    assert v.shape == (20, 20) and ((0 <= v) & (v <= 1)).all()


def test_the_mmd_curve_is_the_scipy_mmd():
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(50, 3, generator=g), torch.randn(40, 3, generator=g) + 1
    assert float(vaevariants.mmd2(a, b)) == pytest.approx(_mmd2(a.double().numpy(), b.double().numpy()), rel=1e-4)


# ----------------------------------------------------------------------------- VAE-GAN
def test_vaegan_discriminator_sees_real_reconstructed_and_prior_images(digits):
    run = _run(digits, 3, variant="vae-gan", latent_dim=4, hidden=64, batch_size=16)
    m = run.model
    before = copy.deepcopy(m)
    state = run.noise.get_state()
    seen = []
    hook = m.D.register_forward_hook(lambda mod, inp, out: seen.append(inp[0].detach().clone()))
    x = digits.x[:16]
    out = m.train_step(Batch(x, digits.y[:16]))
    hook.remove()
    assert all(torch.isfinite(v).all() for v in out.values())
    assert len(seen) == 1 and seen[0].shape == (48, *digits.shape)     # one pass over the whole D batch
    # the same noise, in the same order (ε for q(z|x), then z_p), through the weights before the step
    g = torch.Generator().manual_seed(0)
    g.set_state(state)
    with torch.no_grad():
        mu, logvar = before.vae.encode(x)
        eps, z_p = torch.randn(mu.shape, generator=g), torch.randn(mu.shape, generator=g)
        recon = torch.sigmoid(before.vae.decode_logits(mu + torch.exp(0.5 * logvar) * eps))
        prior = torch.sigmoid(before.vae.decode_logits(z_p))
    torch.testing.assert_close(seen[0][:16], x)
    torch.testing.assert_close(seen[0][16:32], recon)
    torch.testing.assert_close(seen[0][32:], prior)
    images, kinds = before.forward_batch(x)["images"], before.forward_batch(x)["kinds"]
    assert kinds.tolist() == [REAL] * 16 + [RECON] * 16 + [PRIOR] * 16 and images.shape[0] == 48


def test_vaegan_losses_finite_and_twin_trains_on_the_same_batches(digits):
    run = _run(digits, 20, variant="vae-gan", latent_dim=4, hidden=64, batch_size=32)
    for k in ("kl", "llike", "d_loss", "g_loss", "d_real", "d_recon", "d_prior", "twin_neg_elbo"):
        assert all(math.isfinite(v) for v in run.history.terms[k]), k
    assert len(run.model.optimizers) == 4
    z = torch.randn(5, 4)
    assert run.model.twin.decode(z).shape == run.model.decode(z).shape == (5, *digits.shape)
    solo = _run(digits, 1, variant="vae-gan", latent_dim=4, hidden=64, twin=False)
    assert solo.model.twin is None and "twin_neg_elbo" not in solo.history.terms
