"""Reverse-process samplers of the diffusion family: DDPM (seed 004 eq. 11; Ho et al. 2020, eq. 11 and Alg. 2) and DDIM (Song et al. 2021, eq. 12).

Every sampler has the same small interface (:class:`Sampler`), as the schedulers of Hugging Face diffusers do:

* ``timesteps()``: the step indices it visits, from T−1 (noise) down to 0;
* ``step(eps_hat, t, x_t, z)``: from the network's ε̂ at one of them, the next state x_{t−1} and the clean
  sample x̂₀ it points to (diffusers' ``prev_sample`` and ``pred_original_sample``), as a :class:`Step`.

The loop that calls the network lives in :func:`trainers.diffusion.reverse_process`; classifier-free guidance is
applied there, once, before ε̂ reaches a step, so a sampler never sees labels. A sampler with a ``clip`` box clips
x̂₀ inside ``step`` and re-derives ε̂ from the clipped x̂₀, so the update uses the clipped x̂₀ and the returned
(x_t, x̂₀, ε̂) always satisfy eq. 9. Step indices follow :mod:`trainers.diffusion_schedules` (0 … T−1).
"""
from __future__ import annotations

from typing import NamedTuple, Protocol

import torch
from torch import Tensor

from .diffusion_schedules import Schedule

VARIANCES = ("beta_tilde", "beta")

Box = tuple[Tensor, Tensor]          # (lo, hi), each broadcastable against a batch


class Step(NamedTuple):
    """What one reverse step returns."""
    x_prev: Tensor                   # x_{t−1} (DDIM: x at the next step it visits); x_0 after t = 0
    x0: Tensor                       # x̂₀, clipped to ``box`` when the sampler clips
    eps: Tensor                      # the ε̂ the update used: the network's, or the one matching the clipped x̂₀
    box: Box | None                  # the (lo, hi) x̂₀ was clipped to; None when not clipping


class Sampler(Protocol):
    """Anything the reverse loop can drive: a name for the UI, the steps to visit, and one step."""
    name: str

    def timesteps(self) -> list[int]: ...

    def step(self, eps_hat: Tensor, t: int, x_t: Tensor, z: Tensor | None = None) -> Step: ...


class _Clipped:
    """What DDPM and DDIM share: the schedule, the optional box, and x̂₀ (clipped) from ε̂."""

    def __init__(self, schedule: Schedule, clip: Box | None = None) -> None:
        self.schedule, self.clip = schedule, clip

    def _t(self, t: Tensor | int) -> int:
        t_ = self.schedule.check_t(t)                # ValueError outside 0 … T−1
        if t_.dim():
            raise ValueError("One reverse step takes one step index t for the whole batch.")
        return int(t_)

    def predict(self, eps_hat: Tensor, t: int, x_t: Tensor) -> tuple[Tensor, Tensor]:
        """(x̂₀, ε̂): eq. 9 solved for x_0; with a box, x̂₀ clipped into it and the ε̂ that matches it.

        Clipping is what Ho et al.'s sampler does for images ([−1, 1]) and keeps early or strongly guided
        steps from flying off; inside the box nothing changes."""
        s = self.schedule
        x0 = s.predict_x0(x_t, t, eps_hat)
        if self.clip is None:
            return x0, eps_hat
        lo, hi = self.clip
        x0 = torch.maximum(torch.minimum(x0, hi), lo)
        return x0, s.predict_eps(x_t, t, x0)


