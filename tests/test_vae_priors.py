"""The VAE's learned conditional prior and Gaussian decoder (issue 12, items 4–5), against torch.distributions."""
from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from trainers import loop, vae
from trainers.base import Batch
from trainers.vae_priors import gaussian_nll_sum, kl_gaussians


def test_gaussian_to_gaussian_kl_matches_torch_distributions():
    torch.manual_seed(0)
    mu_q, lv_q, mu_p, lv_p = 2 * torch.randn(64, 8), 2 * torch.randn(64, 8), 2 * torch.randn(64, 8), torch.randn(64, 8)
    ours = kl_gaussians(mu_q, lv_q, mu_p, lv_p)
    ref = kl_divergence(Normal(mu_q, torch.exp(0.5 * lv_q)), Normal(mu_p, torch.exp(0.5 * lv_p)))
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    assert kl_gaussians(mu_p, lv_p, mu_p, lv_p).abs().max() < 1e-6          # zero when q = p
    # with p = N(0, I) it is the standard VAE's KL
    torch.testing.assert_close(kl_gaussians(mu_q, lv_q, torch.zeros(()), torch.zeros(())), vae.kl_normal(mu_q, lv_q))


def _model(**kw):
    torch.manual_seed(0)
    return vae.Model(vae.Config(conditional=True, prior="learned", latent_dim=4, hidden=32, **kw), (1, 8, 8), 10)


def test_the_model_kl_is_to_the_learned_prior_of_each_label(digits):
    model = _model()
    with torch.no_grad():                                       # move the prior off N(0, I), as training does
        for p in model.prior_net.parameters():
            p.add_(0.5 * torch.randn_like(p))
    x, y = digits.x[:32], digits.y[:32]
    model.rng = torch.Generator().manual_seed(3)
    out = model.loss(Batch(x, y))
    with torch.no_grad():
        mu, logvar = model.encode(x, y)
        mu_p, logvar_p = model.prior_net(torch.nn.functional.one_hot(y, 10).float())
        ref_dims = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(mu_p, torch.exp(0.5 * logvar_p)))
    torch.testing.assert_close(out["kl"], ref_dims.sum(-1).mean(), rtol=1e-5, atol=1e-5)   # batch mean, as the curves
    torch.testing.assert_close(out["kl_per_dim"], ref_dims.mean(0), rtol=1e-5, atol=1e-5)
    # different labels, different priors
    assert (mu_p[y == y[0]][0] - mu_p[y != y[0]][0]).abs().max() > 1e-3
    # gradients reach the prior network through the KL
    out["loss"].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.prior_net.parameters())


def test_a_fresh_learned_prior_is_the_standard_normal():
    model = _model()
    mu_p, logvar_p = model.prior_net(torch.eye(10))
    assert mu_p.abs().max() == 0 and logvar_p.abs().max() == 0


