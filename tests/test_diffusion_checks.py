"""Independent checks of the diffusion math: the linear schedule's clipping, strided DDIM with
0 < η < 1 against Song et al., and the score identity s = −ε/σ on a noised Gaussian."""
from __future__ import annotations

import pytest
import torch

from trainers.diffusion_samplers import DDIM
from trainers.diffusion_schedules import Schedule


# ----------------------------------------------------------------------------- issue 17: independent checks
def test_linear_schedule_clips_only_chains_of_20_steps_or_fewer():
    """Nichol & Dhariwal's 1000/T scaling puts the top β at 20/T: above 0.999 (so clipped) for T ≤ 20 only."""
    for T, n in ((10, 5), (19, 1), (20, 1), (21, 0), (100, 0), (1000, 0)):
        s = Schedule(T, "linear")
        assert s.n_clipped == n == int((torch.linspace(0.1 / T, 20 / T, T, dtype=torch.float64) > 0.999).sum()), T
        assert (s.betas <= 0.999 + 1e-6).all()
    assert all(Schedule(T, "cosine").n_clipped == 1 for T in (10, 100, 1000))        # only β_T (ᾱ(T) = 0)


def test_strided_ddim_with_eta_between_0_and_1_follows_song_et_al_eq_12_and_16():
    """A whole 8-step DDIM chain (T = 50, η = 0.3) against eq. 12 with σ from eq. 16, by hand in float64."""
    T, eta = 50, 0.3
    betas = torch.linspace(0.1 / T, 20 / T, T, dtype=torch.float64)                     # linear, 1000/T-scaled
    a = torch.cumprod(1 - betas, 0)                                                     # Song et al.'s α_t = ᾱ_t
    taus = [49, 42, 35, 28, 21, 14, 7, 0]                                               # τ: every 7th step
    g = torch.Generator().manual_seed(3)
    x_T, zs = torch.randn(6, 2, generator=g), torch.randn(len(taus), 6, 2, generator=g)
    eps_fn = lambda x, t: torch.sin(2 * x) + 0.01 * t                                   # any fixed ε̂(x, t)
    sampler = DDIM(Schedule(T, "linear"), 8, eta)
    assert sampler.timesteps() == taus
    x, want = x_T.clone(), x_T.double()
    for i, t in enumerate(taus):
        a_t, a_prev = a[t], (a[taus[i + 1]] if i + 1 < len(taus) else torch.tensor(1.0, dtype=torch.float64))
        e = eps_fn(want, t)
        sigma = eta * ((1 - a_prev) / (1 - a_t)).sqrt() * (1 - a_t / a_prev).sqrt()    # eq. 16
        x0 = (want - (1 - a_t).sqrt() * e) / a_t.sqrt()                                 # "predicted x_0"
        want = a_prev.sqrt() * x0 + (1 - a_prev - sigma ** 2).sqrt() * e + sigma * zs[i].double()   # eq. 12
        assert (float(sigma) > 0) == (i + 1 < len(taus))                                # no noise onto x_0
        assert float(sampler.sigma(t)) == pytest.approx(float(sigma), rel=1e-4, abs=1e-7)
        x = sampler.step(eps_fn(x, t), t, x, zs[i]).x_prev
        assert torch.allclose(x.double(), want, rtol=1e-4, atol=1e-4), (t, x, want)


def _mixture_eps(centres: torch.Tensor, sd: float, schedule: Schedule):
    """The exact ε̂(x, t) = E[ε | x_t] for x_0 from an equal mixture of N(c_k, sd² I): x_t ~ Σ N(√ᾱ c_k, v I),
    v = ᾱ sd² + 1 − ᾱ, and E[x_0 | x_t] mixes the Gaussian posteriors c_k + √ᾱ sd²/v (x_t − √ᾱ c_k)."""
    def eps(x: torch.Tensor, t: int) -> torch.Tensor:
        ab, xd = schedule.alpha_bar[t].double(), x.double()
        v, d = ab * sd ** 2 + 1 - ab, xd[:, None] - ab.sqrt() * centres[None]                 # (n, K, D)
        w = torch.softmax(-(d ** 2).sum(-1) / (2 * v), 1)[..., None]
        x0 = (w * (centres[None] + ab.sqrt() * sd ** 2 / v * d)).sum(1)                        # E[x_0 | x_t]
        return ((xd - ab.sqrt() * x0) / (1 - ab).sqrt()).to(x.dtype)
    return eps


def test_score_of_the_bayes_optimal_eps_is_the_score_of_a_noised_gaussian():
    """x_0 ~ N(μ, s²I) gives x_t ~ N(√ᾱ μ, (ᾱ s² + 1 − ᾱ) I). The ε̂ that minimises eq. 10 is E[ε | x_t];
    −ε̂/√(1 − ᾱ_t) (the notes' s = −ε/σ) must be that density's score, taken here by autograd."""
    sched, mu, sd = Schedule(100, "cosine"), torch.tensor([[1.5, -0.5]], dtype=torch.float64), 0.4
    eps_star = _mixture_eps(mu, sd, sched)                                      # one Gaussian
    x = 1.3 * torch.randn(64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for t in (0, 10, 50, 99):
        ab = sched.alpha_bar[t].double()
        xr = x.clone().requires_grad_(True)
        logp = torch.distributions.Normal(ab.sqrt() * mu, (ab * sd ** 2 + 1 - ab).sqrt()).log_prob(xr).sum()
        (score,) = torch.autograd.grad(logp, xr)
        assert torch.allclose(sched.score(t, eps_star(x, t).float()).double(), score, rtol=1e-4, atol=1e-4), t
    # and E[ε | x_t] is what eq. 10 is minimised by (Monte Carlo at one t): its error is the irreducible ᾱ s²/v
    t, g = 40, torch.Generator().manual_seed(1)
    ab = sched.alpha_bar[t].double()
    x0, eps = mu + sd * torch.randn(400_000, 2, generator=g, dtype=torch.float64), torch.randn(400_000, 2, generator=g,
                                                                                              dtype=torch.float64)
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    best = (eps - eps_star(xt, t)).pow(2).mean()
    assert best == pytest.approx(float(ab * sd ** 2 / (ab * sd ** 2 + 1 - ab)), rel=0.01)
    assert (eps - 1.05 * eps_star(xt, t)).pow(2).mean() > best and (eps - xt).pow(2).mean() > best
