"""VQ-VAE and two-level VQ-VAE-2 (seed 000 §1.3.2, eq. 11–13; van den Oord et al. 2017; Razavi et al. 2019).

A conv encoder turns an image into a grid of vectors z_e; each is replaced by its nearest code
e_k (eq. 11); the decoder sees only the codes. Loss per batch: eq. 12 with every term a mean over
its own elements (C·H·W pixels; h·w cells × D dimensions), as the tab writes it:
    L = ‖x − D(e_k)‖²/(CHW) + ‖sg[z_e] − e_k‖²/(hwD) + β ‖z_e − sg[e_k]‖²/(hwD)   (batch mean)
With ``update="ema"`` the codebook follows eq. 13 instead, and the middle term only shows on a curve.
The encoder halves the image once for small images (8×8 digits → 4×4 codes) and twice for
larger ones (28×28 → 7×7, 32×32 → 8×8). VQ-VAE-2 adds a top level at half that grid: the top
codes carry the coarse layout, the bottom codes (conditioned on the top) the local detail.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import Batch, ConfigBase, GenerativeModel, finite, global_rng, param
from .vqvae_codebook import Quantized, VectorQuantizer, perplexity


@dataclass
class Config(ConfigBase):
    num_codes: int = param(64, "Codebook size K: how many code vectors e_1..e_K the quantiser chooses from (eq. 11).",
                           lo=8, hi=1024, step=8, label="codebook size K")
    code_dim: int = param(16, "Dimension D of each code vector (and of the encoder output z_e).",
                          lo=2, hi=128, step=1, label="code dimension D")
    beta: float = param(0.25, "Commitment weight β of eq. 12: pulls the encoder output towards its code.",
                        lo=0.0, hi=10.0, step=0.05, label="commitment β", live=True)
    update: str = param("ema", "How the codebook learns: by the VQ term of the loss (eq. 12) or by moving "
                        "averages of the encoder outputs assigned to each code (EMA, eq. 13).",
                        choices=("loss", "ema"), label="codebook update")
    gamma: float = param(0.99, "EMA decay γ of eq. 13 (only with the EMA update): closer to 1 = slower, smoother codes.",
                         lo=0.5, hi=0.9999, step=0.001, label="EMA decay γ", live=True)
    restart: bool = param(True, "Dead-code restart: a code no cell chose for a while jumps onto a random "
                          "encoder output of the batch.", label="dead-code restart", live=True)
    dead_after: int = param(20, "Steps without a single use after which a code counts as dead.",
                            lo=1, hi=10_000, step=1, label="dead after (steps)", advanced=True, live=True)
    two_level: bool = param(False, "VQ-VAE-2: a top grid of codes (half the size) for the global shape, "
                            "a bottom grid for the detail.", label="two levels (VQ-VAE-2)")
    width: int = param(32, "Channels of the conv encoder and decoder.", lo=8, hi=256, step=8,
                       label="conv channels", advanced=True)
    lr: float = param(2e-3, "Adam learning rate.", lo=1e-5, hi=1.0, log=True, label="learning rate", live=True)
    batch_size: int = param(128, "Images per step.", lo=1, hi=4096, step=1, label="batch size", live=True)
    seed: int = param(0, "Random seed: same seed, same run.", lo=0, hi=2**31 - 1, step=1)


def downsamplings(shape: tuple[int, ...]) -> int:
    """How many times the encoder halves the image: once for tiny images (≤ 16 px), else twice."""
    if len(shape) != 3:
        raise ValueError(f"A VQ-VAE needs images (channels × height × width); this dataset has shape {shape}. "
                         "Pick an image dataset such as digits, sprites or MNIST.")
    c, h, w = shape
    n = 1 if min(h, w) <= 16 else 2
    if h % 2 ** n or w % 2 ** n or min(h, w) < 4:
        raise ValueError(f"The VQ-VAE halves the image {n} time(s), so its sides must divide by {2 ** n}; "
                         f"got {h}×{w}.")
    return n


class ResBlock(nn.Module):
    """x + conv1(relu(conv3(relu(x)))): the residual block of the VQ-VAE paper."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(ch, ch, 3, 1, 1), nn.ReLU(), nn.Conv2d(ch, ch, 1))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def encoder(c: int, width: int, n_down: int) -> nn.Sequential:
    """(B, c, H, W) -> (B, width, H/2^n, W/2^n) features."""
    layers: list[nn.Module] = []
    ch = c
    for _ in range(n_down):
        layers += [nn.Conv2d(ch, width, 4, 2, 1), nn.ReLU()]
        ch = width
    layers += [nn.Conv2d(width, width, 3, 1, 1), ResBlock(width), nn.ReLU()]
    return nn.Sequential(*layers)