def test_samples_per_class_come_from_the_learned_prior():
    model = _model()
    with torch.no_grad():
        for p in model.prior_net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    torch.manual_seed(4)
    z, y = vae.prior_codes(model, 20_000)
    assert y[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    mu_p, logvar_p = model.prior_net(torch.eye(10))
    for c in (0, 7):
        zc, sd = z[y == c].detach(), torch.exp(0.5 * logvar_p[c]).detach()
        assert ((zc.mean(0) - mu_p[c].detach()).abs() < 5 * sd / math.sqrt(len(zc))).all()     # 5 standard errors
        torch.testing.assert_close(zc.std(0), sd, atol=0, rtol=0.05)
        assert (mu_p[c].abs() > 0.05).any()                                                  # not N(0, I)
    torch.manual_seed(4)
    z, y = vae.prior_codes(model, 12)
    torch.manual_seed(4)
    torch.testing.assert_close(model.sample(12), model.decode(z, y), rtol=0, atol=0)   # sample() draws the same
    sevens = torch.full((12,), 7)                          # labels asked for: z from p(z | 7), decoded as 7s
    z7, y7 = vae.prior_codes(model, 12, y=sevens)
    assert torch.equal(y7, sevens)
    torch.testing.assert_close(z7, mu_p[7] + torch.exp(0.5 * logvar_p[7]) * vae.prior_codes(
        vae.Model(vae.Config(latent_dim=4, hidden=32), (1, 8, 8)), 12)[0])           # the same ε, moved to p(z|7)
    torch.testing.assert_close(model.sample(12, sevens), model.decode(z7, sevens), rtol=0, atol=0)


@pytest.mark.parametrize("gaussian", ["unit", "learned"])
def test_gaussian_decoder_recon_is_minus_normal_log_prob(digits, gaussian):
    torch.manual_seed(0)
    model = vae.Model(vae.Config(recon="mse", gaussian=gaussian, latent_dim=4, hidden=32), digits.shape)
    if gaussian == "learned":
        with torch.no_grad():
            model.sigma_raw.fill_(-0.13)                         # some σ ≠ 1
    x = digits.x[:16]
    model.rng = torch.Generator().manual_seed(5)
    out = model.loss(Batch(x))
    eps = torch.randn((16, 4), generator=torch.Generator().manual_seed(5))   # the run's draw, repeated
    with torch.no_grad():
        mu, logvar = model.encode(x)
        mean = model.decode_logits(mu + torch.exp(0.5 * logvar) * eps)
        sigma = model.log_sigma().exp()
        nll = -Normal(mean, sigma).log_prob(x).flatten(1).sum(1)                  # (B,) per example
        kl = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(1)
    assert (float(sigma) == 1.0) == (gaussian == "unit")
    torch.testing.assert_close(out["recon"], nll.mean(), rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(out["neg_elbo"], (nll + kl).mean(), rtol=1e-5, atol=1e-4)   # exact, constant in
    torch.testing.assert_close(out["loss"], (nll + kl).sum(), rtol=1e-5, atol=1e-3)       # β = 1: sum over batch
    torch.testing.assert_close(gaussian_nll_sum(mean, x, torch.log(sigma)), nll.sum(), rtol=1e-5, atol=1e-3)
    if gaussian == "learned":
        assert out["sigma"] == pytest.approx(float(sigma))
        out["loss"].backward()
        assert model.sigma_raw.grad is not None and model.sigma_raw.grad != 0
    else:
        assert "sigma" not in out


def test_learned_sigma_goes_to_the_rms_error_and_the_code_is_used(digits):
    """The point of the option: with σ = 1 the KL collapses; learned, σ falls to the RMS error and the code
    carries the digit (the preset's note; measured σ 0.115, KL 14.4 at step 600)."""
    runs = {}
    for g in ("unit", "learned"):
        torch.manual_seed(0)
        runs[g] = run = loop.Run("vae", vae.Config(recon="mse", gaussian=g, latent_dim=8), digits, "cpu")
        for m in loop.train(run, steps=300):
            pass
    kl_unit = runs["unit"].history.terms["kl"][-1]
    kl_learned = runs["learned"].history.terms["kl"][-1]
    assert kl_unit < 0.1 and kl_learned > 5, (kl_unit, kl_learned)
    with runs["learned"].evaluating() as m:
        rms = float((m.decode_logits(m.encode(digits.x[:500])[0]) - digits.x[:500]).pow(2).mean().sqrt())
        sigma = float(m.log_sigma().exp())
    assert sigma < 0.3 and 0.5 * rms < sigma < 2 * rms, (sigma, rms)


def test_cvae_learned_prior_gathers_codes_by_label(digits):
    """The preset's note: with the learned prior the posterior means gather by label (measured 78% nearest-class
    -mean accuracy at step 600 against 28% with the standard prior)."""
    acc = {}
    for prior in ("standard", "learned"):
        torch.manual_seed(0)
        run = loop.Run("vae", vae.Config(conditional=True, prior=prior, latent_dim=8), digits, "cpu")
        for _ in loop.train(run, steps=600):
            pass
        with run.evaluating() as m:
            mu, _ = m.encode(digits.x_test, digits.y_test)
        means = torch.stack([mu[digits.y_test == c].mean(0) for c in range(10)])
        acc[prior] = float((torch.cdist(mu, means).argmin(1) == digits.y_test).float().mean())
    assert acc["learned"] > 0.6 and acc["standard"] < 0.45, acc


@pytest.mark.parametrize("kw, match", [
    (dict(prior="learned"), r"prior p\(z\|y\) 'learned'.*conditional"),
    (dict(prior="gmm", conditional=True), r"prior p\(z\|y\) must be one of 'standard', 'learned'; got 'gmm'"),
    (dict(gaussian="learned"), r"Gaussian decoder σ 'learned' needs reconstruction loss 'mse'"),
    (dict(gaussian="per-pixel", recon="mse"), r"Gaussian decoder σ must be one of 'mse', 'unit', 'learned'"),
])
def test_bad_options_name_the_field(kw, match):
    with pytest.raises(ValueError, match=match):
        vae.Config(**kw)


def test_defaults_build_todays_model():
    """No prior network, no σ parameter: the default model has exactly the parameters it had."""
    model = vae.Model(vae.Config(), (1, 8, 8))
    assert model.prior_net is None and model.sigma_raw is None
    assert all(n.startswith(("encoder.", "decoder.")) for n, _ in model.named_parameters())
    assert float(model.log_sigma()) == 0.0
    assert math.isclose(vae.Config().to_dict()["beta"], 1.0)
