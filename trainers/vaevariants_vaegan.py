"""VAE-GAN (Larsen, Sønderby, Larochelle & Winther 2016, "Autoencoding beyond pixels using a learned similarity
metric"), with an MLP encoder/decoder identical to the VAE tab's and an MLP discriminator.

    L_prior   = KL(q(z|x) ‖ N(0, I))                                                       (eq. 7)
    L_llike   = −E_q[log N(Dis_l(x) | Dis_l(Dec(z)), σ²I)] = ‖Dis_l(x) − Dis_l(x̃)‖² / 2σ² + const  (eq. 8)
    L_GAN     = log Dis(x) + log(1 − Dis(Dec(z))) + log(1 − Dis(Dec(z_p))),  z_p ~ N(0, I)  (eq. 9)
Updates (Alg. 1): θ_Enc by ∇(L_prior + L_llike); θ_Dec by ∇(γ·L_llike − L_GAN); θ_Dis by ∇(−L_GAN) (D ascends
L_GAN). As usual the decoder's −L_GAN is taken non-saturating: −log Dis(x̃) − log Dis(x_p). Batch means.
The paper writes σ = 1; with this small MLP discriminator, σ = 1 makes the feature-space term too weak against
the KL and the code collapses (KL → 0 within a few hundred steps on digits), so σ is a setting (default 0.1).

One discriminator pass sees the whole batch [x; x̃; x_p] (real, reconstructed, prior-sampled; see
:func:`d_batch`): its logits give D's and G's GAN terms, its l-th layer features the reconstruction term.
An optional plain VAE twin (``trainers.vae.Model``, the same architecture) trains on the same batches.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import vae
from .base import Batch, GenerativeModel, adam, finite
from .vae import kl_normal, reparameterize
from .vaevariants import Config, n_pixels

REAL, RECON, PRIOR = 0, 1, 2     # the three kinds of image the discriminator sees


class Discriminator(nn.Module):
    """x (B, *shape) -> (logit (B,), features of hidden layer l (B, hidden)): two LeakyReLU layers."""

    def __init__(self, n_in: int, hidden: int, layer: int) -> None:
        super().__init__()
        self.l1, self.l2, self.out = nn.Linear(n_in, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 1)
        self.layer = layer

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h1 = F.leaky_relu(self.l1(x.flatten(1)), 0.2)
        h2 = F.leaky_relu(self.l2(h1), 0.2)
        return self.out(h2).squeeze(1), (h1 if self.layer == 1 else h2)


def d_batch(x: Tensor, x_rec: Tensor, x_prior: Tensor) -> tuple[Tensor, Tensor]:
    """The discriminator's batch: real, reconstructed and prior-sampled images stacked (3B, ...), and the kind
    of each row (3B,): REAL, RECON or PRIOR."""
    kinds = torch.cat([torch.full((t.shape[0],), k, dtype=torch.long, device=x.device)
                       for k, t in ((REAL, x), (RECON, x_rec), (PRIOR, x_prior))])
    return torch.cat([x, x_rec, x_prior]), kinds


def vaegan_losses(logits: Tensor, feats: Tensor, kinds: Tensor, mu: Tensor, logvar: Tensor,
                  sigma: float = 1.0) -> dict[str, Tensor]:
    """Every term of Larsen et al.'s objective from one discriminator pass over :func:`d_batch`'s images."""
    real, rec, pri = (kinds == REAL), (kinds == RECON), (kinds == PRIOR)
    kl = kl_normal(mu, logvar).sum(1).mean()                                    # L_prior (eq. 7)
    llike = (feats[rec] - feats[real].detach()).pow(2).sum(1).mean() / (2 * sigma ** 2)   # L_llike^Dis_l (eq. 8)
    # −L_GAN for D: −log σ(a) = softplus(−a), −log(1 − σ(a)) = softplus(a)
    d_loss = F.softplus(-logits[real]).mean() + F.softplus(logits[rec]).mean() + F.softplus(logits[pri]).mean()
    g_loss = F.softplus(-logits[rec]).mean() + F.softplus(-logits[pri]).mean()  # non-saturating −L_GAN for Dec
    return {"kl": kl, "llike": llike, "d_loss": d_loss, "g_loss": g_loss}


class VAEGAN(GenerativeModel):
    family = "vaevariants"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        vcfg = vae.Config(latent_dim=cfg.latent_dim, hidden=cfg.hidden, lr=cfg.lr, batch_size=cfg.batch_size,
                          seed=cfg.seed)
        self.vae = vae.Model(vcfg, data_shape)        # VAE-GAN's encoder and decoder: the VAE tab's MLPs
        self.D = Discriminator(n_pixels(data_shape), cfg.hidden, cfg.feature_layer)
        self.twin = vae.Model(vcfg, data_shape) if cfg.twin else None     # the plain VAE beside it
        g = torch.Generator().manual_seed(1234)
        self.register_buffer("z_fixed", torch.randn(64, cfg.latent_dim, generator=g))

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        lr = self.cfg.lr
        opts = [adam(self.vae.encoder.parameters(), lr=lr), adam(self.vae.decoder.parameters(), lr=lr),
                adam(self.D.parameters(), lr=lr, betas=(0.5, 0.999))]
        if self.twin is not None:
            opts.append(adam(self.twin.parameters(), lr=lr))
        return opts

    # -- the pieces -------------------------------------------------------------------------
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.vae.encode(x)

    def decode(self, z: Tensor) -> Tensor:
        return torch.sigmoid(self.vae.decode_logits(z))

    def forward_batch(self, x: Tensor) -> dict[str, Tensor]:
        """One forward pass of Alg. 1: z from q(z|x), z_p from the prior (the run's generator, in that order),
        both decoded, and the discriminator over [x; x̃; x_p]."""
        mu, logvar = self.encode(x)                                 # (B, d) each
        z = reparameterize(mu, logvar, self.randn(like=mu))         # (B, d)
        z_p = self.randn(like=mu)                                   # (B, d)
        images, kinds = d_batch(x, self.decode(z), self.decode(z_p))     # (3B, ...), (3B,)
        logits, feats = self.D(images)                              # (3B,), (3B, hidden)
        return {"mu": mu, "logvar": logvar, "images": images, "kinds": kinds, "logits": logits, "feats": feats}

    def loss(self, batch: Batch) -> dict[str, Tensor]:
        f = self.forward_batch(batch.x)
        t = vaegan_losses(f["logits"], f["feats"], f["kinds"], f["mu"], f["logvar"], self.cfg.feature_sigma)
        t["loss"] = t["kl"] + t["llike"] + t["d_loss"] + t["g_loss"]
        return t

    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        cfg = self.cfg
        f = self.forward_batch(batch.x)
        t = vaegan_losses(f["logits"], f["feats"], f["kinds"], f["mu"], f["logvar"], self.cfg.feature_sigma)
        total = t["kl"] + t["llike"] + t["d_loss"] + t["g_loss"]
        out = {k: v.detach() for k, v in t.items()}
        out["loss"] = total.detach()
        if not finite(total):
            return out                                              # no step: the loop restores
        # each player's gradient of its own loss (Alg. 1), from the same forward pass
        players = [(self.vae.encoder, t["kl"] + t["llike"]),
                   (self.vae.decoder, cfg.gamma * t["llike"] + t["g_loss"]),
                   (self.D, t["d_loss"])]
        grads = []
        for i, (net, obj) in enumerate(players):
            params = list(net.parameters())
            grads.append((params, torch.autograd.grad(obj, params, retain_graph=i < len(players) - 1)))
        for opt, (params, gs) in zip(self.optimizers, grads):
            for p, g in zip(params, gs):
                p.grad = g
            opt.step()
        kinds, logits = f["kinds"], f["logits"].detach()
        for name, k in (("d_real", REAL), ("d_recon", RECON), ("d_prior", PRIOR)):
            out[name] = torch.sigmoid(logits[kinds == k]).mean()     # D's mean belief "real" per kind
        if self.twin is not None:
            self.twin.rng = self.rng                                # the twin's noise: the run's generator too
            tw = self.twin.loss(batch)
            opt = self.optimizers[3]
            opt.zero_grad(set_to_none=True)
            tw["loss"].backward()
            opt.step()
            out["twin_neg_elbo"] = tw["neg_elbo"]
        return out

    def apply_config(self, cfg: Config) -> None:
        super().apply_config(cfg)
        if self.twin is not None:
            self.twin.cfg = vae.Config(**{**self.twin.cfg.to_dict(), "lr": cfg.lr, "batch_size": cfg.batch_size})

    # -- using it ---------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None) -> Tensor:
        return self.decode(torch.randn(n, self.cfg.latent_dim, device=self.device))

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x)[0])

    @torch.no_grad()
    def latents(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The posterior means μ(x) (what the t-SNE/PCA views project)."""
        return self.encode(x)[0]
