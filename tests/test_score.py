"""The score family's math against closed forms: DSM's optimum, the SDEs' marginals, the samplers with an exact
score, flow matching's velocity on a Gaussian, the Gaussian-mixture score against autograd."""
from __future__ import annotations

import math

import pytest
import torch

from trainers.data import Dataset
from trainers.loop import Run, train
from trainers.score import Config, Model, reverse_process
from trainers.score_samplers import annealed_langevin, pc, pf_ode
from trainers.score_sde import NCSN, VE, VP, dsm_loss, fm_loss, gmm_score

MU, S = torch.tensor([1.0, -0.5]), 0.5             # data N(μ, s² I) in 2D


def gauss_data(n: int = 4000, seed: int = 0) -> Dataset:
    g = torch.Generator().manual_seed(seed)
    x = MU + S * torch.randn(n, 2, generator=g)
    return Dataset("gaussian", "points", x[: n * 4 // 5], None, x[n * 4 // 5:], None)


def exact_score(proc):
    """∇ log p_t for data N(μ, s² I): p_t = N(α_t μ, (α_t² s² + σ_t²) I)."""
    def score(x, t):
        t = torch.as_tensor(t, dtype=torch.float32).expand(x.shape[0])
        a, s = proc.alpha(t)[:, None], proc.sigma(t)[:, None]
        return -(x - a * MU) / (a ** 2 * S ** 2 + s ** 2)
    return score


def _train(cfg: Config, steps: int) -> Run:
    run = Run("score", cfg, gauss_data(), device="cpu")
    for _ in train(run, steps=steps):
        pass
    return run


# ----------------------------------------------------------------------------- denoising score matching
@pytest.mark.parametrize("proc", [VE(0.01, 4.0), NCSN(0.01, 4.0, 10), VP(0.1, 20.0)], ids=["ve", "ncsn", "vp"])
def test_dsm_loss_of_the_exact_score_equals_its_analytic_value(proc):
    """Vincent (2011): DSM = explicit SM + C; at the exact score the loss is C = λ (E‖∇log p_0t‖² − E‖∇log p_t‖²)
    = D α² s²/(α² s² + σ²) per sample with λ = σ² (NCSN: half); any other score scores higher."""
    g = torch.Generator().manual_seed(0)
    n, t = 200_000, 0.6
    x0 = MU + S * torch.randn(n, 2, generator=g)
    z = torch.randn(n, 2, generator=g)
    tt = torch.full((n,), t)
    a, s = float(proc.alpha(torch.tensor(t))), float(proc.sigma(torch.tensor(t)))
    expected = 2 * a ** 2 * S ** 2 / (a ** 2 * S ** 2 + s ** 2) * (0.5 if isinstance(proc, NCSN) else 1.0)
    got = float(dsm_loss(exact_score(proc), proc, x0, tt, z).mean())
    assert got == pytest.approx(expected, rel=0.01)
    off = lambda x, t: exact_score(proc)(x, t) * 1.1 + 0.05                  # noqa: E731
    assert float(dsm_loss(off, proc, x0, tt, z).mean()) > got * 1.005


def test_the_models_dsm_loss_is_eps_prediction_and_its_score_is_minus_eps_over_sigma():
    """s = −ε̂/σ_t (seed 004 §3), so λ = σ² turns DSM into DDPM's ‖ε̂ − z‖²."""
    m = Model(Config(objective="ve"), (2,))
    x0, z = torch.randn(64, 2), torch.randn(64, 2)
    t = torch.rand(64)
    sigma = m.proc.sigma(t)[:, None]
    x_t = x0 + sigma * z
    with torch.no_grad():
        assert torch.allclose(m.score(x_t, t), -m.eps(x_t, t) / sigma)
        per = dsm_loss(m.score, m.proc, x0, t, z)
        assert torch.allclose(per, (m.eps(x_t, t) - z).pow(2).sum(1), rtol=1e-4, atol=1e-5)


def test_a_trained_score_approaches_the_analytic_score_on_a_gaussian():
    run = _train(Config(objective="ve", hidden=64, layers=2, batch_size=512, lr=3e-3, seed=1), 500)
    untrained = Model(Config(objective="ve", hidden=64, layers=2, seed=1), (2,))
    g = torch.Generator().manual_seed(3)
    proc = run.model.proc
    for t in (0.6, 0.75, 0.9):                                # σ_t ≈ 0.36, 0.9, 2.2
        sig = float(proc.sigma(torch.tensor(t)))
        x = MU + math.sqrt(S ** 2 + sig ** 2) * torch.randn(2000, 2, generator=g)      # x ~ p_t
        true = -(x - MU) / (S ** 2 + sig ** 2)                                          # −(x − μ)/(s² + σ²)
        with run.evaluating() as m:
            err = float((m.score(x, t) - true).norm() / true.norm())
        with torch.no_grad():
            before = float((untrained.score(x, t) - true).norm() / true.norm())
        assert err < 0.2 and err < before / 3, (t, err, before)


# ----------------------------------------------------------------------------- the SDEs' marginals
@pytest.mark.parametrize("proc", [VE(0.01, 4.0), VP(0.1, 20.0)], ids=["ve", "vp"])
def test_sde_marginals_match_their_closed_forms(proc):
    """Euler–Maruyama on dx = f dt + g dw with 2,000 small steps, from data N(μ, s²) (VE: blurred by σ_min, the
    kernel's convention), against mean α_t μ and variance α_t² s² + σ_t² at t = 0.3, 0.6, 1."""
    g = torch.Generator().manual_seed(1)
    n, K = 20_000, 2000
    x = MU + S * torch.randn(n, 2, generator=g)
    if isinstance(proc, VE):
        x = x + proc.sigma_min * torch.randn(n, 2, generator=g)
    t0 = proc.t_eps if isinstance(proc, VP) else 0.0
    if isinstance(proc, VP):                                   # start at the kernel's t_eps, exactly
        x = float(proc.alpha(torch.tensor(t0))) * x + float(proc.sigma(torch.tensor(t0))) * torch.randn(n, 2, generator=g)
    ts = torch.linspace(t0, 1.0, K + 1)
    checks = {int(0.3 * K), int(0.6 * K), K}
    for k in range(1, K + 1):
        t, dt = float(ts[k - 1]), float(ts[k] - ts[k - 1])
        f, gg = proc.sde(x, torch.tensor(t))
        x = x + f * dt + gg * math.sqrt(dt) * torch.randn(n, 2, generator=g)
        if k in checks:
            tk = torch.tensor(float(ts[k]))
            a, s = float(proc.alpha(tk)), float(proc.sigma(tk))
            var = a ** 2 * S ** 2 + s ** 2
            assert torch.allclose(x.mean(0), a * MU, atol=0.03 * math.sqrt(var) + 1e-3), (k, x.mean(0))
            assert torch.allclose(x.var(0), torch.full((2,), var), rtol=0.05), (k, x.var(0), var)


# ----------------------------------------------------------------------------- samplers with the exact score
@pytest.mark.parametrize("proc", [VE(0.01, 4.0), VP(0.1, 20.0)], ids=["ve", "vp"])
@pytest.mark.parametrize("sampler", ["predictor", "pc", "ode"])
def test_samplers_with_the_exact_score_keep_the_moments(proc, sampler):
    """From x ~ p_1 (exact), 200 steps of the reverse-SDE predictor (+ 1 corrector), or 1,000 Euler steps of the
    PF ODE (its error is first order: 200 steps leave VE's variance ~5% high), with the exact score end at
    p_{t_0} = N(α μ, (α² s² + σ²) I)."""
    g = torch.Generator().manual_seed(2)
    n = 20_000
    one = torch.tensor(1.0)
    x = float(proc.alpha(one)) * MU + math.sqrt(float(proc.alpha(one)) ** 2 * S ** 2
                                                + float(proc.sigma(one)) ** 2) * torch.randn(n, 2, generator=g)
    score = exact_score(proc)
    if sampler == "ode":
        out = pf_ode(proc, score, x, 1000)
    else:
        out = pc(proc, score, x, 200, g, corrector=1 if sampler == "pc" else 0, snr=0.16)
    t0 = torch.tensor(proc.grid(200)[0])                      # the same t_0 for every N
    a, s = float(proc.alpha(t0)), float(proc.sigma(t0))
    assert torch.allclose(out.mean(0), a * MU, atol=0.02)
    assert torch.allclose(out.var(0), torch.full((2,), a ** 2 * S ** 2 + s ** 2), rtol=0.05), out.var(0)


def test_annealed_langevin_with_the_exact_score_lands_on_the_data():
    proc = NCSN(0.01, 4.0, 10)
    g = torch.Generator().manual_seed(4)
    x = proc.prior(20_000, 2, g, "cpu")
    out = annealed_langevin(proc, exact_score(proc), x, 0, g, eps=5e-5, per_level=100)
    assert torch.allclose(out.mean(0), MU, atol=0.03)
    assert torch.allclose(out.var(0), torch.full((2,), S ** 2 + 0.01 ** 2), rtol=0.1), out.var(0)


def test_the_probability_flow_ode_is_deterministic_given_x_T_and_pc_is_not():
    run = _train(Config(objective="vp", hidden=32, layers=1), 5)
    x_T = torch.randn(50, 2, generator=torch.Generator().manual_seed(9))
    with run.evaluating() as m:
        a = reverse_process(m, 50, "ode", steps=20, x_T=x_T, seed=1).result
        b = reverse_process(m, 50, "ode", steps=20, x_T=x_T, seed=2).result
        c = reverse_process(m, 50, "pc", steps=20, x_T=x_T, seed=1).result
        d = reverse_process(m, 50, "pc", steps=20, x_T=x_T, seed=2).result
    assert torch.equal(a, b)
    assert not torch.allclose(c, d)


# ----------------------------------------------------------------------------- flow matching
def test_flow_matching_learns_the_gaussian_to_gaussian_velocity():
    """x_0 ~ N(0, I), x_1 ~ N(μ, s² I) independent: E[x_1 − x_0 | x_t = x] = μ + (t s² − (1 − t))/((1 − t)² + t² s²)
    · (x − t μ). The trained velocity gets close; an untrained one is far."""
    run = _train(Config(objective="flow", hidden=64, layers=2, batch_size=512, lr=3e-3, seed=1), 500)
    untrained = Model(Config(objective="flow", hidden=64, layers=2, seed=1), (2,))
    g = torch.Generator().manual_seed(5)
    for t in (0.25, 0.5, 0.75):
        var = (1 - t) ** 2 + t ** 2 * S ** 2
        x = t * MU + math.sqrt(var) * torch.randn(2000, 2, generator=g)
        true = MU + (t * S ** 2 - (1 - t)) / var * (x - t * MU)
        with run.evaluating() as m:
            err = float((m.velocity(x, t) - true).norm() / true.norm())
        with torch.no_grad():
            before = float((untrained.velocity(x, t) - true).norm() / true.norm())
        assert err < 0.15 and err < before / 3, (t, err, before)


def test_flow_matching_loss_of_the_exact_velocity_is_its_conditional_variance():
    """At the exact velocity the loss is E Var(x_1 − x_0 | x_t): per dimension 1 + s² − Cov²/Var(x_t)."""
    g = torch.Generator().manual_seed(6)
    n, t = 200_000, 0.4
    x0, x1 = torch.randn(n, 2, generator=g), MU + S * torch.randn(n, 2, generator=g)
    var = (1 - t) ** 2 + t ** 2 * S ** 2
    cov = t * S ** 2 - (1 - t)
    v = lambda x, tt: MU + cov / var * (x - t * MU)                          # noqa: E731
    got = float(fm_loss(v, x0, x1, torch.full((n,), t)).mean())
    assert got == pytest.approx(2 * (1 + S ** 2 - cov ** 2 / var), rel=0.01)


# ----------------------------------------------------------------------------- pieces
def test_the_mixture_score_matches_autograd_of_torch_distributions():
    centers = torch.tensor([[2.0, 0.0], [-1.0, 1.0], [0.0, -2.0]])
    std, a, s = 0.3, 0.8, 0.5
    v = a ** 2 * std ** 2 + s ** 2
    mix = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(torch.ones(3)),
        torch.distributions.Independent(torch.distributions.Normal(a * centers, math.sqrt(v)), 1))
    x = torch.randn(100, 2, generator=torch.Generator().manual_seed(7)).requires_grad_()
    ref, = torch.autograd.grad(mix.log_prob(x).sum(), x)
    assert torch.allclose(gmm_score(x.detach(), centers, std, a, s), ref, atol=1e-5)


@pytest.mark.parametrize("bad, message", [
    (dict(sigma_min=5.0, sigma_max=4.0), "σ_min must be smaller than σ_max"),
    (dict(beta_min=30.0, beta_max=20.0), "β_min must be smaller than β_max"),
    (dict(objective="ddpm"), "objective must be one of"),
    (dict(levels=1), "NCSN levels L must be between"),
])
def test_bad_settings_name_the_field(bad, message):
    with pytest.raises(ValueError, match=message):
        Config(**bad)


def test_samplers_refuse_bad_settings_by_name():
    run = _train(Config(objective="ve", hidden=32, layers=1), 3)
    with run.evaluating() as m:
        with pytest.raises(ValueError, match="snr r must be above 0"):
            reverse_process(m, 10, "pc", snr=0.0)
        with pytest.raises(ValueError, match="corrector steps M"):
            reverse_process(m, 10, "pc", corrector=-1)
        with pytest.raises(ValueError, match="must be one of ald, pc, ode"):
            reverse_process(m, 10, "euler")



def test_images_are_flattened_and_samples_come_back_shaped_like_the_data(digits):
    run = Run("score", Config(objective="flow", hidden=32, layers=1), digits, device="cpu")
    for _ in train(run, steps=3):
        pass
    with run.evaluating() as m:
        assert m.sample(4, steps=3).shape == (4, 1, 8, 8)
