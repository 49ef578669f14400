"""The VAE's options beyond N(0, I) and σ = 1 (issue 12, items 4–5): a learned conditional prior p(z | y)
and a Gaussian decoder with a learned variance, both with their exact terms in nats.

* Learned prior (seed 000 §1.3.1, the CVAE as the notes write it): a small network y -> (μ_p(y), log σ²_p(y)),
  and the KL between two diagonal Gaussians, per dimension,
      KL(N(μ_q, σ_q²) ‖ N(μ_p, σ_p²)) = ½ (log σ_p² − log σ_q² + (σ_q² + (μ_q − μ_p)²) / σ_p² − 1).
  Its last layer starts at zero, so a fresh run starts from p(z | y) = N(0, I) (today's CVAE) and moves away
  only as the KL term pulls it.
* Gaussian decoder: −log N(x; x̂, σ² I) = Σ_pixels [ (x − x̂)² / (2σ²) + log σ + ½ log 2π ], constant included,
  with **one** learned log σ for all pixels. One, not one per pixel: a per-pixel σ is unbounded on pixels
  that never change (the digits' blank borders are 0 in every image; the decoder outputs 0 there, σ → 0 and
  −log p(x|z) → −∞), while one shared σ has the finite optimum σ² = mean squared error over all pixels.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .layers import mlp

PRIOR_HIDDEN = 64     # width of the prior network's hidden layer
SIGMA_SPEED = 10.0    # log σ = SIGMA_SPEED · s: Adam moves s by ~lr a step, so log σ by ~10·lr (a few hundred
                      # steps from σ = 1 to σ ≈ 0.2, instead of thousands)


def kl_gaussians(mu_q: Tensor, logvar_q: Tensor, mu_p: Tensor, logvar_p: Tensor) -> Tensor:
    """KL(N(μ_q, σ_q²) ‖ N(μ_p, σ_p²)) per dimension, closed form: (B, d)."""
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p).pow(2)) / logvar_p.exp() - 1)


class ConditionalPrior(nn.Module):
    """p(z | y) = N(μ_p(y), diag σ_p²(y)): one-hot label (B, C) -> (μ_p, log σ²_p), each (B, d)."""

    def __init__(self, num_classes: int, latent_dim: int, hidden: int = PRIOR_HIDDEN) -> None:
        super().__init__()
        self.net = mlp([num_classes, hidden, 2 * latent_dim])
        nn.init.zeros_(self.net[-1].weight)          # start at N(0, I) for every label
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, onehot: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.net(onehot).chunk(2, dim=1)
        return mu, logvar


def gaussian_nll_sum(mean: Tensor, x: Tensor, log_sigma: Tensor) -> Tensor:
    """−log N(x; mean, σ² I) summed over every pixel of the batch, the ½ log 2π constant included."""
    return (0.5 * (x - mean).pow(2) * torch.exp(-2 * log_sigma) + log_sigma
            + 0.5 * math.log(2 * math.pi)).sum()


def onehot(y: Tensor, num_classes: int) -> Tensor:
    return F.one_hot(y, num_classes).float()