class DDPM(_Clipped):
    """Ancestral sampling with all T steps, eq. 11, σ_t² = β̃_t (the posterior's, default) or β_t (Ho et al.)."""
    name = "ddpm"

    def __init__(self, schedule: Schedule, variance: str = "beta_tilde", clip: Box | None = None) -> None:
        if variance not in VARIANCES:
            raise ValueError(f"The reverse-step variance must be 'beta_tilde' or 'beta'; got {variance!r}.")
        super().__init__(schedule, clip)
        self.variance = variance

    def timesteps(self) -> list[int]:
        return list(range(self.schedule.T - 1, -1, -1))

    def sigma(self, t: Tensor | int) -> Tensor:
        """σ_t of eq. 11: √β̃_t or √β_t; both are Ho et al.'s choices."""
        s = self.schedule
        return (s.posterior_var if self.variance == "beta_tilde" else s.betas)[s.check_t(t)].sqrt()

    def step(self, eps_hat: Tensor, t: Tensor | int, x_t: Tensor, z: Tensor | None = None) -> Step:
        """Eq. 11: x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) · ε̂) / √(1 − β_t) + σ_t z; no noise on the last step.

        With ε̂ taken from the (clipped) x̂₀, this mean is the posterior mean of q(x_{t−1} | x_t, x̂₀),
        √ᾱ_{t−1} β_t/(1 − ᾱ_t) · x̂₀ + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) · x_t (Ho et al. eq. 7)."""
        t = self._t(t)
        x0, eps = self.predict(eps_hat, t, x_t)
        s = self.schedule
        beta, ab = s.betas[t], s.alpha_bar[t]
        mean = (x_t - beta / (1 - ab).sqrt() * eps) / (1 - beta).sqrt()         # (B, …)
        if t == 0:
            return Step(mean, x0, eps, self.clip)                               # x_0: σ_1 z is dropped
        if z is None:
            z = torch.randn_like(x_t)
        return Step(mean + self.sigma(t) * z, x0, eps, self.clip)


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """``steps`` indices from T−1 down to 0, evenly spaced (the 'linspace' spacing of DDIM)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= T:
        raise ValueError(f"DDIM needs between 1 and T = {T} steps; got {steps!r}.")
    ts = torch.linspace(T - 1, 0, steps).round().long().tolist()
    return list(dict.fromkeys(ts))            # distinct, still descending


class DDIM(_Clipped):
    """Song et al. (2021) eq. 12 on a subsequence of ``steps`` indices: η = 0 is deterministic; η = 1 with all
    T steps has DDPM's posterior variance β̃_t."""
    name = "ddim"

    def __init__(self, schedule: Schedule, steps: int | None = None, eta: float = 0.0,
                 clip: Box | None = None) -> None:
        # the one place η is checked: every step reads it from here
        if isinstance(eta, bool) or not 0.0 <= float(eta) <= 1.0:
            raise ValueError(f"DDIM's η must be between 0 (deterministic) and 1 (DDPM-like); got {eta}.")
        super().__init__(schedule, clip)
        self.eta = float(eta)
        self.ts = ddim_timesteps(schedule.T, schedule.T if steps is None else steps)
        self.prev = dict(zip(self.ts, self.ts[1:] + [-1]))     # t → t', the next index visited; −1: the clean end

    def timesteps(self) -> list[int]:
        return list(self.ts)

    def _alpha_bars(self, t: int) -> tuple[Tensor, Tensor]:
        """(ᾱ_t, ᾱ_{t'}), with ᾱ = 1 at the clean end t' = −1."""
        s, t_prev = self.schedule, self.prev[t]
        ab = s.alpha_bar[t]
        return ab, s.alpha_bar[t_prev] if t_prev >= 0 else torch.ones((), device=ab.device)

    def sigma(self, t: Tensor | int) -> Tensor:
        """σ = η √((1 − ᾱ_{t'})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'}): the noise added on the way from t to t'."""
        ab, ab_prev = self._alpha_bars(self._check_visited(t))
        return self.eta * ((1 - ab_prev) / (1 - ab)).sqrt() * (1 - ab / ab_prev).sqrt()

    def _check_visited(self, t: Tensor | int) -> int:
        t = self._t(t)
        if t not in self.prev:
            raise ValueError(f"This DDIM sampler visits only t ∈ {self.ts}; got t = {t}.")
        return t

    def step(self, eps_hat: Tensor, t: Tensor | int, x_t: Tensor, z: Tensor | None = None) -> Step:
        """x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'} − σ²) ε̂ + σ z, t' the next index visited (−1: x_0)."""
        t = self._check_visited(t)
        x0, eps = self.predict(eps_hat, t, x_t)
        ab, ab_prev = self._alpha_bars(t)
        sigma = self.sigma(t)
        direction = (1 - ab_prev - sigma ** 2).clamp(min=0).sqrt() * eps      # "direction pointing to x_t"
        out = ab_prev.sqrt() * x0 + direction
        if self.eta > 0 and self.prev[t] >= 0:
            out = out + sigma * (torch.randn_like(x_t) if z is None else z)
        return Step(out, x0, eps, self.clip)
