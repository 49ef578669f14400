"""VQ-VAE-2's prior as the papers have it: a gated PixelCNN over the code maps (issue 12, item 6).

van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders": two stacks of masked
convolutions. The **vertical** stack sees the rows above (its k/2+1 × k kernel spans the row and the ones
above it; it reaches the horizontal stack only **shifted down one row**, so there it brings rows < i). The
**horizontal** stack sees the cells to the left in the same row: type A in the first layer (cells < j, the
cell itself left out), type B after it (cells ≤ j of features that already exclude the cell), with a
residual connection. Gates: tanh(a) ⊙ σ(b). Together the two stacks see every earlier cell in raster order,
without the blind spot of a single masked 3×3 stack (the cells above-right). For VQ-VAE-2 (Razavi et al.
2019) the top map has its own PixelCNN, and the bottom one is conditioned on the whole top map (its codes,
one-hot, upsampled to the bottom grid, enter every gate through a 1×1 conv).

Loss: cross-entropy in nats per code over all cells of all levels, the same unit as the transformer prior
(trainers/vqvae_prior.py), whose training loop, ``split`` and ``sample_images`` this class reuses.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .vqvae_prior import CodePrior, PriorConfig, _check_vq

DEPTH = 5      # gated layers (1 of type A, then B): on a 4×4 map every earlier cell is in reach after 3
KERNEL = 3     # k: vertical kernel (k/2+1) × k, horizontal 1 × (k/2+1)


def gate(t: Tensor) -> Tensor:
    a, b = t.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    """One gated layer: (vertical, horizontal[, condition]) feature maps -> the next ones, same shapes."""

    def __init__(self, d: int, k: int, first: bool, cond_ch: int = 0) -> None:
        super().__init__()
        self.p, self.first = k // 2, first
        self.v = nn.Conv2d(d, 2 * d, (self.p + 1, k))       # rows i−p … i, columns j−p … j+p
        self.h = nn.Conv2d(d, 2 * d, (1, self.p + 1))       # row i, columns j−p … j (B) or j−p−1 … j−1 (A)
        self.v2h = nn.Conv2d(2 * d, 2 * d, 1)
        self.h_out = nn.Conv2d(d, d, 1)
        self.cond = nn.Conv2d(cond_ch, 4 * d, 1) if cond_ch else None

    def forward(self, xv: Tensor, xh: Tensor, c: Tensor | None = None) -> tuple[Tensor, Tensor]:
        H, p = xv.shape[-2], self.p
        v = self.v(F.pad(xv, (p, p, p, 0)))                                 # (B, 2d, H, W): rows ≤ i
        if self.first:   # type A: shift right one more cell and drop the last column: cells < j
            h = self.h(F.pad(xh, (p + 1, 0, 0, 0))[..., :-1])
        else:            # type B: cells ≤ j (of features that already leave the cell itself out)
            h = self.h(F.pad(xh, (p, 0, 0, 0)))
        h = h + self.v2h(F.pad(v, (0, 0, 1, 0))[..., :H, :])                # vertical shifted down: rows < i
        if self.cond is not None and c is not None:
            cv, ch = self.cond(c).chunk(2, dim=1)
            v, h = v + cv, h + ch
        out_h = self.h_out(gate(h))
        return gate(v), out_h if self.first else out_h + xh


class GatedPixelCNN(nn.Module):
    """One-hot code map (B, K, H, W) [+ condition (B, c, H, W)] -> logits (B, K, H, W) of each cell given the
    cells before it in raster order."""

    def __init__(self, K: int, d: int, depth: int = DEPTH, k: int = KERNEL, cond_ch: int = 0) -> None:
        super().__init__()
        self.embed = nn.Conv2d(K, d, 1)                     # a code embedding, written as a 1×1 conv on one-hot
        self.layers = nn.ModuleList(GatedLayer(d, k, i == 0, cond_ch) for i in range(depth))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(d, d, 1), nn.ReLU(), nn.Conv2d(d, K, 1))

    def forward(self, onehot: Tensor, cond: Tensor | None = None) -> Tensor:
        xv = xh = self.embed(onehot)
        for layer in self.layers:
            xv, xh = layer(xv, xh, cond)
        return self.head(xh)


class PixelCNNPrior(CodePrior):
    """p(k_t | k_<t) over one image's code maps, by a gated PixelCNN per level (top first, bottom given top)."""

    kind = "gated PixelCNN"

    def __init__(self, cfg: PriorConfig, vq_model: nn.Module, depth: int = DEPTH, kernel: int = KERNEL) -> None:
        nn.Module.__init__(self)          # CodePrior's attributes, not its transformer
        _check_vq(vq_model)
        self.cfg = cfg
        self.K = vq_model.cfg.num_codes
        self.levels = list(vq_model.levels)
        self.grid = {lv: tuple(vq_model.grid[lv]) for lv in self.levels}
        self.sizes = [self.grid[lv][0] * self.grid[lv][1] for lv in self.levels]
        self.T = sum(self.sizes)
        # half the prior width in channels: about the transformer's parameter count and step time at the tab's
        # default width (measured on digits, K = 64, 400 steps: 114k vs 109k parameters, 110 s vs 84 s on a busy
        # 2-core box; at full width 531k parameters and ~8× the time)
        self.nets = nn.ModuleDict({lv: GatedPixelCNN(self.K, max(8, cfg.width // 2), depth, kernel,
                                                     cond_ch=self.K if lv == "bottom" and len(self.levels) > 1 else 0)
                                   for lv in self.levels})
        self.losses: list[float] = []
        self.vq_steps = int(vq_model.steps_done)

    def _cond(self, level: str, maps: dict[str, Tensor]) -> Tensor | None:
        """The bottom net's condition: the top map, one-hot, upsampled (nearest) to the bottom grid."""
        if level != "bottom" or "top" not in maps:
            return None
        top = F.one_hot(maps["top"], self.K).permute(0, 3, 1, 2).float()
        return F.interpolate(top, size=self.grid["bottom"], mode="nearest")

    def level_logits(self, level: str, maps: dict[str, Tensor]) -> Tensor:
        """(B, K, h, w) logits of every cell of ``level``'s map."""
        x = F.one_hot(maps[level], self.K).permute(0, 3, 1, 2).float()
        return self.nets[level](x, self._cond(level, maps))

    def nll(self, seq: Tensor) -> Tensor:
        """Mean cross-entropy −log p(k_t | k_<t) over all cells of all levels, nats per code."""
        maps = self.split(seq)
        total = sum(F.cross_entropy(self.level_logits(lv, maps), maps[lv], reduction="sum") for lv in self.levels)
        return total / seq.numel()

    @torch.no_grad()
    def sample_seq(self, n: int, temperature: float | None = None, generator: torch.Generator | None = None) -> Tensor:
        """(n, T) code sequences drawn cell by cell, in raster order, top map first."""
        tau = self.cfg.temperature if temperature is None else float(temperature)
        if not 0 < tau <= 10:
            raise ValueError(f"The temperature must be above 0 (and at most 10); got {temperature}.")
        dev = next(self.parameters()).device
        maps = {lv: torch.zeros(n, *self.grid[lv], dtype=torch.long, device=dev) for lv in self.levels}
        for lv in self.levels:
            h, w = self.grid[lv]
            for i in range(h):
                for j in range(w):
                    p = F.softmax(self.level_logits(lv, maps)[:, :, i, j] / tau, -1)
                    maps[lv][:, i, j] = torch.multinomial(p, 1, generator=generator)[:, 0]
        return torch.cat([maps[lv].flatten(1) for lv in self.levels], 1)
