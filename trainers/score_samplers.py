"""Samplers of the score family, as pure functions of a process and a score (or velocity) function.

* :func:`annealed_langevin`: Song & Ermon (2019), Alg. 1. For each level σ_i, large to small, ``per_level`` steps
  x ← x + (α_i/2) s(x, σ_i) + √α_i z, with α_i = ε σ_i²/σ_L².
* :func:`pc`: Song et al. (2021), Alg. 2 (VE) / Alg. 3 (VP) "PC sampling": a reverse-diffusion predictor (the
  reverse SDE, eq. 6, discretised by Euler–Maruyama with g² integrated over the step, so a coarse NCSN grid stays
  exact), then ``corrector`` Langevin steps (Alg. 4 / 5) whose step size follows the signal-to-noise ratio r:
  ε = 2α (r ‖z‖/‖s‖)², x ← x + ε s + √(2ε) z (α = 1 for VE; α_i = 1 − β_i for VP).
* :func:`pf_ode`: the probability-flow ODE dx = [f(x, t) − ½ g(t)² s(x, t)] dt (Song et al. 2021, eq. 13), Euler
  steps backwards (VP: its linear term −½β x integrated exactly); deterministic given x_T.
* :func:`flow_euler`: dx/dt = v_θ(x, t) from t = 0 (noise) to 1 (data), Euler steps (Liu et al. 2022, §2.1).

Every sampler calls ``on_step(x, t, out)`` before each update, with the state, its clock and the network's
output there (the score, or the velocity): the frame viewer keeps those. ``generator`` draws every z.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

from .score_sde import VE, Process, VP

Fn = Callable[[Tensor, float], Tensor]                # (x (B, D), t) -> score or velocity (B, D)
OnStep = Callable[[Tensor, float, Tensor], None]
SAMPLERS = ("ald", "pc", "ode")                        # score models; flow matching has "euler"


def _noop(x: Tensor, t: float, out: Tensor) -> None:
    pass


def _z(x: Tensor, g: torch.Generator) -> Tensor:
    return torch.randn(x.shape, generator=g, device=x.device, dtype=x.dtype)


def _sigma(proc: Process, t: float) -> float:
    return float(proc.sigma(torch.tensor(t)))


def check(steps: int, corrector: int, snr: float, eps: float = 1e-5, per_level: int = 1) -> None:
    """The sampler settings a visitor types, checked with sentences that name them."""
    if isinstance(steps, bool) or int(steps) != steps or not 1 <= steps <= 2000:
        raise ValueError(f"steps N must be a whole number from 1 to 2000; got {steps!r}.")
    if isinstance(corrector, bool) or int(corrector) != corrector or not 0 <= corrector <= 20:
        raise ValueError(f"corrector steps M must be a whole number from 0 to 20; got {corrector!r}.")
    if not (isinstance(snr, (int, float)) and math.isfinite(snr) and 0 < snr <= 10):
        raise ValueError(f"snr r must be above 0 and at most 10 (Song et al. use 0.16 on images); got {snr!r}.")
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and 0 < eps <= 1):
        raise ValueError(f"Langevin step ε must be above 0 and at most 1; got {eps!r}.")
    if isinstance(per_level, bool) or int(per_level) != per_level or not 1 <= per_level <= 200:
        raise ValueError(f"Langevin steps per level T must be a whole number from 1 to 200; got {per_level!r}.")


# ----------------------------------------------------------------------------- steps
def predictor_step(proc: Process, x: Tensor, s: Tensor, t: float, t_next: float, z: Tensor | None) -> Tensor:
    """One reverse-diffusion step from t to t_next < t (no noise when ``z`` is None).

    VE (Alg. 2): x' = x + (σ_t² − σ_t'²) s + √(σ_t² − σ_t'²) z.
    VP (Alg. 3 with its (2 − √(1 − β)) replaced by the 1/√(1 − β) it expands, DDPM's ancestral step, Ho et al.
    eq. 11 in score form): x' = (x + β s)/√(1 − β) + √β z, with 1 − β = α_t'²/α_t² = e^{−∫β}.
    """
    if isinstance(proc, VP):
        beta = -math.expm1(-proc.g2_integral(t_next, t))
        out = (x + beta * s) / math.sqrt(1 - beta)
        return out if z is None else out + math.sqrt(beta) * z
    d = proc.g2_integral(t_next, t)                              # σ_t² − σ_t'² (VE), the ∫ g² of the step
    out = x + d * s
    return out if z is None else out + math.sqrt(d) * z


def corrector_step(proc: Process, x: Tensor, s: Tensor, t: float, t_prev: float | None, snr: float,
                   z: Tensor) -> Tensor:
    """One Langevin corrector step at t (Song et al. 2021, Alg. 4 for VE, Alg. 5 for VP):
    ε = 2α (r ‖z‖/‖s‖)², x ← x + ε s + √(2ε) z; ‖·‖ averaged over the batch as in their code.
    α = 1 (VE); α_i = 1 − β_i, the VP step's, from ``t_prev`` (the level above) when there is one."""
    alpha = 1.0
    if isinstance(proc, VP) and t_prev is not None:
        alpha = math.exp(-proc.g2_integral(t, t_prev))
    s_norm = s.flatten(1).norm(dim=1).mean()
    z_norm = z.flatten(1).norm(dim=1).mean()
    eps = 2 * alpha * (snr * z_norm / s_norm.clamp_min(1e-12)) ** 2
    return x + eps * s + (2 * eps).sqrt() * z


# ----------------------------------------------------------------------------- samplers
def pc(proc: Process, score: Fn, x: Tensor, steps: int, generator: torch.Generator, corrector: int = 0,
       snr: float = 0.16, on_step: OnStep = _noop, noise: bool = True) -> Tensor:
    """PC sampling (Alg. 2/3): for i = N … 1, predictor from t_i to t_{i−1}, then M corrector steps at t_{i−1}.
    ``corrector`` = 0 is the reverse-SDE predictor alone; ``noise=False`` drops its z (tests only)."""
    ts = proc.grid(steps)
    for i in range(len(ts) - 1, 0, -1):
        t, t_next = ts[i], ts[i - 1]
        s = score(x, t)
        on_step(x, t, s)
        x = predictor_step(proc, x, s, t, t_next, _z(x, generator) if noise else None)
        for _ in range(corrector):
            x = corrector_step(proc, x, score(x, t_next), t_next, t, snr, _z(x, generator))
    return x


def annealed_langevin(proc: Process, score: Fn, x: Tensor, steps: int, generator: torch.Generator,
                      eps: float = 5e-5, per_level: int = 20, on_step: OnStep = _noop) -> Tensor:
    """Alg. 1 of Song & Ermon (2019) over the levels σ(t_N) > … > σ(t_0) (NCSN: its own L levels)."""
    ts = proc.grid(steps)[::-1]                                   # large noise first
    sigma_last = _sigma(proc, ts[-1])
    for t in ts:
        a = eps * (_sigma(proc, t) / sigma_last) ** 2                # α_i = ε σ_i²/σ_L²
        for _ in range(per_level):
            s = score(x, t)
            on_step(x, t, s)
            x = x + 0.5 * a * s + math.sqrt(a) * _z(x, generator)
    return x


def pf_ode(proc: Process, score: Fn, x: Tensor, steps: int, on_step: OnStep = _noop) -> Tensor:
    """Euler steps of the probability-flow ODE (Song et al. 2021, eq. 13) from t_N = 1 down to t_0:
    VE: x' = x + ½ (σ_t² − σ_t'²) s;  VP: dx/dt = −½β(t)(x + s), so with s held over the step
    x' = (x + s) e^{½∫β} − s (exponential Euler; to first order x + ½∫β (x + s))."""
    ts = proc.grid(steps)
    for i in range(len(ts) - 1, 0, -1):
        t, t_next = ts[i], ts[i - 1]
        s = score(x, t)
        on_step(x, t, s)
        g2 = proc.g2_integral(t_next, t)
        x = (x + s) * math.exp(0.5 * g2) - s if isinstance(proc, VP) else x + 0.5 * g2 * s
    return x


def flow_euler(velocity: Fn, x: Tensor, steps: int, on_step: OnStep = _noop) -> Tensor:
    """Euler steps of dx/dt = v(x, t), t = 0 → 1: x_{t+h} = x_t + h v(x_t, t) (Liu et al. 2022, §2.1)."""
    ts = torch.linspace(0.0, 1.0, steps + 1, dtype=torch.float64).tolist()
    for t, t_next in zip(ts[:-1], ts[1:]):
        v = velocity(x, t)
        on_step(x, t, v)
        x = x + (t_next - t) * v
    return x


def x0_hat(proc: Process | None, x: Tensor, t: float, out: Tensor) -> Tensor:
    """Where a state is headed: Tweedie's x̂₀ = (x + σ_t² s)/α_t = (x − σ_t ε̂)/α_t for a score model
    (Efron 2011; the same x̂₀ as DDPM's); x̂₁ = x_t + (1 − t) v for flow matching."""
    if proc is None:
        return x + (1.0 - t) * out
    tt = torch.tensor(t)
    return (x + float(proc.sigma(tt)) ** 2 * out) / float(proc.alpha(tt))


def ve_like(proc: Process | None) -> bool:
    return isinstance(proc, VE)
