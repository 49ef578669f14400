"""The two noise predictors ε_θ(x_t, t[, y]) of the diffusion family (seed 004 §3.1, eq. 10; Ho et al. 2020, eq. 14).

* :class:`MLPDenoiser` for 2D points: x_t and a sinusoidal embedding of t through residual MLP blocks
  (as tanelp/tiny-diffusion).
* :class:`UNet` for images: a small U-Net (two resolutions down, two up, skip connections), with the
  time embedding added inside every residual block as in Ho et al.'s network, shrunk to run on a CPU.

Both take an optional class label; label ``num_classes`` is the "no label" token that classifier-free
guidance trains with (Ho & Salimans 2022).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .layers import sinusoidal_embedding


class TimeEmbedding(nn.Module):
    """(B,) step indices (and labels) → (B, dim): sinusoids of t, an MLP, plus a learned label vector."""

    def __init__(self, T: int, dim: int, num_classes: int = 0) -> None:
        super().__init__()
        self.T, self.dim = T, dim
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        # one extra row: the null label of classifier-free guidance
        self.label = nn.Embedding(num_classes + 1, dim) if num_classes else None

    def forward(self, t: Tensor, y: Tensor | None = None) -> Tensor:
        # rescale to a 1000-step clock so the sinusoids' frequencies suit every T
        emb = self.mlp(sinusoidal_embedding(t.float() * (1000.0 / self.T), self.dim))   # (B, dim)
        if self.label is not None:
            if y is None:
                raise ValueError("This model is class-conditional: give a label (or the null label).")
            emb = emb + self.label(y)
        return emb


class MLPDenoiser(nn.Module):
    """ε_θ for points: (B, D), (B,) → (B, D)."""

    def __init__(self, dim: int, T: int, hidden: int = 128, layers: int = 3, num_classes: int = 0) -> None:
        super().__init__()
        self.emb = TimeEmbedding(T, hidden, num_classes)
        self.inp = nn.Linear(dim, hidden)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, hidden))
                                    for _ in range(layers))
        self.out = nn.Linear(hidden, dim)

    def forward(self, x: Tensor, t: Tensor, y: Tensor | None = None) -> Tensor:
        e = self.emb(t, y)                          # (B, H)
        h = self.inp(x) + e                         # (B, H)
        for block in self.blocks:
            h = h + block(F.gelu(h + e))            # residual: deep nets still train in seconds
        return self.out(F.gelu(h))                  # (B, D)


def _norm(ch: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, ch), ch)


class ResBlock(nn.Module):
    """GroupNorm → SiLU → conv, plus the projected time embedding, twice, with a skip (Ho et al.)."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int) -> None:
        super().__init__()
        self.norm1, self.conv1 = _norm(c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2, self.conv2 = _norm(c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class UNet(nn.Module):
    """ε_θ for images: (B, C, H, W), (B,) → (B, C, H, W); H and W divisible by 4."""

    def __init__(self, shape: tuple[int, int, int], T: int, width: int = 32, num_classes: int = 0) -> None:
        super().__init__()
        c, h, w = shape
        if h % 4 or w % 4:
            raise ValueError(f"The U-Net halves the image twice, so its sides must divide by 4; got {h}×{w}.")
        w1, w2 = width, 2 * width
        emb = 4 * width
        self.emb = TimeEmbedding(T, emb, num_classes)
        self.inp = nn.Conv2d(c, w1, 3, padding=1)
        self.down1 = ResBlock(w1, w1, emb)                       # H
        self.pool1 = nn.Conv2d(w1, w1, 3, stride=2, padding=1)   # H → H/2
        self.down2 = ResBlock(w1, w2, emb)                       # H/2
        self.pool2 = nn.Conv2d(w2, w2, 3, stride=2, padding=1)   # H/2 → H/4
        self.mid = ResBlock(w2, w2, emb)                         # H/4
        self.up2 = ResBlock(w2 + w2, w2, emb)                    # H/2, with the skip from down2
        self.up1 = ResBlock(w2 + w1, w1, emb)                    # H, with the skip from down1
        self.out = nn.Sequential(_norm(w1), nn.SiLU(), nn.Conv2d(w1, c, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)                      # start by predicting ε̂ = 0: a calm first step
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x: Tensor, t: Tensor, y: Tensor | None = None) -> Tensor:
        e = self.emb(t, y)                                       # (B, 4w)
        h1 = self.down1(self.inp(x), e)                          # (B, w, H, W)
        h2 = self.down2(self.pool1(h1), e)                       # (B, 2w, H/2, W/2)
        h = self.mid(self.pool2(h2), e)                          # (B, 2w, H/4, W/4)
        h = F.interpolate(h, size=h2.shape[-2:], mode="nearest")
        h = self.up2(torch.cat([h, h2], 1), e)                   # (B, 2w, H/2, W/2)
        h = F.interpolate(h, size=h1.shape[-2:], mode="nearest")
        h = self.up1(torch.cat([h, h1], 1), e)                   # (B, w, H, W)
        return self.out(h)                                       # (B, C, H, W)
