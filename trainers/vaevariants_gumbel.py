"""Discrete VAE with the Gumbel-softmax (Jang, Gu & Poole 2017; the Concrete distribution of Maddison, Mnih & Teh
2017): N categorical latent variables of K categories each.

    g_k = −log(−log u_k), u_k ~ U(0, 1)                                    (Jang et al. 2017, §2)
    y_k = exp((log π_k + g_k) / τ) / Σ_j exp((log π_j + g_j) / τ)           (eq. 2)
As τ → 0, y becomes the one-hot of argmax_k(log π_k + g_k), a sample of Categorical(π) (the Gumbel-max trick).
Straight-through (§2.2): the decoder sees one_hot(argmax y), the gradient is the relaxed y's.
Temperature schedule (§4): τ = max(τ_min, τ₀·exp(−r·step)).
Loss per image: E[−log p(x|y)] + Σ_n KL(q(y_n|x) ‖ Uniform(K)), KL = Σ_k π_k (log π_k − log(1/K)).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import Batch, GenerativeModel
from .layers import bce_with_logits_sum, mlp
from .vaevariants import Config, n_pixels

TINY = 1e-10


def gumbel_noise(u: Tensor) -> Tensor:
    """g = −log(−log u) from u ~ U[0, 1) (clamped away from 0 and 1)."""
    u = u.clamp(TINY, 1 - 1e-7)
    return -torch.log(-torch.log(u))


def gumbel_softmax(logits: Tensor, tau: float, u: Tensor, hard: bool = False) -> Tensor:
    """The relaxed sample softmax((logits + g) / τ) over the last dimension (Jang et al. 2017, eq. 2), from
    uniform noise ``u`` shaped like ``logits``; ``hard``: the one-hot of its argmax in the forward pass and
    the relaxed sample's gradient in the backward pass (straight-through)."""
    if tau <= 0:
        raise ValueError(f"The temperature τ must be greater than 0; got {tau}.")
    y = F.softmax((logits + gumbel_noise(u)) / tau, dim=-1)
    if not hard:
        return y
    one_hot = F.one_hot(y.argmax(-1), y.shape[-1]).to(y.dtype)
    return one_hot - y.detach() + y


def kl_uniform(logits: Tensor) -> Tensor:
    """KL(Categorical(softmax(logits)) ‖ Uniform(K)) over the last dimension: Σ_k π_k (log π_k + log K)."""
    logq = F.log_softmax(logits, dim=-1)
    return (logq.exp() * (logq + math.log(logits.shape[-1]))).sum(-1)


def temperature(step: int, tau0: float, tau_min: float, rate: float) -> float:
    """τ = max(τ_min, τ₀·exp(−r·step)) (Jang et al. 2017, §4)."""
    return max(tau_min, tau0 * math.exp(-rate * step))


class GumbelVAE(GenerativeModel):
    family = "vaevariants"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        self.N, self.K = cfg.n_vars, cfg.categories
        n_in = n_pixels(data_shape)
        self.encoder = mlp([n_in, cfg.hidden, self.N * self.K])        # logits of q(y|x): (B, N·K)
        self.decoder = mlp([self.N * self.K, cfg.hidden, n_in])        # Bernoulli logits of p(x|y)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))   # the schedule's clock (checkpointed)

    @property
    def tau(self) -> float:
        c = self.cfg
        return temperature(int(self.steps), c.tau0, c.tau_min, c.anneal_rate)

    def logits(self, x: Tensor) -> Tensor:
        """The encoder's logits of q(y_n|x): (B, N, K)."""
        return self.encoder(x.flatten(1)).view(-1, self.N, self.K)

    def decode(self, y: Tensor) -> Tensor:
        """Images in [0, 1] from codes y (B, N, K) (one-hot or relaxed)."""
        return torch.sigmoid(self.decoder(y.flatten(1))).view(y.shape[0], *self.data_shape)

    def loss(self, batch: Batch) -> dict[str, Tensor]:
        x = batch.x
        B = x.shape[0]
        logits = self.logits(x)                                          # (B, N, K)
        tau = self.tau
        y = gumbel_softmax(logits, tau, self.rand(like=logits), hard=self.cfg.hard)   # (B, N, K)
        recon = bce_with_logits_sum(self.decoder(y.flatten(1)), x.flatten(1)) / B
        kl = kl_uniform(logits).sum(1).mean()
        loss = recon + kl
        return {"loss": loss, "recon": recon.detach(), "kl": kl.detach(), "neg_elbo": loss.detach(),
                "tau": torch.tensor(tau)}

    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        out = super().train_step(batch)
        self.steps += 1
        return out

    # -- using it ---------------------------------------------------------------------------
    @torch.no_grad()
    def prior_codes(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n codes from the uniform prior: each variable a random one-hot (n, N, K)."""
        idx = torch.randint(0, self.K, (n, self.N), generator=generator).to(self.device)
        return F.one_hot(idx, self.K).float()

    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None) -> Tensor:
        return self.decode(self.prior_codes(n))

    @torch.no_grad()
    def hard_code(self, x: Tensor) -> Tensor:
        """The most likely code of each image: one_hot(argmax q(y_n|x)) (B, N, K)."""
        return F.one_hot(self.logits(x).argmax(-1), self.K).float()

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        return self.decode(self.hard_code(x))

    @torch.no_grad()
    def latents(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """q(y|x)'s probabilities, flattened (B, N·K): what the t-SNE/PCA views project."""
        return F.softmax(self.logits(x), -1).flatten(1)


def flip(code: Tensor, var: int, cat: int) -> Tensor:
    """A copy of the one-hot code (N, K) with variable ``var`` set to category ``cat``."""
    N, K = code.shape
    if not 0 <= var < N:
        raise ValueError(f"variable must be between 0 and {N - 1}; got {var}.")
    if not 0 <= cat < K:
        raise ValueError(f"category must be between 0 and {K - 1}; got {cat}.")
    out = code.clone()
    out[var] = 0
    out[var, cat] = 1
    return out
