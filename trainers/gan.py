"""GANs: minimax, non-saturating, WGAN, WGAN-GP and hinge + spectral norm (seed 004 §2, eq. 5–6; seed 002;
Goodfellow et al. 2014, eq. 1; Arjovsky et al. 2017, eq. 3; Gulrajani et al. 2017; Miyato et al. 2018).

D outputs a logit (or a critic value) per sample; with σ the sigmoid, D(x) = σ(logit) in eq. 5.
  minimax         (eq. 5)  L_D = −log σ(D(x)) − log(1 − σ(D(G(z))))       L_G = log(1 − σ(D(G(z))))
  non-saturating           L_D as above                                    L_G = −log σ(D(G(z)))
  wgan            (eq. 6)  L_D = D(G(z)) − D(x), weights clipped to [−c, c]  L_G = −D(G(z))
  wgan-gp         (eq. 6)  L_D = D(G(z)) − D(x) + λ(‖∇D(x̂)‖₂ − 1)²         L_G = −D(G(z))
  hinge (+SN)              L_D = max(0, 1 − D(x)) + max(0, 1 + D(G(z)))   L_G = −D(G(z))
Every loss is a batch mean. Tricks of §2.2: TTUR (lr_d ≠ lr_g), n_critic D steps per G step,
feature matching, minibatch std (ProGAN), minibatch discrimination (Salimans et al.), spectral norm.
Each objective comes with its paper's optimiser settings: :func:`paper_settings`, ``Config.for_objective``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import Batch, ConfigBase, GenerativeModel, adam, finite, global_rng, param
from .gan_nets import (DCGANGenerator, MLPGenerator, StyleGenerator, apply_spectral_norm,
                       conv_discriminator, mlp_discriminator)
from .layers import conv_ok

OBJECTIVES = ("non-saturating", "minimax", "wgan", "wgan-gp", "hinge")
WASSERSTEIN = ("wgan", "wgan-gp")

# Each objective's optimiser settings, from its paper, with learning rates ×10 for the small 2D MLPs of a
# live demo (the papers train for 10⁵ steps; here a couple of thousand must do). β₂ and the optimiser
# itself follow from the objective (configure_optimizers).
_GAN = dict(lr_d=1e-3, lr_g=1e-3, beta1=0.5, n_critic=1, gp_lambda=10.0, clip=0.01)   # DCGAN: β₁ 0.5, α 2e-4 ×5
PAPER_SETTINGS: dict[str, dict[str, Any]] = {
    "non-saturating": _GAN,
    "minimax": _GAN,
    "hinge": _GAN,
    # Arjovsky et al. (2017), Alg. 1: RMSProp, α = 5e-5, c = 0.01, n_critic = 5
    "wgan": dict(lr_d=5e-4, lr_g=5e-4, beta1=0.5, n_critic=5, gp_lambda=10.0, clip=0.01),
    # Gulrajani et al. (2017), Alg. 1: Adam α = 1e-4, β = (0, 0.9), n_critic = 5; λ = 0.1, the value their
    # released code uses for 2D toy data (gan_toy.py; with λ = 10 the ring takes ~2,500 steps, not ~1,750)
    "wgan-gp": dict(lr_d=1e-3, lr_g=1e-3, beta1=0.0, n_critic=5, gp_lambda=0.1, clip=0.01),
}


def paper_settings(objective: str) -> dict[str, Any]:
    """The settings that come with ``objective`` (its paper's n_critic, optimiser and learning rates):
    ``Config(**paper_settings("wgan-gp"))``, or ``Config.for_objective("wgan-gp", hidden=64)``."""
    if objective not in PAPER_SETTINGS:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}; got {objective!r}.")
    return {"objective": objective, **PAPER_SETTINGS[objective]}


@dataclass
class Config(ConfigBase):
    objective: str = param("non-saturating", "The game: minimax and non-saturating (eq. 5), WGAN with weight "
                           "clipping, WGAN-GP (eq. 6 + gradient penalty) or hinge loss with spectral norm. "
                           "Choosing one brings its paper's D steps, optimiser and learning rates.",
                           choices=OBJECTIVES, label="objective")
    arch: str = param("mlp", "Networks: MLP (2D points or small images), DCGAN (conv + BatchNorm + LeakyReLU) "
                      "or a StyleGAN-style generator (mapping z→w, modulated convs, noise) with a DCGAN D.",
                      choices=("mlp", "dcgan", "stylegan"), label="architecture")
    z_dim: int = param(16, "Size of the noise z fed to the generator.", lo=1, hi=256, step=1, label="noise size")
    hidden: int = param(128, "Width of the MLPs' hidden layers.", lo=8, hi=1024, step=8, label="hidden units")
    width: int = param(32, "Channels of the first conv layer (DCGAN / StyleGAN).", lo=8, hi=128, step=8,
                       label="conv width")
    mapping_layers: int = param(2, "Layers of StyleGAN's mapping network z→w.", lo=1, hi=8, step=1,
                                label="mapping layers", advanced=True)
    lr_d: float = param(1e-3, "Learning rate of the discriminator / critic (TTUR: may differ from G's). Choosing "
                        "an objective sets its paper's rate scaled up, as the papers' are too slow for a live "
                        "demo: WGAN 5e-5 → 5e-4, WGAN-GP 1e-4 → 1e-3, DCGAN 2e-4 → 1e-3.",
                        lo=1e-6, hi=0.1, log=True, label="D learning rate", live=True)
    lr_g: float = param(1e-3, "Learning rate of the generator (TTUR).", lo=1e-6, hi=0.1, log=True,
                        label="G learning rate", live=True)
    beta1: float = param(0.5, "Adam's β₁ (0.5 as in DCGAN; 0 as in WGAN-GP). β₂ is 0.9 for WGAN-GP and "
                         "hinge, 0.999 otherwise; WGAN uses RMSProp (no β).", lo=0.0, hi=0.99, step=0.05,
                         label="Adam β₁", advanced=True)
    n_critic: int = param(1, "Discriminator steps per generator step (5 in WGAN and WGAN-GP, 1 otherwise).",
                          lo=1, hi=10, step=1, label="D steps per G step", live=True)
    gp_lambda: float = param(10.0, "Weight λ of the gradient penalty (WGAN-GP only): 10 in the paper, 0.1 in "
                             "its authors' code for 2D toy data (what choosing WGAN-GP sets).", lo=0.0, hi=100.0,
                             step=0.5, label="GP λ", live=True)
    clip: float = param(0.01, "Weight clipping bound c (WGAN only): every D weight is kept in [−c, c].",
                        lo=1e-4, hi=1.0, log=True, label="clip c", live=True)
    spectral_norm: bool = param(False, "Spectral normalisation of every D layer (always on for hinge).",
                                label="spectral norm")
    feature_matching: bool = param(False, "G matches the mean of D's features on real data instead of "
                                   "fooling D (Salimans et al., 2016).", label="feature matching", live=True)
    minibatch_std: bool = param(False, "ProGAN's minibatch standard deviation (Karras et al., 2018): D also "
                                "sees the std of its features across the batch, so a collapsed G is easy to spot.",
                                label="minibatch std (ProGAN)")
    minibatch_disc: bool = param(False, "Minibatch discrimination (Salimans et al., 2016): D compares each "
                                 "sample's features with the rest of its batch through a learnt tensor T and "
                                 "sees how close the others are (Σ exp(−L1 distance)).",
                                 label="minibatch discrimination")
    batch_size: int = param(128, "Real samples per step (and as many fakes).", lo=2, hi=2048, step=1,
                            label="batch size", live=True)
    seed: int = param(0, "Random seed: same seed, same run.", lo=0, hi=2**31 - 1, step=1)

    def validate(self) -> None:
        if self.objective == "wgan" and self.spectral_norm:
            raise ValueError("WGAN already bounds D by clipping its weights; turn spectral norm off "
                             "(or choose hinge, which uses it).")
        if self.objective == "wgan-gp" and (self.minibatch_std or self.minibatch_disc):
            raise ValueError("WGAN-GP's gradient penalty asks each sample's own gradient ‖∇D(x̂)‖ to be 1, "
                             "but with minibatch std or minibatch discrimination D(x̂) depends on the whole "
                             "batch, so there is no per-sample gradient to penalise (the reason WGAN-GP drops "
                             "BatchNorm); turn them off, or choose another objective.")

    @classmethod
    def for_objective(cls, objective: str, **overrides: Any) -> "Config":
        """A Config with ``objective``'s paper settings (see :func:`paper_settings`), then ``overrides``."""
        return cls(**{**paper_settings(objective), **overrides})


def gradient_penalty(D: nn.Module, real: Tensor, fake: Tensor, eps: Tensor | None = None) -> Tensor:
    """(‖∇_x̂ D(x̂)‖₂ − 1)² per sample, x̂ = ε x + (1 − ε) x̃, ε ~ U[0, 1] (Gulrajani et al., 2017, Alg. 1).

    Returns (B,); ``create_graph`` so the penalty itself can be minimised by D.
    """
    B = real.shape[0]
    if eps is None:
        eps = torch.rand(B, *[1] * (real.dim() - 1), device=real.device)         # (B, 1, ...)
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)         # (B, ...)
    d_hat = D(x_hat)                                                               # (B,)
    (grad,) = torch.autograd.grad(d_hat.sum(), x_hat, create_graph=True)          # (B, ...)
    return (grad.flatten(1).norm(2, dim=1) - 1).pow(2)                            # (B,)