def decoder(in_ch: int, c: int, width: int, n_up: int) -> nn.Sequential:
    """(B, in_ch, h, w) codes -> (B, c, h·2^n, w·2^n) image (no squashing: the loss is a squared error)."""
    layers: list[nn.Module] = [nn.Conv2d(in_ch, width, 3, 1, 1), ResBlock(width), nn.ReLU()]
    for i in range(n_up):
        last = i == n_up - 1
        layers.append(nn.ConvTranspose2d(width, c if last else width, 4, 2, 1))
        if not last:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Model(GenerativeModel):
    family = "vqvae"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        n = downsamplings(self.data_shape)
        c, H, W = self.data_shape
        K, D, w = cfg.num_codes, cfg.code_dim, cfg.width
        self.levels: list[str] = ["top", "bottom"] if cfg.two_level else ["bottom"]
        self.grid = {"bottom": (H // 2 ** n, W // 2 ** n)}
        self.enc = encoder(c, w, n)
        vq = lambda: VectorQuantizer(K, D, cfg.update, cfg.gamma, cfg.restart, cfg.dead_after)
        if cfg.two_level:
            hb, wb = self.grid["bottom"]
            if min(hb, wb) < 2:
                raise ValueError("VQ-VAE-2 needs a bottom grid of at least 2×2 codes; use bigger images.")
            self.grid["top"] = ((hb + 2 - 4) // 2 + 1, (wb + 2 - 4) // 2 + 1)    # one more k4 s2 p1 conv
            self.enc_t = nn.Sequential(nn.Conv2d(w, w, 4, 2, 1), ResBlock(w), nn.ReLU(), nn.Conv2d(w, D, 1))
            self.vq_t = vq()
            self.dec_t = nn.Sequential(nn.Conv2d(D, w, 3, 1, 1), nn.ReLU())    # top codes -> bottom features
            self.pre_b = nn.Conv2d(2 * w, D, 1)
        else:
            self.pre_b = nn.Conv2d(w, D, 1)
        self.vq_b = vq()
        self.dec = decoder(D * len(self.levels), c, w, n)
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))
        # the epoch whose usage count is open: saved with the weights, so a loaded run does not close it again
        self.register_buffer("usage_epoch", torch.full((), -1, dtype=torch.long))

    # -- pieces -------------------------------------------------------------------------------
    def quantizer(self, level: str) -> VectorQuantizer:
        if level not in self.levels:
            raise ValueError(f"This model has no {level!r} level; its levels are {', '.join(self.levels)}.")
        return self.vq_t if level == "top" else self.vq_b

    def _up(self, t: Tensor) -> Tensor:
        return F.interpolate(t, size=self.grid["bottom"], mode="nearest")

    def forward_levels(self, x: Tensor, allowed: dict[str, Tensor] | None = None
                       ) -> tuple[Tensor, dict[str, Quantized], dict[str, Tensor]]:
        """x (B, C, H, W) -> (x̂, quantised levels, encoder outputs z_e per level)."""
        allowed = allowed or {}
        h = self.enc(x)                                               # (B, w, hb, wb)
        q: dict[str, Quantized] = {}
        z_e: dict[str, Tensor] = {}
        if "top" in self.levels:
            z_e["top"] = self.enc_t(h)                                # (B, D, ht, wt)
            q["top"] = self.vq_t(z_e["top"], allowed.get("top"))
            h = torch.cat([h, self._up(self.dec_t(q["top"].z_q))], 1) # bottom sees the chosen top codes
        z_e["bottom"] = self.pre_b(h)                                 # (B, D, hb, wb)
        q["bottom"] = self.vq_b(z_e["bottom"], allowed.get("bottom"))
        x_hat = self.decode_quantized({k: v.z_q for k, v in q.items()})
        return x_hat, q, z_e

    def decode_quantized(self, zq: dict[str, Tensor]) -> Tensor:
        """Code vectors per level, (B, D, h, w) each -> decoder output (B, C, H, W)."""
        parts = [self._up(zq["top"])] if "top" in self.levels else []
        return self.dec(torch.cat(parts + [zq["bottom"]], 1))

    # -- training -----------------------------------------------------------------------------
    def loss(self, batch: Batch) -> dict[str, Tensor]:
        x = batch.x
        x_hat, q, _ = self.forward_levels(x)
        # Eq. 12 with each term a mean over its elements, not a plain squared norm: ‖x − D(e_k)‖² / (C·H·W)
        # and ‖sg[z_e] − e_k‖² / (h·w·D), as the reference implementations (Sonnet's vqvae, whose β = 0.25
        # we keep). Chosen over plain sums because the balance between the terms, and so the meaning of β,
        # then does not depend on the image or code size: with sums the VQ and commitment terms would weigh
        # h·w·D / (C·H·W) times as much — ×4 on 8×8 digits (4·4·16 code numbers for 64 pixels), ×1 on MNIST.
        # The tab writes the equation with these normalisations (EQUATION and vqvae_views.EQ12/EQ13).
        recon = F.mse_loss(x_hat, x)                                  # ‖x − D(e_k)‖² / (C·H·W)
        vq = sum(v.vq for v in q.values())
        commit = self.cfg.beta * sum(v.commit for v in q.values())
        # with EMA (eq. 13) the codebook is not a parameter: its term is watched, not minimised
        loss = recon + commit + (vq if self.cfg.update == "loss" else 0.0)
        self._last = q
        out = {"loss": loss, "total": loss.detach(), "recon": recon.detach(), "vq": vq.detach(),
               "commit": commit.detach(),
               "perplexity": perplexity(torch.bincount(q["bottom"].indices.flatten(), minlength=self.cfg.num_codes))}
        if "top" in q:
            out["perplexity_top"] = perplexity(torch.bincount(q["top"].indices.flatten(),
                                                              minlength=self.cfg.num_codes))
        return out

    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        out = super().train_step(batch)
        if not finite(out["loss"]):
            return out
        for level, qz in self._last.items():
            vq = self.quantizer(level)
            dead = vq.after_step(qz.flat, qz.indices, self.rng)
            sfx = "" if level == "bottom" else "_top"
            out["dead_codes" + sfx] = torch.tensor(float(dead))
            out["perplexity_epoch" + sfx] = perplexity(vq.usage())
        self._last = {}
        self.steps_done += 1
        return out

    def apply_config(self, cfg: Config) -> None:
        """Live settings (β, γ, restarts, learning rate) change between Train presses, same run."""
        super().apply_config(cfg)
        for level in self.levels:
            vq = self.quantizer(level)
            vq.gamma, vq.restart, vq.dead_after = cfg.gamma, cfg.restart, cfg.dead_after

    def on_epoch_start(self, epoch: int) -> None:
        # also called when live settings change mid-epoch: only a new epoch closes the usage count
        if epoch != int(self.usage_epoch):
            self.usage_epoch.fill_(epoch)
            for level in self.levels:
                self.quantizer(level).end_epoch()

    # -- using the model ----------------------------------------------------------------------
    @torch.no_grad()
    def reconstruct(self, x: Tensor, allowed: dict[str, Tensor] | None = None) -> Tensor:
        """Images in [0, 1], re-quantised only among ``allowed`` codes per level when given."""
        return self.forward_levels(x, allowed)[0].clamp(0, 1)

    @torch.no_grad()
    def codes(self, x: Tensor, allowed: dict[str, Tensor] | None = None) -> dict[str, Tensor]:
        """The map of code indices per level: {"bottom": (B, hb, wb)[, "top": (B, ht, wt)]}."""
        return {k: v.indices for k, v in self.forward_levels(x, allowed)[1].items()}

    @torch.no_grad()
    def encoder_outputs(self, x: Tensor, level: str = "bottom") -> Tensor:
        """(B·h·w, D) encoder outputs z_e of one level: what the codebook projection shows."""
        self.quantizer(level)
        return self.forward_levels(x)[1][level].flat

    @torch.no_grad()
    def decode_codes(self, codes: dict[str, Tensor], mode: dict[str, str] | None = None) -> Tensor:
        """Decode code maps to images in [0, 1].

        ``mode`` per level: "keep" (default), "zero" (the level's vectors set to 0) or "random"
        (every cell redrawn from the level's usage histogram): what each level carries.
        """
        mode = mode or {}
        zq = {}
        for level in self.levels:
            if level not in codes:
                raise ValueError(f"Missing the code map of the {level} level.")
            idx = codes[level].to(self.device).long()
            self.check_codes(idx, level)
            how = mode.get(level, "keep")
            if how == "random":
                idx = self.random_codes(idx.shape[0], level)
            vec = self.quantizer(level).lookup(idx)
            if how == "zero":
                vec = torch.zeros_like(vec)
            elif how not in ("keep", "random"):
                raise ValueError(f"Unknown mode {how!r} for a level: use keep, zero or random.")
            zq[level] = vec
        return self.decode_quantized(zq).clamp(0, 1)

    def check_codes(self, idx: Tensor, level: str) -> None:
        h, w = self.grid[level]
        if tuple(idx.shape[-2:]) != (h, w):
            raise ValueError(f"The {level} code map must be {h}×{w}; got {tuple(idx.shape[-2:])}.")
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.cfg.num_codes):
            raise ValueError(f"Codes must lie between 0 and {self.cfg.num_codes - 1}.")

    @torch.no_grad()
    def random_codes(self, n: int, level: str) -> Tensor:
        """(n, h, w) codes drawn cell by cell from the level's usage histogram (no spatial structure)."""
        u = self.quantizer(level).usage().float()
        p = u / u.sum() if float(u.sum()) > 0 else torch.ones_like(u) / u.numel()
        h, w = self.grid[level]
        with global_rng():
            return torch.multinomial(p, n * h * w, replacement=True).view(n, h, w)

    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None) -> Tensor:
        """Without a prior: every cell drawn independently from the usage histogram. A learnt prior
        over the code maps (trainers.vqvae_prior) is what makes samples look like the data."""
        return self.decode_codes({lv: self.random_codes(n, lv) for lv in self.levels})

    @torch.no_grad()
    def latents(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The bottom encoder outputs averaged over the grid: one vector per image."""
        return self.forward_levels(x)[2]["bottom"].mean((2, 3))

    @torch.no_grad()
    def per_image_error(self, x: Tensor, allowed: dict[str, Tensor] | None = None,
                        batch_size: int = 1000) -> Tensor:
        """(B,) squared error per pixel of each image's reconstruction."""
        errs = [(self.reconstruct(x[i:i + batch_size], allowed) - x[i:i + batch_size]).pow(2).flatten(1).mean(1)
                for i in range(0, x.shape[0], batch_size)]
        return torch.cat(errs)

    @torch.no_grad()
    def test_loss(self, x: Tensor, y: Tensor | None = None, batch_size: int = 1000) -> dict[str, float]:
        """Held-out reconstruction error and perplexity of code use (no EMA update, no counting)."""
        x, y = self.here(x, y)                          # held-out data may be given on the CPU
        tot, counts = 0.0, torch.zeros(self.cfg.num_codes, device=x.device)
        for i in range(0, x.shape[0], batch_size):
            xb = x[i:i + batch_size]
            x_hat, q, _ = self.forward_levels(xb)
            tot += float(F.mse_loss(x_hat, xb, reduction="sum"))
            counts += torch.bincount(q["bottom"].indices.flatten(), minlength=self.cfg.num_codes)
        return {"recon": tot / (x.shape[0] * math.prod(self.data_shape)), "perplexity": float(perplexity(counts))}


def load_extra(name: str, meta: dict, tensors: dict[str, Tensor], model: "Model") -> nn.Module:
    """A run's trained prior from its export (``run.extras``; trainers/vqvae_prior.py ``restore``)."""
    from .vqvae_prior import restore
    return restore(name, meta, tensors, model)
