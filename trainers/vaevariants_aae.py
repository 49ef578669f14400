"""Adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow & Frey 2015): a deterministic encoder z = q(x),
a decoder, and a discriminator on codes that matches the aggregate posterior q(z) = ∫ q(z|x) p_d(x) dx to a
chosen prior p(z) (eq. 1), trained in two phases on every minibatch (§2):

1. reconstruction: encoder and decoder minimise the reconstruction error (here the summed BCE per image);
2. regularisation: D learns to tell prior samples (positive) from codes (negative),
       L_D = −log D(z'), z' ~ p(z)  − log(1 − D(q(x)))
   then the encoder, the GAN's generator, fools it: L_G = −log D(q(x)) (non-saturating).

Priors: N(0, I); 10 Gaussians on a ring (first two dimensions); the same ring with component y for an
example of class y, the label also fed to D as a one-hot (the semi-supervised layout, §2.3, fig. 4);
a uniform square (hypercube) [−2, 2]^d.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .base import Batch, GenerativeModel, adam, finite
from .layers import bce_with_logits_sum, mlp
from .metrics import grid_2d
from .vaevariants import Config, mmd2, n_pixels

RING_COMPONENTS = 10
RING_RADIUS = 4.0
RING_STD = 0.5
UNIFORM_HALF = 2.0


def ring_means(k: int, d: int, device: torch.device | str | None = None) -> Tensor:
    """The k component means (k, d): evenly spaced on a circle of radius RING_RADIUS in the first two dimensions."""
    a = 2 * math.pi * torch.arange(k, device=device, dtype=torch.float32) / k
    m = torch.zeros(k, d, device=device)
    m[:, 0], m[:, 1] = RING_RADIUS * torch.cos(a), RING_RADIUS * torch.sin(a)
    return m


def prior_sample(prior: str, eps: Tensor, u: Tensor, comp: Tensor, k: int) -> Tensor:
    """Samples of ``prior`` from given noise: eps (n, d) ~ N(0, I), u (n, d) ~ U[0, 1), comp (n,) the ring
    component of each (drawn or the labels), k the number of ring components. Returns (n, d)."""
    if prior == "gaussian":
        return eps
    if prior == "uniform":
        return (2 * u - 1) * UNIFORM_HALF
    if prior in ("mixture", "mixture_by_label"):
        return ring_means(k, eps.shape[1], eps.device)[comp] + RING_STD * eps
    raise ValueError(f"prior (AAE) must be one of gaussian, mixture, mixture_by_label, uniform; got {prior!r}.")


class AAE(GenerativeModel):
    family = "vaevariants"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        if cfg.prior == "mixture_by_label" and num_classes < 2:
            raise ValueError("prior (AAE) mixture_by_label needs labelled data: this dataset has no labels.")
        self.by_label = cfg.prior == "mixture_by_label"
        self.k = num_classes if self.by_label else RING_COMPONENTS
        d, h, n_in = cfg.latent_dim, cfg.hidden, n_pixels(data_shape)
        self.encoder = mlp([n_in, h, d])                       # deterministic q(x)
        self.decoder = mlp([d, h, n_in])                       # Bernoulli logits
        self.D = mlp([d + (self.k if self.by_label else 0), h, h, 1], act=lambda: torch.nn.LeakyReLU(0.2))

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        lr = self.cfg.lr
        return [adam([*self.encoder.parameters(), *self.decoder.parameters()], lr=lr),    # reconstruction
                adam(self.D.parameters(), lr=lr, betas=(0.5, 0.999)),                      # regularisation: D
                adam(self.encoder.parameters(), lr=lr, betas=(0.5, 0.999))]                # regularisation: G

    # -- the pieces -------------------------------------------------------------------------
    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x.flatten(1))

    def decode(self, z: Tensor) -> Tensor:
        return torch.sigmoid(self.decoder(z)).view(z.shape[0], *self.data_shape)

    def discriminate(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """D's logit (n,) that z comes from the prior (with the class one-hot in the semi-supervised layout)."""
        if self.by_label:
            z = torch.cat([z, F.one_hot(y, self.k).float()], 1)
        return self.D(z).squeeze(1)

    def draw_prior(self, n: int, y: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
        """n samples of p(z) (for class y in the semi-supervised layout): from ``generator`` if given (views),
        else the run's generator (training)."""
        d = self.cfg.latent_dim
        if generator is None:
            eps, u = self.randn(n, d), self.rand(n, d)
            comp = y if self.by_label else self.randint(0, self.k, (n,))
        else:
            eps, u = torch.randn(n, d, generator=generator), torch.rand(n, d, generator=generator)
            comp = y if self.by_label else torch.randint(0, self.k, (n,), generator=generator)
            eps, u, comp = eps.to(self.device), u.to(self.device), None if comp is None else comp.to(self.device)
        if self.by_label and comp is None:
            comp = torch.arange(n, device=self.device) % self.k
        return prior_sample(self.cfg.prior, eps, u, comp, self.k)

    def loss(self, batch: Batch) -> dict[str, Tensor]:
        x = batch.x
        z = self.encode(x)
        recon = bce_with_logits_sum(self.decoder(z), x.flatten(1)) / x.shape[0]
        return {"loss": recon, "recon": recon.detach()}

    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        x, y = batch.x, batch.y
        B = x.shape[0]
        opt_ae, opt_d, opt_g = self.optimizers
        # 1. reconstruction phase
        recon = bce_with_logits_sum(self.decoder(self.encode(x)), x.flatten(1)) / B
        if not finite(recon):
            return {"loss": recon.detach(), "recon": recon.detach()}
        opt_ae.zero_grad(set_to_none=True)
        recon.backward()
        opt_ae.step()
        # 2a. regularisation phase, D: prior samples are "real", codes are "fake"
        z_prior = self.draw_prior(B, y)                            # (B, d)
        z = self.encode(x)                                         # (B, d)
        d_loss = F.softplus(-self.discriminate(z_prior, y)).mean() + F.softplus(self.discriminate(z.detach(), y)).mean()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        # 2b. regularisation phase, G: the encoder makes its codes look like prior samples
        g_loss = F.softplus(-self.discriminate(z, y)).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        with torch.no_grad():
            mmd = mmd2(z.detach(), z_prior)
        return {"loss": (recon + d_loss + g_loss).detach(), "recon": recon.detach(), "d_loss": d_loss.detach(),
                "g_loss": g_loss.detach(), "mmd": mmd}

    # -- using it ---------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
        """Decoded prior samples (class y, or 0, 1, …, k−1 in turn, in the semi-supervised layout)."""
        return self.decode(self.draw_prior(n, y, generator if generator is not None else torch.Generator()
                                           .manual_seed(int(torch.randint(0, 2**31 - 1, ())))))

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    @torch.no_grad()
    def latents(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.encode(x)


@torch.no_grad()
def decision_map(model: AAE, lim: tuple[float, float], n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs (n,), ys (n,), D (n, n)): σ(D(z)) over a 2-D code plane, value[i, j] at (xs[j], ys[i]); in the
    semi-supervised layout the largest over classes of σ(D(z, y)) (could z be a prior sample of some class?)."""
    xs, ys, pts = grid_2d(lim, lim, n)
    pts = pts.to(model.device)
    if model.by_label:
        labels = torch.arange(model.k, device=model.device).repeat_interleave(len(pts))      # (k·n²,)
        v = torch.sigmoid(model.discriminate(pts.repeat(model.k, 1), labels)).view(model.k, -1).amax(0)
    else:
        v = torch.sigmoid(model.discriminate(pts))
    return xs, ys, v.view(n, n).cpu().numpy()