def grad_norm(module: nn.Module) -> Tensor:
    """‖∇θ‖₂ over all of a module's parameters (after backward): a curve that shows vanishing/exploding."""
    norms = [p.grad.detach().norm(2) for p in module.parameters() if p.grad is not None]
    return torch.stack(norms).norm(2) if norms else torch.zeros(())


class Model(GenerativeModel):
    family = "gan"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        self.points = len(data_shape) == 1
        if cfg.arch != "mlp":
            if self.points:
                raise ValueError(f"The {cfg.arch} architecture is for images; choose mlp for 2D points.")
            if not conv_ok(self.data_shape):
                raise ValueError(f"The {cfg.arch} architecture needs images whose sides divide by 4; "
                                 f"got {data_shape}.")
        # 1. the generator G: z (B, z_dim) -> x (B, *data_shape)
        if cfg.arch == "mlp":
            self.G = MLPGenerator(cfg.z_dim, self.data_shape, cfg.hidden, images=not self.points)
        elif cfg.arch == "dcgan":
            self.G = DCGANGenerator(cfg.z_dim, self.data_shape, cfg.width)
        else:
            self.G = StyleGenerator(cfg.z_dim, self.data_shape, cfg.width, cfg.mapping_layers)
        # 2. the discriminator / critic D: x -> (B,) logits or critic values
        sn = cfg.spectral_norm or cfg.objective == "hinge"
        if cfg.arch == "mlp":
            self.D = mlp_discriminator(self.data_shape, cfg.hidden, cfg.minibatch_std, cfg.minibatch_disc)
        else:
            bn = cfg.objective in ("minimax", "non-saturating", "wgan") and not sn
            self.D = conv_discriminator(self.data_shape, cfg.width, cfg.minibatch_std, norm=bn,
                                        mbdisc=cfg.minibatch_disc)
        if sn:
            apply_spectral_norm(self.D)
        self.spectral = sn
        # fixed noise, so frames of the sample grid are comparable (a buffer: saved with the weights)
        g = torch.Generator().manual_seed(1234)
        self.register_buffer("z_fixed", torch.randn(64, cfg.z_dim, generator=g))

    # -- optimizers: one per player (TTUR) ------------------------------------------------
    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        cfg = self.cfg
        if cfg.objective == "wgan":
            # WGAN's Algorithm 1 uses RMSProp: momentum makes weight-clipped critics unstable (Arjovsky et al. §4)
            return [torch.optim.RMSprop(self.D.parameters(), lr=cfg.lr_d),
                    torch.optim.RMSprop(self.G.parameters(), lr=cfg.lr_g)]
        beta2 = 0.9 if cfg.objective in ("wgan-gp", "hinge") else 0.999
        return [adam(self.D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, beta2)),
                adam(self.G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, beta2))]

    def apply_config(self, cfg: Config) -> None:
        """New live settings between Train presses: each player's learning rate goes to its own optimizer."""
        self.cfg = cfg
        for opt, lr in zip(self.optimizers, (cfg.lr_d, cfg.lr_g)):
            for group in opt.param_groups:
                group["lr"] = lr

    def noise(self, n: int) -> Tensor:
        """z ~ N(0, I): from the run's generator while training, torch's global one (locked) in views."""
        if self.training:
            return self.randn(n, self.cfg.z_dim)
        with global_rng():                      # a view: the same z each time, nobody else's draws disturbed
            return torch.randn(n, self.cfg.z_dim, device=self.device)

    def generate(self, z: Tensor) -> Tensor:
        """G(z); StyleGAN's per-pixel noise comes from the run's generator while training."""
        if isinstance(self.G, StyleGenerator) and self.training:
            return self.G(z, generator=self.rng)
        return self.G(z)

    # -- the two losses -----------------------------------------------------------------------
    def d_loss(self, d_real: Tensor, d_fake: Tensor) -> Tensor:
        """The discriminator's / critic's loss from its outputs on real (B,) and fake (B,) samples."""
        obj = self.cfg.objective
        if obj in ("minimax", "non-saturating"):
            # −log σ(a) = softplus(−a), −log(1 − σ(a)) = softplus(a): exact, no log(0)
            return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        if obj == "hinge":
            return F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        return d_fake.mean() - d_real.mean()                      # wgan, wgan-gp: −(eq. 6)

    def g_loss(self, d_fake: Tensor) -> Tensor:
        obj = self.cfg.objective
        if obj == "minimax":
            return -F.softplus(d_fake).mean()                     # log(1 − σ(a)): saturates when D wins
        if obj == "non-saturating":
            return F.softplus(-d_fake).mean()                     # −log σ(a)
        return -d_fake.mean()                                     # wgan, wgan-gp, hinge

    def feature_matching_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        """‖E f(x) − E f(G(z))‖² over D's last hidden features f (Salimans et al., 2016, §3.1)."""
        with torch.no_grad():
            f_real = self.D.features(real).mean(0)                # (F,)
        return (f_real - self.D.features(fake).mean(0)).pow(2).sum()

    def d_accuracy(self, d_real: Tensor, d_fake: Tensor) -> Tensor:
        """Share of real scored above, and fake below, the threshold (0 for logits; the midpoint of the
        two means for a critic, whose values have no fixed zero)."""
        t = 0.5 * (d_real.mean() + d_fake.mean()) if self.cfg.objective in WASSERSTEIN else 0.0
        return 0.5 * ((d_real > t).float().mean() + (d_fake < t).float().mean())

    # -- one round of the game ----------------------------------------------------------------
    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        cfg = self.cfg
        real = batch.x                                            # (B, *data_shape)
        B = real.shape[0]
        opt_d, opt_g = self.optimizers
        out: dict[str, Tensor] = {}
        # 1. n_critic steps of D on this real batch, a fresh z each time (G frozen: fakes detached)
        for _ in range(cfg.n_critic):
            with torch.no_grad():
                fake = self.generate(self.noise(B))               # (B, *data_shape)
            d_real, d_fake = self.D(real), self.D(fake)           # (B,), (B,)
            d_loss = self.d_loss(d_real, d_fake)
            if cfg.objective == "wgan-gp":
                eps = self.rand(real.shape[0], *[1] * (real.dim() - 1))
                gp = gradient_penalty(self.D, real, fake, eps).mean()
                d_loss = d_loss + cfg.gp_lambda * gp
                out["gp"] = gp.detach()
            if not finite(d_loss):
                return {"loss": d_loss.detach(), "d_loss": d_loss.detach()}   # no step: the loop restores
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            out["grad_norm_d"] = grad_norm(self.D)
            opt_d.step()
            if cfg.objective == "wgan":
                with torch.no_grad():                             # a compact set: K-Lipschitz for some K, not 1
                    for p in self.D.parameters():
                        p.clamp_(-cfg.clip, cfg.clip)
        out["d_acc"] = self.d_accuracy(d_real.detach(), d_fake.detach())
        if cfg.objective in WASSERSTEIN:
            out["wasserstein"] = (d_real.mean() - d_fake.mean()).detach()     # the critic's estimate of W
        # 2. one step of G through a frozen D (no wasted gradients for D's weights)
        self.D.requires_grad_(False)
        try:
            fake = self.generate(self.noise(B))
            if cfg.feature_matching:
                g_loss = self.feature_matching_loss(real, fake)
            else:
                g_loss = self.g_loss(self.D(fake))
            if not finite(g_loss):
                return {"loss": g_loss.detach(), "d_loss": d_loss.detach(), "g_loss": g_loss.detach()}
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            out["grad_norm_g"] = grad_norm(self.G)
            opt_g.step()
        finally:
            self.D.requires_grad_(True)
        total = (d_loss + g_loss).detach()
        out.update(loss=total, total=total, d_loss=d_loss.detach(), g_loss=g_loss.detach())
        return out

    def loss(self, batch: Batch) -> dict[str, Tensor]:
        """Both losses on one batch without stepping (held-out evaluation)."""
        real = batch.x
        fake = self.generate(self.noise(real.shape[0]))
        d_real, d_fake = self.D(real), self.D(fake)
        d_loss, g_loss = self.d_loss(d_real, d_fake), self.g_loss(d_fake)
        return {"loss": d_loss + g_loss, "total": (d_loss + g_loss).detach(), "d_loss": d_loss.detach(),
                "g_loss": g_loss.detach(), "d_acc": self.d_accuracy(d_real, d_fake)}

    # -- using the model --------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None, z: Tensor | None = None) -> Tensor:
        """n samples G(z): points (n, 2) or images (n, C, H, W) in [0, 1]."""
        z = self.noise(n) if z is None else z.to(self.device)
        with global_rng(0):                     # StyleGAN's per-pixel noise: the same at every redraw
            return self.G(z)

    @torch.no_grad()
    def sample_fixed(self, n: int = 64) -> Tensor:
        """G on the same noise every time: frames of a grid are comparable across training."""
        with global_rng(0):
            return self.G(self.z_fixed[:n])

