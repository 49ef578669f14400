"""Noise schedules and the DDPM/DDIM steps (seed 004 §3, eq. 8–11; Ho et al. 2020; Song et al. 2021).

Index convention: code index ``t`` runs 0 … T−1 and stands for the paper's step t+1, so
``alpha_bar[0] = 1 − β_1`` (one step of noise) and ``alpha_bar[T−1] ≈ 0`` (pure noise). This is
listing 3's ``torch.randint(0, T)`` and diffusers' convention. One reverse step goes from index
``t`` to ``t − 1``; from index 0 it lands on the clean sample x_0.

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


def linear_betas(T: int) -> Tensor:
    """Ho et al.'s linear β from 1e-4 to 0.02 over 1000 steps, rescaled by 1000/T (Nichol & Dhariwal)
    so that a short chain still ends in noise; clipped at 0.999 (matters only for T < 50)."""
    scale = 1000.0 / T
    betas = torch.linspace(1e-4 * scale, 0.02 * scale, T, dtype=torch.float64)
    return betas.clamp(max=BETA_MAX)


def cosine_alpha_bar(t: Tensor | float, T: int, s: float = COSINE_S) -> Tensor:
    """Nichol & Dhariwal (2021) eq. 17: ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T + s)/(1 + s))·π/2), paper t ∈ [0, T]."""
    t = torch.as_tensor(t, dtype=torch.float64)
    f = lambda u: torch.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2
    return f(t) / f(torch.zeros((), dtype=torch.float64))


def cosine_betas(T: int) -> Tensor:
    """β_t = 1 − ᾱ(t)/ᾱ(t−1), clipped at 0.999 (their eq. below 17), paper t = 1 … T."""
    t = torch.arange(1, T + 1, dtype=torch.float64)
    betas = 1 - cosine_alpha_bar(t, T) / cosine_alpha_bar(t - 1, T)
    return betas.clamp(max=BETA_MAX)


class Schedule:
    """β_t, α_t = 1 − β_t, ᾱ_t = ∏ α_s (eq. 9), the posterior variance β̃_t and SNR_t = ᾱ_t/(1 − ᾱ_t)."""

    def __init__(self, T: int, kind: str = "linear") -> None:
        if isinstance(T, bool) or not isinstance(T, int) or not T_MIN <= T <= T_MAX:
            raise ValueError(f"The number of diffusion steps T must be a whole number between "
                             f"{T_MIN} and {T_MAX}; got {T!r}.")
        if kind not in KINDS:
            raise ValueError(f"The noise schedule must be one of {', '.join(KINDS)}; got {kind!r}.")
        self.T, self.kind = T, kind
        betas = linear_betas(T) if kind == "linear" else cosine_betas(T)           # (T,) float64
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

    # -- eq. 9 and the inverse used for x̂_0 ----------------------------------------------------
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

    def score(self, t: Tensor | int, eps_hat: Tensor) -> Tensor:
        """∇ log q_t(x_t) ≈ −ε̂ / √(1 − ᾱ_t) (the score that ε-prediction implies)."""
        t = self.check_t(t)
        return -eps_hat / self._at((1 - self.alpha_bar).sqrt(), t, eps_hat)

    # -- eq. 11 ------------------------------------------------------------------------------
    def sigma(self, t: Tensor | int, variance: str = "beta_tilde") -> Tensor:
        """σ_t of eq. 11: √β̃_t (the posterior's, default) or √β_t; both are Ho et al.'s choices."""
        t = self.check_t(t)
        if variance not in ("beta_tilde", "beta"):
            raise ValueError(f"The reverse-step variance must be 'beta_tilde' or 'beta'; got {variance!r}.")
        v = self.posterior_var if variance == "beta_tilde" else self.betas
        return v[t].sqrt()

    def p_step(self, x_t: Tensor, t: int, eps_hat: Tensor, z: Tensor | None = None,
               variance: str = "beta_tilde") -> Tensor:
        """Eq. 11: x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) · ε̂) / √(1 − β_t) + σ_t z; no noise on the last step."""
        t_ = self.check_t(t)
        if t_.dim():
            raise ValueError("One reverse step takes one step index t for the whole batch.")
        t = int(t_)
        beta, ab = self.betas[t], self.alpha_bar[t]
        mean = (x_t - beta / (1 - ab).sqrt() * eps_hat) / (1 - beta).sqrt()     # (B, …)
        if t == 0:
            return mean                                                          # x_0: σ_1 z is dropped
        if z is None:
            z = torch.randn_like(x_t)
        return mean + self.sigma(t, variance) * z

    # -- DDIM (Song et al. 2021, eq. 12) ---------------------------------------------------------
    def ddim_step(self, x_t: Tensor, t: int, t_prev: int, eps_hat: Tensor, eta: float = 0.0,
                  z: Tensor | None = None) -> Tensor:
        """x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'} − σ²) ε̂ + σ z, with
        σ = η √((1 − ᾱ_{t'})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'}); t' = −1 means the clean end (ᾱ = 1).
        η = 0 is deterministic; η = 1 has DDPM's posterior variance."""
        t = int(self.check_t(t))
        if not isinstance(t_prev, int) or not -1 <= t_prev < t:
            raise ValueError(f"A DDIM step goes from t to an earlier t' between −1 and t−1; got t={t}, t'={t_prev}.")
        if not 0.0 <= float(eta) <= 1.0:
            raise ValueError(f"DDIM's η must be between 0 (deterministic) and 1 (DDPM-like); got {eta}.")
        ab = self.alpha_bar[t]
        ab_prev = self.alpha_bar[t_prev] if t_prev >= 0 else torch.ones((), device=ab.device)
        x0 = (x_t - (1 - ab).sqrt() * eps_hat) / ab.sqrt()                       # (B, …)
        sigma = eta * ((1 - ab_prev) / (1 - ab)).sqrt() * (1 - ab / ab_prev).sqrt()
        direction = (1 - ab_prev - sigma ** 2).clamp(min=0).sqrt() * eps_hat
        out = ab_prev.sqrt() * x0 + direction
        if eta > 0 and t_prev >= 0:
            out = out + sigma * (torch.randn_like(x_t) if z is None else z)
        return out


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """``steps`` indices from T−1 down to 0, evenly spaced (the 'linspace' spacing of DDIM)."""
    if not isinstance(steps, int) or not 1 <= steps <= T:
        raise ValueError(f"DDIM needs between 1 and T = {T} steps; got {steps!r}.")
    ts = torch.linspace(T - 1, 0, steps).round().long().tolist()
    return list(dict.fromkeys(ts))            # distinct, still descending
