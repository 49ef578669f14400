"""Noise schedules and the algebra of eq. 9 (seed 004 §3, eq. 8–9; Ho et al. 2020; Nichol & Dhariwal 2021).

Index convention: code index ``t`` runs 0 … T−1 and stands for the paper's step t+1, so
``alpha_bar[0] = 1 − β_1`` (one step of noise) and ``alpha_bar[T−1] ≈ 0`` (pure noise). This is
listing 3's ``torch.randint(0, T)`` and diffusers' convention. One reverse step goes from index
``t`` to ``t − 1``; from index 0 it lands on the clean sample x_0. The reverse steps themselves (eq. 11, DDIM)
live in :mod:`trainers.diffusion_samplers`; they read β_t, ᾱ_t and x̂₀ from here.

Every tensor is computed in float64 (products of ~1000 factors) and stored in float32.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

T_MIN, T_MAX = 10, 1000
KINDS = ("linear", "cosine")
BETA_MAX = 0.999          # Nichol & Dhariwal clip β_t here so the last steps stay invertible
COSINE_S = 0.008          # their offset s: keeps β_1 from being vanishingly small


def linear_betas_raw(T: int) -> Tensor:
    """Ho et al.'s linear β from 1e-4 to 0.02 over 1000 steps, the range scaled by 1000/T as Nichol & Dhariwal
    (2021, improved-diffusion's ``get_named_beta_schedule``) do so that a short chain still ends in noise:
    β_t from 0.1/T to 20/T, before any clipping (its top exceeds 1 for T < 20)."""
    scale = 1000.0 / T
    return torch.linspace(1e-4 * scale, 0.02 * scale, T, dtype=torch.float64)


def linear_betas(T: int) -> Tensor:
    """:func:`linear_betas_raw` clipped at 0.999; the clip bites for T ≤ 20 (T = 10: the last 5 of 10 β's)."""
    return linear_betas_raw(T).clamp(max=BETA_MAX)


def cosine_alpha_bar(t: Tensor | float, T: int, s: float = COSINE_S) -> Tensor:
    """Nichol & Dhariwal (2021) eq. 17: ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T + s)/(1 + s))·π/2), paper t ∈ [0, T]."""
    t = torch.as_tensor(t, dtype=torch.float64)
    f = lambda u: torch.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2
    return f(t) / f(torch.zeros((), dtype=torch.float64))


def cosine_betas_raw(T: int) -> Tensor:
    """β_t = 1 − ᾱ(t)/ᾱ(t−1), paper t = 1 … T, before clipping (the last one is 1: ᾱ(T) = 0)."""
    t = torch.arange(1, T + 1, dtype=torch.float64)
    return 1 - cosine_alpha_bar(t, T) / cosine_alpha_bar(t - 1, T)


def cosine_betas(T: int) -> Tensor:
    """:func:`cosine_betas_raw` clipped at 0.999 (their eq. below 17); only the last step is clipped."""
    return cosine_betas_raw(T).clamp(max=BETA_MAX)


class Schedule:
    """β_t, α_t = 1 − β_t, ᾱ_t = ∏ α_s (eq. 9), the posterior variance β̃_t and SNR_t = ᾱ_t/(1 − ᾱ_t)."""

    def __init__(self, T: int, kind: str = "linear") -> None:
        if isinstance(T, bool) or not isinstance(T, int) or not T_MIN <= T <= T_MAX:
            raise ValueError(f"The number of diffusion steps T must be a whole number between "
                             f"{T_MIN} and {T_MAX}; got {T!r}.")
        if kind not in KINDS:
            raise ValueError(f"The noise schedule must be one of {', '.join(KINDS)}; got {kind!r}.")
        self.T, self.kind = T, kind
        raw = linear_betas_raw(T) if kind == "linear" else cosine_betas_raw(T)      # (T,) float64
        betas = raw.clamp(max=BETA_MAX)
        self.n_clipped = int((raw > BETA_MAX).sum())      # how many β_t hit the 0.999 ceiling (for the page)
        alphas = 1 - betas
        alpha_bar = torch.cumprod(alphas, 0)
        alpha_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bar[:-1]])
        # β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t: the variance of q(x_{t−1} | x_t, x_0) (Ho et al. eq. 7)
        posterior_var = betas * (1 - alpha_bar_prev) / (1 - alpha_bar)
        f32 = lambda v: v.to(torch.float32)
        self.betas, self.alphas = f32(betas), f32(alphas)
        self.alpha_bar, self.alpha_bar_prev = f32(alpha_bar), f32(alpha_bar_prev)
        self.posterior_var = f32(posterior_var)
        self.snr = f32(alpha_bar / (1 - alpha_bar))
        self.device = torch.device("cpu")

    def to(self, device: torch.device | str) -> "Schedule":
        device = torch.device(device)
        if device != self.device:
            for k in ("betas", "alphas", "alpha_bar", "alpha_bar_prev", "posterior_var", "snr"):
                setattr(self, k, getattr(self, k).to(device))
            self.device = device
        return self

    def as_dict(self) -> dict[str, list[float]]:
        """Plain lists for plots: index t = 0 … T−1 is the paper's step t+1."""
        return {k: getattr(self, k).cpu().tolist() for k in ("betas", "alpha_bar", "snr", "posterior_var")}

    # -- checks ------------------------------------------------------------------------------
    def check_t(self, t: Tensor | int) -> Tensor:
        """A (B,) or scalar long tensor of steps inside 0 … T−1, or a ValueError a student understands."""
        t = torch.as_tensor(t, device=self.device)
        if t.dtype.is_floating_point or t.dtype == torch.bool:
            raise ValueError(f"A diffusion step t must be a whole number; got {t.dtype}.")
        t = t.long()
        if t.numel() and (int(t.min()) < 0 or int(t.max()) > self.T - 1):
            raise ValueError(f"The step t must lie between 0 and T−1 = {self.T - 1}; got "
                             f"{int(t.min()) if int(t.min()) < 0 else int(t.max())}.")
        return t

    def _at(self, v: Tensor, t: Tensor, x: Tensor) -> Tensor:
        """v[t] shaped to broadcast against x: (B,) → (B, 1, …, 1), scalar → scalar."""
        out = v[t]
        return out.view(-1, *([1] * (x.dim() - 1))) if out.dim() else out

    # -- eq. 9 and its two inverses: x̂_0 from ε̂ (every sampler), ε̂ from a clipped x̂_0 ---------
    def q_sample(self, x0: Tensor, t: Tensor | int, eps: Tensor) -> Tensor:
        """Eq. 9: x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε, so x_t ~ N(√ᾱ_t x_0, (1 − ᾱ_t) I)."""
        t = self.check_t(t)
        ab = self._at(self.alpha_bar, t, x0)
        return ab.sqrt() * x0 + (1 - ab).sqrt() * eps

    def predict_x0(self, x_t: Tensor, t: Tensor | int, eps_hat: Tensor) -> Tensor:
        """Eq. 9 solved for x_0: x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t."""
        t = self.check_t(t)
        ab = self._at(self.alpha_bar, t, x_t)
        return (x_t - (1 - ab).sqrt() * eps_hat) / ab.sqrt()

    def predict_eps(self, x_t: Tensor, t: Tensor | int, x0_hat: Tensor) -> Tensor:
        """Eq. 9 solved for ε: ε̂ = (x_t − √ᾱ_t x̂_0) / √(1 − ᾱ_t), the noise that goes with a (clipped) x̂_0."""
        t = self.check_t(t)
        ab = self._at(self.alpha_bar, t, x_t)
        return (x_t - ab.sqrt() * x0_hat) / (1 - ab).sqrt()

    def score(self, t: Tensor | int, eps_hat: Tensor) -> Tensor:
        """∇ log q_t(x_t) ≈ −ε̂ / √(1 − ᾱ_t) (the score that ε-prediction implies)."""
        t = self.check_t(t)
        return -eps_hat / self._at((1 - self.alpha_bar).sqrt(), t, eps_hat)


def snr_db(alpha_bar: float) -> float:
    """SNR_t = ᾱ_t/(1 − ᾱ_t) in decibels, 10 log10 SNR_t, for readouts (clamped so t = 0 and ᾱ → 0 stay finite)."""
    return 10 * math.log10(max(alpha_bar, 1e-12) / max(1 - alpha_bar, 1e-12))
