"""Autoencoders: plain, denoising, sparse (KL-ρ, L1, k-sparse) and contractive (seed 000 §1.1, eq. 1–4;
seed 003 §2.3; seed 004 §1.1. Papers: Hinton & Salakhutdinov 2006; Vincent et al. 2008; Rifai et al.
2011; Makhzani & Frey 2014).

Loss per image, averaged over the batch (the recon term is eq. 1's squared error summed over pixels):
    plain        L = ‖x − f(g(x))‖²                                          (000, eq. 1)
    denoising    L = ‖x − f(g(x̃))‖²,  x̃ = corrupt(x)                         (000, eq. 2)
    sparse KL    L = ‖x − f(g(x))‖² + β Σ_j KL(ρ ‖ ρ̂_j),  ρ̂_j = batch mean of h_j   (000, eq. 3)
    sparse L1    L = ‖x − f(g(x))‖² + w Σ_j |h_j|                            (003 §2.3)
    k-sparse     L = ‖x − f(Sparsify_k(g(x)))‖²   (000 §1.1.3: gradient only through the top k)
    contractive  L = ‖x − f(g(x))‖² + λ ‖J_g(x)‖_F²,  J_ji = ∂h_j/∂x_i        (000, eq. 4)

The code h = g(x) is the encoder's last layer after a code activation chosen by the variant:
linear for plain/denoising/k-sparse, sigmoid for KL (ρ̂ must lie in (0, 1)) and contractive
(Rifai et al., 2011), ReLU for L1 (so that the L1 pull makes exact zeros).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import Batch, ConfigBase, GenerativeModel, global_rng, param
from .layers import ConvDecoder, ConvEncoder, conv_ok, mlp

VARIANTS = ("plain", "denoising", "sparse", "contractive")
NOISES = ("gaussian", "masking", "salt-and-pepper")
SPARSITIES = ("kl", "l1", "k-sparse")
ZERO_TOL = 1e-2     # an activation this close to 0 counts as "off" (sigmoid codes are never exactly 0)


@dataclass
class Config(ConfigBase):
    variant: str = param("plain", "Which autoencoder: plain (eq. 1), denoising (eq. 2), sparse (eq. 3, L1 or "
                         "k-sparse) or contractive (eq. 4).", choices=VARIANTS, label="variant")
    noise: str = param("masking", "Denoising only: how x is corrupted: Gaussian (x + σε), masking (each pixel "
                       "set to 0 with probability p, as in Vincent et al. 2008) or salt-and-pepper (set to 0 or 1).",
                       choices=NOISES, label="noise type", live=True)
    noise_level: float = param(0.3, "Denoising only: σ of the Gaussian noise, or the probability p that a pixel "
                               "is masked / salted.", lo=0.0, hi=1.0, step=0.05, label="noise level", live=True)
    sparsity: str = param("kl", "Sparse only: KL(ρ‖ρ̂) on the mean activation of each unit (eq. 3), L1 on the "
                          "activations, or k-sparse (keep the k largest, zero the rest).",
                          choices=SPARSITIES, label="sparsity penalty")
    rho: float = param(0.05, "Sparse KL only: target mean activation ρ of each code unit (strictly between 0 "
                       "and 1).", lo=0.001, hi=0.999, step=0.005, label="target ρ", live=True)
    beta: float = param(1.0, "Sparse KL only: weight β of the KL penalty (eq. 3).", lo=0.0, hi=100.0,
                        step=0.1, label="KL weight β", live=True)
    l1: float = param(0.03, "Sparse L1 only: weight of Σ_j |h_j|; too large and every unit switches off.",
                      lo=0.0, hi=10.0, step=0.01, label="L1 weight", live=True)
    k: int = param(5, "k-sparse only: how many code units stay on per image (at most the code size).",
                   lo=1, hi=256, step=1, label="k (units kept)", live=True)
    lam: float = param(0.1, "Contractive only: weight λ of ‖J‖_F², the encoder Jacobian's squared "
                       "Frobenius norm (eq. 4).", lo=0.0, hi=100.0, step=0.01, label="λ (contraction)", live=True)
    latent_dim: int = param(16, "Size of the code h: the bottleneck (sparse codes work well wider, e.g. 64).", lo=2, hi=256,
                            step=1, label="code size")
    arch: str = param("mlp", "Encoder/decoder: an MLP or a small conv net.", choices=("mlp", "conv"),
                      label="architecture")
    hidden: int = param(256, "Width of the MLP's hidden layer.", lo=16, hi=2048, step=16, label="hidden units")
    lr: float = param(2e-3, "Adam learning rate.", lo=1e-5, hi=1.0, log=True, label="learning rate", live=True)
    batch_size: int = param(128, "Images per step.", lo=1, hi=4096, step=1, label="batch size", live=True)
    seed: int = param(0, "Random seed: same seed, same run.", lo=0, hi=2**31 - 1, step=1)

    def validate(self) -> None:
        if self.variant == "sparse" and self.sparsity == "k-sparse" and self.k > self.latent_dim:
            raise ValueError(f"k (units kept) must be at most the code size: k = {self.k} but the code has "
                             f"{self.latent_dim} units.")
        if not 0.0 < self.rho < 1.0:
            raise ValueError(f"target ρ must be strictly between 0 and 1; got {self.rho:g}.")

    @property
    def code_act(self) -> str:
        """The code activation this variant needs (see the module docstring)."""
        if self.variant == "contractive" or (self.variant == "sparse" and self.sparsity == "kl"):
            return "sigmoid"
        if self.variant == "sparse" and self.sparsity == "l1":
            return "relu"
        return "linear"


# ----------------------------------------------------------------------------- the math, one function each
def corrupt(x: Tensor, kind: str, level: float, generator: torch.Generator | None = None) -> Tensor:
    """x̃ for the denoising AE (seed 000, eq. 2 and note 1.1); images stay in [0, 1]."""
    if kind not in NOISES:
        raise ValueError(f"noise type must be one of {', '.join(NOISES)}; got {kind!r}.")
    if level < 0:
        raise ValueError(f"noise level must be at least 0; got {level:g}.")
    # draws on the generator's device when one is given (a run's own, or a view's seeded one)
    rand = (lambda: torch.rand(x.shape, generator=generator, device=generator.device).to(x.device)) \
        if generator is not None else (lambda: torch.rand_like(x))
    u = rand()
    if kind == "gaussian":
        eps = torch.randn(x.shape, generator=generator, device=generator.device).to(x.device) \
            if generator is not None else torch.randn_like(x)
        noisy = x + level * eps
        return noisy.clamp(0, 1) if x.dim() == 4 else noisy
    if kind == "masking":                       # "set part of the pixels to zero, like Dropout"
        return torch.where(u < level, torch.zeros_like(x), x)
    salt = (rand() < 0.5).to(x.dtype)
    return torch.where(u < level, salt, x)      # salt-and-pepper: a hit pixel becomes 0 or 1


def kl_sparsity(rho: float, rho_hat: Tensor, eps: float = 1e-6) -> Tensor:
    """KL(ρ ‖ ρ̂_j) between Bernoulli(ρ) and Bernoulli(ρ̂_j), per unit (seed 000, eq. 3): (d,)."""
    r = rho_hat.clamp(eps, 1 - eps)
    return rho * torch.log(rho / r) + (1 - rho) * torch.log((1 - rho) / (1 - r))


def topk_mask(a: Tensor, k: int) -> Tensor:
    """0/1 mask of the k largest entries of each row (seed 000 §1.1.3, step 2): (B, d)."""
    idx = a.topk(k, dim=1).indices
    return torch.zeros_like(a).scatter_(1, idx, 1.0)


class Model(GenerativeModel):
    family = "ae"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        d = cfg.latent_dim
        self.n_in = math.prod(data_shape)
        self.images = len(self.data_shape) == 3
        if cfg.arch == "conv":
            if not conv_ok(self.data_shape):
                raise ValueError(f"The conv architecture needs images whose sides divide by 4; got {data_shape}.")
            self.encoder = ConvEncoder(self.data_shape, d)
            self.decoder = ConvDecoder(d, self.data_shape)
        else:
            self.encoder = mlp([self.n_in, cfg.hidden, d])
            self.decoder = mlp([d, cfg.hidden, self.n_in])
        # Running statistics of the code's pre-activation a, so that sample() can draw codes that look like
        # the training codes: the fairest way to use a plain AE as a generator (and still see its holes).
        self.register_buffer("a_mean", torch.zeros(d))
        self.register_buffer("a_std", torch.ones(d))
        self.register_buffer("a_seen", torch.zeros(()))

    @property
    def k_sparse(self) -> bool:
        return self.cfg.variant == "sparse" and self.cfg.sparsity == "k-sparse"

    # -- encoder g: x -> code h --------------------------------------------------------------
    def pre_code(self, x: Tensor) -> Tensor:
        """The encoder's last linear layer, before the code activation: (B, d)."""
        return self.encoder(x) if self.cfg.arch == "conv" else self.encoder(x.flatten(1))

    def activate(self, a: Tensor) -> Tensor:
        """Code activation, then (k-sparse) keep the top k: multiplying by a 0/1 mask sends the gradient
        only through the kept units, exactly as the seed asks (no straight-through estimator)."""
        act = self.cfg.code_act
        h = torch.sigmoid(a) if act == "sigmoid" else F.relu(a) if act == "relu" else a
        if self.k_sparse:
            h = h * topk_mask(a.detach(), self.cfg.k)
        return h

    def encode(self, x: Tensor) -> Tensor:
        """h = g(x): (B, d)."""
        return self.activate(self.pre_code(x))

    # -- decoder f: code -> x' ----------------------------------------------------------------
    def decode_raw(self, h: Tensor) -> Tensor:
        out = self.decoder(h)
        return out.view(h.shape[0], *self.data_shape)

    def decode(self, h: Tensor) -> Tensor:
        """x' = f(h): images in [0, 1] (a sigmoid output); points are left as they are."""
        out = self.decode_raw(h)
        return torch.sigmoid(out) if self.images else out

    # -- eq. 4: the encoder Jacobian ----------------------------------------------------------
    def jacobian_fro2(self, x: Tensor) -> Tensor:
        """‖J_g(x)‖_F² = Σ_ij (∂h_j/∂x_i)² per image (seed 000, eq. 4), exactly: (B,).

        MLP encoder x → ReLU(W1 x + b1) → σ(W2 · + b2): J = diag(h(1−h)) W2 diag(1[a1>0]) W1, computed
        in closed form. Any other encoder: one backward pass per code unit, with create_graph so the
        penalty itself can be differentiated (images are independent, so the gradient of the batch
        sum with respect to x is each image's own gradient).
        """
        if self.cfg.arch == "mlp" and self.cfg.code_act in ("sigmoid", "linear") and not self.k_sparse:
            lin1, lin2 = self.encoder[0], self.encoder[2]
            xf = x.flatten(1)                                   # (B, n)
            a1 = lin1(xf)                                       # (B, H)
            a2 = lin2(F.relu(a1))                               # (B, d)
            if self.cfg.code_act == "sigmoid":
                s = torch.sigmoid(a2)
                dh = s * (1 - s)                                # σ'(a2): (B, d)
            else:
                dh = torch.ones_like(a2)
            M = dh[:, :, None] * lin2.weight[None] * (a1 > 0).to(x.dtype)[:, None, :]   # (B, d, H)
            W1 = lin1.weight                                    # (H, n)
            if W1.shape[1] > W1.shape[0]:                       # wide inputs: ‖MW1‖² = tr(M (W1 W1ᵀ) Mᵀ)
                G = W1 @ W1.T                                   # (H, H)
                return ((M @ G) * M).sum((1, 2))
            return (M @ W1).pow(2).sum((1, 2))                  # J: (B, d, n)
        outer_grad = torch.is_grad_enabled()      # differentiate the penalty only when training
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            h = self.encode(xg)                                 # (B, d)
            total = x.new_zeros(x.shape[0])
            for j in range(h.shape[1]):
                (g,) = torch.autograd.grad(h[:, j].sum(), xg, create_graph=outer_grad,
                                           retain_graph=True)
                total = total + g.flatten(1).pow(2).sum(1)      # ‖∂h_j/∂x‖² per image
        return total

    # -- training ---------------------------------------------------------------------------------
    def loss(self, batch: Batch) -> dict[str, Tensor]:
        cfg = self.cfg
        x = batch.x                                             # (B, *data_shape)
        # 1. the input the encoder sees: x̃ for the denoising AE (eq. 2), x otherwise
        x_in = corrupt(x, cfg.noise, cfg.noise_level, self.rng) if cfg.variant == "denoising" else x
        # 2. the code
        a = self.pre_code(x_in)                                 # (B, d)
        h = self.activate(a)                                    # (B, d)
        if self.training:
            self._track(a.detach())
        # 3. reconstruction error against the clean x, summed over pixels (eq. 1)
        out = self.decode_raw(h)                                # (B, *data_shape)
        x_hat = torch.sigmoid(out) if self.images else out
        recon = (x_hat - x).pow(2).flatten(1).sum(1).mean()
        terms: dict[str, Tensor] = {}
        penalty = x.new_zeros(())
        # 4. the variant's penalty
        if cfg.variant == "sparse":
            rho_hat = h.mean(0)                                 # ρ̂_j: (d,)
            if cfg.sparsity == "kl":
                penalty = cfg.beta * kl_sparsity(cfg.rho, rho_hat).sum()              # eq. 3
                terms["sparsity"] = penalty.detach()
            elif cfg.sparsity == "l1":
                penalty = cfg.l1 * h.abs().sum(1).mean()
                terms["sparsity"] = penalty.detach()
            terms["rho_hat"] = rho_hat.detach()
            terms["frac_zero"] = (h.detach().abs() < ZERO_TOL).float().mean()
        elif cfg.variant == "contractive":
            fro2 = self.jacobian_fro2(x)                        # (B,)
            penalty = cfg.lam * fro2.mean()                     # eq. 4
            terms["contractive"] = penalty.detach()
            terms["jacobian_fro"] = fro2.detach().sqrt().mean()
        loss = recon + penalty
        return {"loss": loss, "total": loss.detach(), "recon": recon.detach(), **terms}

    @torch.no_grad()
    def _track(self, a: Tensor, momentum: float = 0.05) -> None:
        m, s = a.mean(0), a.std(0) if a.shape[0] > 1 else torch.ones_like(a[0])
        if float(self.a_seen) == 0:
            self.a_mean.copy_(m)
            self.a_std.copy_(s)
        else:
            self.a_mean.lerp_(m, momentum)
            self.a_std.lerp_(s, momentum)
        self.a_seen += 1

    # -- using the model ---------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None) -> Tensor:
        """Decode random codes: pre-activations drawn from a Gaussian with the training codes' per-unit
        mean and std. An AE was never trained to make sense of such codes: expect holes (seed 001)."""
        with global_rng():
            a = self.a_mean + self.a_std * torch.randn(n, self.cfg.latent_dim, device=self.device)
        return self.decode(self.activate(a))

    @torch.no_grad()
    def reconstruct(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.decode(self.encode(x))

    @torch.no_grad()
    def latents(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The codes h(x): what the t-SNE/PCA views project."""
        return self.encode(x)

    @torch.no_grad()
    def hidden(self, x: Tensor) -> Tensor:
        """The code activations the sparse views histogram (the same h as :meth:`latents`)."""
        return self.encode(x)

    @torch.no_grad()
    def test_loss(self, x: Tensor, y: Tensor | None = None, batch_size: int = 1000) -> dict[str, float]:
        """Mean squared reconstruction error per image on held-out data (clean inputs)."""
        x, y = self.here(x, y)                          # held-out data may be given on the CPU
        tot = 0.0
        for i in range(0, x.shape[0], batch_size):
            xb = x[i:i + batch_size]
            tot += float((self.reconstruct(xb) - xb).pow(2).flatten(1).sum(1).sum())
        return {"recon": tot / max(1, x.shape[0])}
