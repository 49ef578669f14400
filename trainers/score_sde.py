"""Noise processes and losses of the score family: NCSN's σ levels, the VE and VP SDEs, flow matching's paths.

* NCSN (Song & Ermon 2019): L noise levels σ_1 > … > σ_L in a geometric sequence from σ_max to σ_min;
  x̃ = x + σ z. As Song et al. (2021, §3.4) note, that is the VE SDE seen at L points of its clock, so
  :class:`NCSN` is :class:`VE` restricted to t ∈ {0, 1/(L−1), …, 1}.
* VE SDE (Song et al. 2021, eq. 9 and App. B): dx = √(d[σ²(t)]/dt) dw, σ(t) = σ_min (σ_max/σ_min)^t.
  Perturbation kernel p_0t(x_t | x_0) = N(x_0, σ(t)² I) (their code's; the exact kernel of the SDE started at
  x_0 has variance σ(t)² − σ_min², i.e. this one is the SDE started from the data already blurred by σ_min).
* VP SDE (Song et al. 2021, eq. 11 and App. B): dx = −½β(t) x dt + √β(t) dw, β(t) = β_min + t (β_max − β_min);
  p_0t = N(x_0 e^{−½B(t)}, (1 − e^{−B(t)}) I), B(t) = ∫_0^t β = β_min t + ½ t² (β_max − β_min). DDPM's chain is
  its discretisation.
* Denoising score matching (Vincent 2011; Song & Ermon 2019 eq. 5–6; Song et al. 2021 eq. 7): regress s_θ(x_t, t)
  onto ∇ log p_0t(x_t | x_0) = −(x_t − α_t x_0)/σ_t² = −z/σ_t, weighted by λ = σ_t² (NCSN: ½ σ²).
  With s_θ = −ε_θ/σ_t the weighted loss is exactly ‖ε_θ − z‖²: DDPM's ε-prediction loss (Ho et al. eq. 12).
* Flow matching / rectified flow (Lipman et al. 2023 eq. 23; Liu et al. 2022 eq. 1): x_t = (1 − t) x_0 + t x_1
  with x_0 ~ N(0, I) and x_1 a data point; regress v_θ(x_t, t) onto x_1 − x_0.

Each process maps the clock t ∈ [0, 1] to the marginal's mean scale α(t) and std σ(t), gives the SDE's drift and
diffusion, and the integrals of g² over a step (the samplers use those, so a coarse grid stays exact for VE).
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

VP_EPS = 1e-3            # VP's clock starts here (Song et al. 2021 sample t ~ U(ε, 1): σ(0) = 0 would divide by 0)
ScoreFn = Callable[[Tensor, Tensor], Tensor]   # (x (B, D), t (B,)) -> score (B, D)


def _col(v: Tensor) -> Tensor:
    return v.reshape(-1, 1)


class Process:
    """What a score model's samplers and loss need to know about its noise."""
    name = ""
    t_eps = 0.0              # the smallest t trained and sampled
    half = False             # NCSN's ℓ(θ; σ) carries a ½ (Song & Ermon eq. 5)

    def alpha(self, t: Tensor) -> Tensor:          # mean scale of p_0t
        raise NotImplementedError

    def sigma(self, t: Tensor) -> Tensor:          # std of p_0t
        raise NotImplementedError

    def marginal(self, x0: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        """(mean (B, D), std (B, 1)) of p_0t(x_t | x_0)."""
        t = torch.as_tensor(t, dtype=x0.dtype, device=x0.device).expand(x0.shape[0])
        return _col(self.alpha(t)) * x0, _col(self.sigma(t))

    def sde(self, x: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        """(f(x, t) (B, D), g(t) (B, 1)) of dx = f dt + g dw."""
        raise NotImplementedError

    def g2_integral(self, t_lo: float, t_hi: float) -> float:
        """∫_{t_lo}^{t_hi} g(t)² dt."""
        raise NotImplementedError

    def prior(self, n: int, dim: int, generator: torch.Generator, device) -> Tensor:
        raise NotImplementedError

    def grid(self, steps: int) -> list[float]:
        """t_0 < t_1 < … < t_N: the clock a sampler visits (backwards), N = ``steps``."""
        return torch.linspace(self.t_eps, 1.0, steps + 1, dtype=torch.float64).tolist()

    def sample_t(self, b: int, rand: Callable[..., Tensor], randint: Callable[..., Tensor]) -> Tensor:
        return self.t_eps + (1.0 - self.t_eps) * rand(b)          # t ~ U(ε, 1)


class VE(Process):
    """Variance exploding: σ(t) = σ_min (σ_max/σ_min)^t, α = 1 (Song et al. 2021, App. B)."""
    name = "ve"

    def __init__(self, sigma_min: float, sigma_max: float) -> None:
        if not 0 < sigma_min < sigma_max:
            raise ValueError(f"σ_min must be smaller than σ_max; got σ_min = {sigma_min:g}, σ_max = {sigma_max:g}.")
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)
        self.log_ratio = math.log(self.sigma_max / self.sigma_min)

    def alpha(self, t: Tensor) -> Tensor:
        return torch.ones_like(torch.as_tensor(t, dtype=torch.float32))

    def sigma(self, t: Tensor) -> Tensor:
        return self.sigma_min * torch.exp(torch.as_tensor(t, dtype=torch.float32) * self.log_ratio)

    def sde(self, x: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        # g(t)² = d σ(t)²/dt = 2 log(σ_max/σ_min) σ(t)²
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device).expand(x.shape[0])
        return torch.zeros_like(x), _col(self.sigma(t) * math.sqrt(2 * self.log_ratio)).to(x)

    def g2_integral(self, t_lo: float, t_hi: float) -> float:
        return float(self.sigma(torch.tensor(t_hi)) ** 2 - self.sigma(torch.tensor(t_lo)) ** 2)

    def prior(self, n: int, dim: int, generator: torch.Generator, device) -> Tensor:
        return self.sigma_max * torch.randn(n, dim, generator=generator, device=device)   # N(0, σ_max² I)


class NCSN(VE):
    """Song & Ermon's L geometric levels σ_i = σ_max (σ_min/σ_max)^{(i−1)/(L−1)}: the VE clock at t = k/(L−1)."""
    name = "ncsn"
    half = True

    def __init__(self, sigma_min: float, sigma_max: float, levels: int) -> None:
        super().__init__(sigma_min, sigma_max)
        if levels < 2:
            raise ValueError(f"NCSN needs at least 2 noise levels; got {levels}.")
        self.levels = int(levels)

    def grid(self, steps: int | None = None) -> list[float]:
        return torch.linspace(0.0, 1.0, self.levels, dtype=torch.float64).tolist()   # its L levels, whatever N

    def sample_t(self, b: int, rand, randint) -> Tensor:
        return randint(0, self.levels, (b,)).float() / (self.levels - 1)             # i ~ U{1 … L}


class VP(Process):
    """Variance preserving: α(t) = e^{−½B(t)}, σ(t) = √(1 − e^{−B(t)}) (Song et al. 2021, App. B)."""
    name = "vp"
    t_eps = VP_EPS

    def __init__(self, beta_min: float, beta_max: float) -> None:
        if not 0 < beta_min < beta_max:
            raise ValueError(f"β_min must be smaller than β_max; got β_min = {beta_min:g}, β_max = {beta_max:g}.")
        self.beta_min, self.beta_max = float(beta_min), float(beta_max)

    def B(self, t: Tensor) -> Tensor:
        t = torch.as_tensor(t, dtype=torch.float32)
        return self.beta_min * t + 0.5 * t ** 2 * (self.beta_max - self.beta_min)

    def beta(self, t: Tensor) -> Tensor:
        return self.beta_min + torch.as_tensor(t, dtype=torch.float32) * (self.beta_max - self.beta_min)

    def alpha(self, t: Tensor) -> Tensor:
        return torch.exp(-0.5 * self.B(t))

    def sigma(self, t: Tensor) -> Tensor:
        return (-torch.expm1(-self.B(t))).sqrt()

    def sde(self, x: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device).expand(x.shape[0])
        b = _col(self.beta(t)).to(x)
        return -0.5 * b * x, b.sqrt()

    def g2_integral(self, t_lo: float, t_hi: float) -> float:
        return float(self.B(torch.tensor(t_hi)) - self.B(torch.tensor(t_lo)))

    def prior(self, n: int, dim: int, generator: torch.Generator, device) -> Tensor:
        return torch.randn(n, dim, generator=generator, device=device)                   # N(0, I)


def make(objective: str, sigma_min: float, sigma_max: float, levels: int, beta_min: float,
         beta_max: float) -> Process | None:
    """The process of a config's objective; None for flow matching (its path is fixed, see :func:`fm_loss`)."""
    if objective == "ncsn":
        return NCSN(sigma_min, sigma_max, levels)
    if objective == "ve":
        return VE(sigma_min, sigma_max)
    if objective == "vp":
        return VP(beta_min, beta_max)
    if objective == "flow":
        return None
    raise ValueError(f"The objective must be 'ncsn', 've', 'vp' or 'flow'; got {objective!r}.")


# ----------------------------------------------------------------------------- losses
def dsm_loss(score: ScoreFn, proc: Process, x0: Tensor, t: Tensor, z: Tensor) -> Tensor:
    """Per-sample denoising score matching, (B,): λ(t) ‖s(x_t, t) − ∇ log p_0t(x_t | x_0)‖².

    1. x_t = α_t x_0 + σ_t z                                    (the perturbation kernel; z ~ N(0, I))
    2. ∇ log p_0t(x_t | x_0) = −(x_t − α_t x_0)/σ_t² = −z/σ_t
    3. λ = σ_t² (Song & Ermon 2019, λ(σ) = σ²; Song et al. 2021 eq. 7's λ ∝ 1/E‖∇ log p_0t‖² = σ_t²/D),
       and NCSN's ½ (their eq. 5).
    """
    mean, std = proc.marginal(x0, t)                   # (B, D), (B, 1)
    x_t = mean + std * z                               # 1.
    target = -z / std                                  # 2.
    per = std.squeeze(1) ** 2 * (score(x_t, t) - target).pow(2).sum(1)     # 3.
    return 0.5 * per if proc.half else per


def fm_path(x0: Tensor, x1: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
    """(x_t, x_1 − x_0) on the straight path x_t = (1 − t) x_0 + t x_1 (Liu et al. 2022 eq. 1)."""
    tc = _col(t)
    return (1 - tc) * x0 + tc * x1, x1 - x0


def fm_loss(velocity: ScoreFn, x0: Tensor, x1: Tensor, t: Tensor) -> Tensor:
    """Per-sample conditional flow matching, (B,): ‖v_θ(x_t, t) − (x_1 − x_0)‖² (Lipman et al. 2023 eq. 23
    with σ_min = 0, i.e. rectified flow's loss, Liu et al. eq. 1)."""
    x_t, target = fm_path(x0, x1, t)
    return (velocity(x_t, t) - target).pow(2).sum(1)


# ----------------------------------------------------------------------------- known scores
def gmm_score(x: Tensor, centers: Tensor, std: float, alpha: float = 1.0, sigma: float = 0.0,
              weights: Tensor | None = None) -> Tensor:
    """∇ log of Σ_k w_k N(α c_k, (α² s² + σ²) I) at x (B, D): a Gaussian mixture (equal weights unless
    given) pushed through x_t = α x_0 + σ z. With ``std`` = 0 and the training points as ``centers`` it is the
    score of the *empirical* data blurred by σ: what DSM's optimum is on a finite training set.

    ∇ log p(x) = Σ_k r_k(x) · (α c_k − x)/v,  r = softmax_k(log w_k − ‖x − α c_k‖²/(2v)),  v = α² s² + σ².
    """
    v = alpha ** 2 * std ** 2 + sigma ** 2
    mu = alpha * centers.to(x)                                              # (K, D)
    d2 = torch.cdist(x, mu).pow(2)                                          # (B, K)
    logw = torch.zeros(mu.shape[0], dtype=x.dtype, device=x.device) if weights is None else weights.to(x).log()
    r = torch.softmax(logw[None] - d2 / (2 * v), dim=1)                     # (B, K)
    return (r @ mu - x) / v
