"""VAE, β-VAE, KL warm-up and conditional VAE (seeds 000 §1.2–1.3.1, 001, 002, 004 §1.2–1.4;
Kingma & Welling 2014, eq. 3 and 10; Higgins et al. 2017; Sohn et al. 2015).

Loss per image (seed 004, eq. 2 and 4; seed 000, eq. 10):
    L = E_q[-log p(x|z)] + β_t · KL(q(z|x) ‖ N(0, I)),   β_t = β · min(1, epoch / warmup)   (listing 1)
By default the CVAE keeps the prior N(0, I) for every label (``prior="learned"``: a network p(z|y), whose KL
replaces KL(q ‖ N(0, I)); trainers/vae_priors.py). In MSE mode −log p(x|z) is ½‖x − x̂‖², a Gaussian with
σ = 1 without its constant D/2·log 2π (so "neg_elbo" is the −ELBO up to that constant), unless
``gaussian="unit"`` (σ = 1) or ``"learned"`` (one learned σ): then the full −log N(x; x̂, σ²I), so "neg_elbo" is exact.
The optimiser sees the sum over the batch, exactly as pytorch/examples' vae/main.py, so the
numerics match the plain recipe; the curves show per-image values (sum / batch size).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import Batch, ConfigBase, GenerativeModel, global_rng, param
from .layers import ConvDecoder, ConvEncoder, bce_with_logits_sum, conv_ok, mlp
from .vae_priors import SIGMA_SPEED, ConditionalPrior, gaussian_nll_sum, kl_gaussians


@dataclass
class Config(ConfigBase):
    beta: float = param(1.0, "Weight β of the KL term: 1 is the plain VAE, >1 a β-VAE (eq. 10).",
                        lo=0.0, hi=100.0, step=0.1, label="β", live=True)
    warmup_epochs: int = param(0, "KL warm-up: β grows linearly from 0 over this many epochs (listing 1); 0 = off.",
                               lo=0, hi=100, step=1, label="KL warm-up epochs", live=True)
    conditional: bool = param(False, "Conditional VAE: encoder and decoder also see the one-hot label.",
                              label="conditional (CVAE)")
    recon: str = param("bce", "Reconstruction loss: BCE (Bernoulli pixels) or MSE (½‖x − x̂‖²: a Gaussian with σ = 1, "
                       "without its constant D/2·log 2π).",
                       choices=("bce", "mse"), label="reconstruction loss")
    latent_dim: int = param(8, "Size of the latent code z.", lo=2, hi=64, step=1, label="latent size")
    arch: str = param("mlp", "Encoder/decoder: an MLP or a small conv net.", choices=("mlp", "conv"),
                      label="architecture")
    hidden: int = param(400, "Width of the MLP's hidden layer.", lo=16, hi=2048, step=16, label="hidden units")
    lr: float = param(1e-3, "Adam learning rate.", lo=1e-5, hi=1.0, log=True, label="learning rate", live=True)
    batch_size: int = param(128, "Images per step.", lo=1, hi=4096, step=1, label="batch size", live=True)
    seed: int = param(0, "Random seed: same seed, same run.", lo=0, hi=2**31 - 1, step=1)
    prior: str = param("standard", "The CVAE's prior p(z|y): N(0, I) for every label (standard), or a small "
                       "network y -> (μ_p, log σ²_p) trained with the rest (learned; needs the conditional VAE).",
                       choices=("standard", "learned"), label="prior p(z|y)")
    gaussian: str = param("mse", "With the MSE (Gaussian) reconstruction loss: mse = ½‖x − x̂‖² (σ = 1, constant "
                          "dropped); unit = the full −log N(x; x̂, I); learned = the full −log N(x; x̂, σ²I) with one "
                          "learned σ for all pixels. The last two make −ELBO exact, in nats.",
                          choices=("mse", "unit", "learned"), label="Gaussian decoder σ")

    def validate(self) -> None:
        if self.prior == "learned" and not self.conditional:
            raise ValueError("prior p(z|y) 'learned' is the conditional VAE's prior: tick conditional (CVAE), "
                             "or set the prior to 'standard'.")
        if self.gaussian != "mse" and self.recon != "mse":
            raise ValueError(f"Gaussian decoder σ {self.gaussian!r} needs reconstruction loss 'mse' (the Gaussian "
                             f"decoder); got {self.recon!r}. Set it to 'mse', or the σ back to 'mse'.")


def kl_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, σ²) ‖ N(0, 1)) per dimension, closed form (seed 004, eq. 4): (B, d)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def reparameterize(mu: Tensor, logvar: Tensor, eps: Tensor | None = None) -> Tensor:
    """z = μ + σ ⊙ ε, ε ~ N(0, I) (seed 004, eq. 3): the noise is outside the graph."""
    return mu + torch.exp(0.5 * logvar) * (torch.randn_like(mu) if eps is None else eps)


def warmup_beta(beta: float, epoch: int, warmup_epochs: int) -> float:
    """β_t = β · min(1, epoch / warmup) (seed 004, listing 1); β itself when warm-up is off."""
    if warmup_epochs <= 0:
        return beta
    return beta * min(1.0, epoch / warmup_epochs)


# -- latent codes for the views: what to decode to see the latent space ------------------------------------
def prior_codes(model: Model, n: int, seed: int = 0, y: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    """``n`` draws z ~ p(z) = N(0, I) (seed 000 §1.2.2; seed 001: z ~ N(0, I)): z (n, d) on the model's device,
    and for a conditional VAE the labels 0, 1, …, C−1, 0, 1, … (n,) so every class shows up (or ``y`` when given);
    None otherwise. With a learned prior (trainers/vae_priors.py) z = μ_p(y) + σ_p(y) ε, a draw from p(z|y)."""
    with global_rng(seed):                  # the same draws at every redraw; nobody else's RNG disturbed
        z = torch.randn(n, model.cfg.latent_dim, device=model.device)                   # (n, d)
    if y is None:                           # (n,) labels given, or every class in turn
        y = torch.arange(n, device=model.device) % model.n_cond if model.n_cond else None
    if getattr(model, "prior_net", None) is not None:             # learned p(z|y): z = μ_p(y) + σ_p(y) ε
        mu_p, logvar_p = model.prior_net(model._onehot(y, n, model.device))
        z = mu_p + torch.exp(0.5 * logvar_p) * z
    return z, y


def traversal_codes(mu_i: Tensor, dims: Tensor, values: Tensor) -> Tensor:
    """Latent traversal (seed 000 §1.3.1, definition 1.4; Higgins et al. 2017, β-VAE): from one code μ_i (d,),
    one row per dimension in ``dims`` (r,), which takes each of ``values`` (v,) in turn while the other
    dimensions stay at μ_i. Returns (r·v, d), row-major: row k is dims[k], column j is values[j]."""
    r, v = len(dims), len(values)
    z = mu_i.repeat(r * v, 1)                                   # (r·v, d)
    for k, d in enumerate(dims):
        z[k * v:(k + 1) * v, d] = values
    return z


def interpolation_codes(mu_a: Tensor, mu_b: Tensor, n: int) -> tuple[Tensor, Tensor]:
    """``n`` evenly spaced points on the straight line from μ_a to μ_b (d,) each (seed 002: a smooth latent space
    is what makes interpolation meaningful): z_j = (1 − t_j) μ_a + t_j μ_b, t_j = j / (n − 1).
    Returns z (n, d) and t (n,), so a caller can tell which end each point is nearer."""
    t = torch.linspace(0, 1, n, device=mu_a.device)             # (n,)
    z = (1 - t[:, None]) * mu_a + t[:, None] * mu_b             # (n, d)
    return z, t


def manifold_codes(n: int = 15, device: torch.device | str | None = None,
                   lo: float = 0.04, hi: float = 0.96) -> Tensor:
    """The learnt 2-D manifold (Kingma & Welling 2014, fig. 4): an n×n grid of z at the Gaussian quantiles
    q_k = Φ⁻¹(p_k), p evenly spaced on [lo, hi], so each cell covers equal prior mass. Returns (n², 2), row-major
    as an image: entry (row i, column j) is z = (q_j, q_{n−1−i}), z₁ growing rightwards and z₂ upwards."""
    q = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(lo, hi, n))   # (n,) ascending
    return torch.cartesian_prod(q.flip(0), q)[:, [1, 0]].to(device)            # (n², 2)


class Model(GenerativeModel):
    family = "vae"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        if cfg.conditional and num_classes < 2:
            raise ValueError("A conditional VAE needs labelled data: this dataset has no labels.")
        self.n_cond = num_classes if cfg.conditional else 0
        d = cfg.latent_dim
        self.n_in = math.prod(data_shape)
        if cfg.arch == "conv":
            if not conv_ok(self.data_shape):
                raise ValueError(f"The conv architecture needs images whose sides divide by 4; got {data_shape}.")
            self.encoder = ConvEncoder(self.data_shape, 2 * d, extra_in=self.n_cond)
            self.decoder = ConvDecoder(d + self.n_cond, self.data_shape)
        else:
            self.encoder = mlp([self.n_in + self.n_cond, cfg.hidden, 2 * d])
            self.decoder = mlp([d + self.n_cond, cfg.hidden, self.n_in])
        self.beta_now = warmup_beta(cfg.beta, 0, cfg.warmup_epochs)
        # issue 12 options (trainers/vae_priors.py); absent by default, so the default model is unchanged
        self.prior_net = ConditionalPrior(self.n_cond, d) if cfg.prior == "learned" else None
        self.sigma_raw = nn.Parameter(torch.zeros(())) if cfg.gaussian == "learned" else None

    def log_sigma(self) -> Tensor:
        """log σ of the Gaussian decoder: learned (one for all pixels), else 0 (σ = 1)."""
        if self.sigma_raw is None:
            return torch.zeros((), device=self.device)
        return SIGMA_SPEED * self.sigma_raw

    def kl_terms(self, mu: Tensor, logvar: Tensor, y: Tensor | None = None) -> Tensor:
        """KL(q(z|x) ‖ p(z[|y])) per dimension (B, d): to N(0, I), or to the learned N(μ_p(y), σ_p²(y))."""
        if self.prior_net is None:
            return kl_normal(mu, logvar)
        mu_p, logvar_p = self.prior_net(self._onehot(y, mu.shape[0], mu.device))
        return kl_gaussians(mu, logvar, mu_p, logvar_p)

    # q(z|x[, y]) -> (mu, logvar), each (B, d)
    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        c = self._onehot(y, x.shape[0], x.device)
        if self.cfg.arch == "conv":
            h = self.encoder(x, c)
        else:
            h = x.flatten(1)
            h = self.encoder(h if c is None else torch.cat([h, c], 1))
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar

    # p(x|z[, y]) -> logits (BCE) or means (MSE), shaped like the data
    def decode_logits(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        c = self._onehot(y, z.shape[0], z.device)
        out = self.decoder(z if c is None else torch.cat([z, c], 1))
        return out.view(z.shape[0], *self.data_shape)

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Images in [0, 1]: the Bernoulli means (BCE) or the clamped Gaussian means (MSE)."""
        out = self.decode_logits(z, y)
        return torch.sigmoid(out) if self.cfg.recon == "bce" else out.clamp(0, 1)

    def _onehot(self, y: Tensor | None, n: int, device: torch.device) -> Tensor | None:
        if not self.n_cond:
            return None
        if y is None:
            y = torch.zeros(n, dtype=torch.long, device=device)
        return F.one_hot(y, self.n_cond).float()

    def on_epoch_start(self, epoch: int) -> None:
        self.beta_now = warmup_beta(self.cfg.beta, epoch, self.cfg.warmup_epochs)

    def loss(self, batch: Batch) -> dict[str, Tensor]:
        x, y = batch.x, batch.y
        B = x.shape[0]
        mu, logvar = self.encode(x, y)                      # (B, d) each
        z = reparameterize(mu, logvar, self.randn(like=mu))  # (B, d)
        out = self.decode_logits(z, y)                      # (B, *data_shape)
        if self.cfg.recon == "bce":
            # BCE on logits: the same value as sigmoid + BCE, without its log(0) clamp
            recon = bce_with_logits_sum(out, x)
        else:
            # −log N(x; out, I) − D/2·log 2π per image: σ = 1, the constant left out (the tab says so)
            recon = 0.5 * F.mse_loss(out, x, reduction="sum") if self.cfg.gaussian == "mse" else \
                gaussian_nll_sum(out, x, self.log_sigma())  # −log N(x; out, σ²I), constant included
        kl_dims = self.kl_terms(mu, logvar, y)              # (B, d)
        kl = kl_dims.sum()
        loss = recon + self.beta_now * kl                   # summed over the batch, as the plain recipe
        return {"loss": loss,
                "total": loss.detach() / B, "recon": recon.detach() / B, "kl": kl.detach() / B,
                "neg_elbo": (recon + kl).detach() / B, "beta": torch.tensor(self.beta_now),
                "kl_per_dim": kl_dims.detach().mean(0),
                **({"sigma": self.log_sigma().detach().exp()} if self.sigma_raw is not None else {})}

    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None) -> Tensor:
        z, y_prior = prior_codes(self, n, y=y)       # with a learned prior, z ~ p(z | the labels asked for)
        return self.decode(z, y_prior if y is None else y)

    @torch.no_grad()
    def reconstruct(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        mu, _ = self.encode(x, y)
        return self.decode(mu, y)

    @torch.no_grad()
    def latents(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The posterior means μ(x): what the t-SNE/PCA views project."""
        return self.encode(x, y)[0]

    @torch.no_grad()
    def test_loss(self, x: Tensor, y: Tensor | None = None, batch_size: int = 1000) -> dict[str, float]:
        """Negative ELBO per image on held-out data (one z sample per image, as pytorch/examples)."""
        x, y = self.here(x, y)                          # held-out data may be given on the CPU
        tot = {"recon": 0.0, "kl": 0.0}
        # the z samples come from torch's global generator, not the run's: a held-out check must not
        # change the noise the next training steps draw
        rng, self.rng = self.rng, None
        try:
            for i in range(0, x.shape[0], batch_size):
                xb = x[i:i + batch_size]
                yb = None if y is None else y[i:i + batch_size]
                out = self.loss(Batch(xb, yb))
                tot["recon"] += float(out["recon"]) * xb.shape[0]
                tot["kl"] += float(out["kl"]) * xb.shape[0]
        finally:
            self.rng = rng
        n = x.shape[0]
        return {"recon": tot["recon"] / n, "kl": tot["kl"] / n, "neg_elbo": (tot["recon"] + tot["kl"]) / n}
