"""VAE variants (issue #12, items 1–3; seed 002 §"VAE 的变体" 3–5: Larsen et al. 2016,
Makhzani et al. 2015, Jang et al. 2017): one family, three models chosen by ``variant``.

* ``vae-gan``  VAE-GAN (Larsen et al. 2016): the reconstruction term is measured in the discriminator's
  l-th layer, and the GAN game is played on reconstructions and prior samples (``vaevariants_vaegan``).
* ``aae``      Adversarial autoencoder (Makhzani et al. 2015): a deterministic encoder whose aggregate
  posterior q(z) is matched to a chosen prior by a discriminator on codes (``vaevariants_aae``).
* ``gumbel``   Discrete VAE with Gumbel-softmax (Jang et al. 2017; Maddison et al. 2017): N categorical
  variables of K categories, relaxed with temperature τ (``vaevariants_gumbel``).

The settings are one flat Config (the form shows them all; each help text says which variant uses it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .base import ConfigBase, GenerativeModel, param

VARIANTS = ("vae-gan", "aae", "gumbel")
PRIORS = ("gaussian", "mixture", "mixture_by_label", "uniform")


@dataclass
class Config(ConfigBase):
    variant: str = param("vae-gan", "Which model: VAE-GAN (Larsen et al. 2016), adversarial autoencoder (Makhzani "
                         "et al. 2015) or discrete VAE with Gumbel-softmax (Jang et al. 2017).",
                         choices=VARIANTS, label="variant")
    latent_dim: int = param(8, "Size of the continuous code z (VAE-GAN, AAE); 2 shows the AAE's code plane.",
                            lo=2, hi=64, step=1, label="latent size")
    hidden: int = param(256, "Width of the hidden layer of every MLP (encoder, decoder, discriminator).",
                        lo=16, hi=2048, step=16, label="hidden units", advanced=True)
    gamma: float = param(0.02, "VAE-GAN: weight γ of the feature-space reconstruction in the decoder's loss "
                         "γ·L_llike − L_GAN (Larsen et al. 2016, eq. 9 and Alg. 1).",
                         lo=0.0, hi=100.0, step=0.01, label="γ (VAE-GAN)", live=True)
    feature_layer: int = param(1, "VAE-GAN: the discriminator layer l whose features measure the reconstruction "
                               "(1 = first hidden layer, 2 = second).", lo=1, hi=2, step=1,
                               label="feature layer l (VAE-GAN)", advanced=True)
    feature_sigma: float = param(0.1, "VAE-GAN: σ of the Gaussian p(Dis_l(x) | z) = N(Dis_l(x̃), σ²I) in feature space: "
                                 "L_llike = ‖Dis_l(x) − Dis_l(x̃)‖² / 2σ². Large σ makes the code worth little against "
                                 "the KL (posterior collapse).", lo=0.01, hi=10.0, log=True,
                                 label="feature σ (VAE-GAN)", advanced=True)
    twin: bool = param(True, "VAE-GAN: also train a plain VAE (same encoder and decoder, its own optimiser) on the "
                       "same batches, to compare samples.", label="plain VAE twin (VAE-GAN)")
    prior: str = param("mixture", "AAE: the prior p(z) the codes are pushed to: N(0, I), 10 Gaussians on a ring, "
                       "the ring with one component per class (semi-supervised), or a uniform square.",
                       choices=PRIORS, label="prior (AAE)")
    n_vars: int = param(20, "Gumbel: number N of categorical latent variables.", lo=1, hi=64, step=1,
                        label="variables N (Gumbel)")
    categories: int = param(10, "Gumbel: categories K of each variable (at least 2).", lo=2, hi=64, step=1,
                            label="categories K (Gumbel)")
    tau0: float = param(1.0, "Gumbel: starting temperature τ₀ (> 0).", lo=0.0, hi=10.0, step=0.05,
                        label="τ₀ (Gumbel)", live=True)
    tau_min: float = param(0.5, "Gumbel: the temperature never goes below τ_min (> 0).", lo=0.0, hi=10.0,
                           step=0.05, label="τ_min (Gumbel)", live=True, advanced=True)
    anneal_rate: float = param(1e-3, "Gumbel: annealing rate r in τ = max(τ_min, τ₀·exp(−r·step)); 0 = constant τ₀.",
                               lo=0.0, hi=0.1, step=1e-4, label="anneal rate r (Gumbel)", live=True, advanced=True)
    hard: bool = param(False, "Gumbel: straight-through — the decoder sees the one-hot argmax, the gradient is the "
                       "relaxed sample's.", label="straight-through (hard, Gumbel)", live=True)
    lr: float = param(1e-3, "Adam learning rate (every optimiser).", lo=1e-5, hi=1.0, log=True,
                      label="learning rate", live=True)
    batch_size: int = param(64, "Images per step.", lo=2, hi=4096, step=1, label="batch size", live=True)
    seed: int = param(0, "Random seed: same seed, same run.", lo=0, hi=2**31 - 1, step=1)

    def validate(self) -> None:
        if self.tau0 <= 0:
            raise ValueError(f"τ₀ (Gumbel) must be greater than 0: the relaxed sample divides by τ; got {self.tau0:g}.")
        if self.tau_min <= 0:
            raise ValueError(f"τ_min (Gumbel) must be greater than 0: the relaxed sample divides by τ; "
                             f"got {self.tau_min:g}.")
        if self.categories < 2:
            raise ValueError(f"categories K (Gumbel) must be at least 2; got {self.categories}.")


def Model(cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> GenerativeModel:
    """The model of ``cfg.variant`` (each its own class, in ``vaevariants_<variant>.py``)."""
    if len(data_shape) != 3:
        raise ValueError("The VAE variants are for images; choose an image dataset.")
    if cfg.variant == "vae-gan":
        from .vaevariants_vaegan import VAEGAN
        return VAEGAN(cfg, data_shape, num_classes)
    if cfg.variant == "aae":
        from .vaevariants_aae import AAE
        return AAE(cfg, data_shape, num_classes)
    if cfg.variant == "gumbel":
        from .vaevariants_gumbel import GumbelVAE
        return GumbelVAE(cfg, data_shape, num_classes)
    raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {cfg.variant!r}.")


def mmd2(a: Tensor, b: Tensor, scales: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)) -> Tensor:
    """Squared kernel MMD between samples a (n, d) and b (m, d) (Gretton et al. 2012, the biased V-statistic):
    mean k(a, a') + mean k(b, b') − 2 mean k(a, b), with k a sum of Gaussian kernels exp(−‖u − v‖² / 2s²)."""
    def k(u: Tensor, v: Tensor) -> Tensor:
        d2 = torch.cdist(u, v).pow(2)
        return sum(torch.exp(-d2 / (2 * s * s)) for s in scales)
    return k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean()


def n_pixels(data_shape: tuple[int, ...]) -> int:
    return math.prod(data_shape)
