"""The vector quantiser of VQ-VAE and the statistics the codebook views need (seed 000 §1.3.2; van den Oord et al. 2017, §3.1 and App. A.1).

    z_q(x) = e_k,  k = argmin_i ‖z_e(x) − e_i‖₂                                   (eq. 11)
    L = ‖x − D(e_k)‖² + ‖sg[E(x)] − e_k‖² + β ‖E(x) − sg[e_k]‖²                  (eq. 12)
        (in this code each term is a mean over its elements: see trainers/vqvae.py, Model.loss)
    N_i ← γ N_i + (1−γ) n_i,   m_i ← γ m_i + (1−γ) Σ_j z_ij,   e_i = m_i / N_i   (eq. 13)

The codebook is either learnt by the VQ term of eq. 12 (``update="loss"``, a Parameter) or
by the moving averages of eq. 13 (``update="ema"``, a buffer the optimiser never sees).
Every statistic lives in a buffer, so a checkpoint (state_dict) keeps the usage histograms.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Quantized(NamedTuple):
    z_q: Tensor       # (B, D, h, w) the chosen codes, with the straight-through gradient to z_e
    indices: Tensor   # (B, h, w) int64 code index k of every cell
    vq: Tensor        # 0-d ‖sg[z_e] − e_k‖² / (N·D), a mean over cells and dims: the codebook term of eq. 12
    commit: Tensor    # 0-d ‖z_e − sg[e_k]‖² / (N·D), before the weight β
    flat: Tensor      # (N, D) detached encoder outputs, one row per cell (for EMA and restarts)


def perplexity(counts: Tensor) -> Tensor:
    """exp(entropy) of the code-use frequencies: K when all K codes are used equally, 1 for collapse."""
    counts = counts.float()
    total = counts.sum()
    if total <= 0:
        return torch.tensor(0.0, device=counts.device)
    p = counts / total
    ent = -(p * torch.log(p.clamp_min(1e-30))).sum()     # 0·log 0 = 0 thanks to p = 0 there
    return ent.exp()


def top_n_mask(counts: Tensor, n: int) -> Tensor:
    """A (K,) bool mask keeping the ``n`` most used codes (ties broken by lower index)."""
    K = counts.numel()
    if not 1 <= int(n) <= K:
        raise ValueError(f"Keep between 1 and {K} codes (the codebook size); got {n}.")
    # a stable sort on -counts breaks ties by index, so the choice is reproducible
    order = torch.sort(-counts.float(), stable=True).indices[: int(n)]
    mask = torch.zeros(K, dtype=torch.bool, device=counts.device)
    mask[order] = True
    return mask


def edit_code_map(codes: Tensor, row: int, col: int, code: int, num_codes: int) -> Tensor:
    """A copy of a (h, w) or (B, h, w) code map with cell (row, col) set to ``code``."""
    h, w = codes.shape[-2:]
    if not (0 <= int(row) < h and 0 <= int(col) < w):
        raise ValueError(f"The cell (row {row}, column {col}) is outside the {h}×{w} grid of codes: "
                         f"rows go from 0 to {h - 1} and columns from 0 to {w - 1}.")
    if not 0 <= int(code) < num_codes:
        raise ValueError(f"Code {code} does not exist: the codebook has codes 0 to {num_codes - 1}.")
    out = codes.clone()
    out[..., int(row), int(col)] = int(code)
    return out


class VectorQuantizer(nn.Module):
    """K codes of dimension D; nearest-code lookup (eq. 11), eq. 12 terms, EMA update (eq. 13), restarts."""

    def __init__(self, num_codes: int, dim: int, update: str = "loss", gamma: float = 0.99,
                 restart: bool = False, dead_after: int = 20) -> None:
        super().__init__()
        if update not in ("loss", "ema"):
            raise ValueError(f"The codebook update must be 'loss' or 'ema'; got {update!r}.")
        self.K, self.D = num_codes, dim
        self.update_rule, self.gamma = update, gamma
        self.restart, self.dead_after = restart, dead_after
        # uniform(-1/K, 1/K) as the reference implementations: small codes near the origin
        e = torch.empty(num_codes, dim).uniform_(-1.0 / num_codes, 1.0 / num_codes)
        if update == "loss":
            self.embedding = nn.Parameter(e)
        else:
            self.register_buffer("embedding", e)
            self.register_buffer("ema_N", torch.ones(num_codes))       # N_i of eq. 13
            self.register_buffer("ema_m", e.clone())                   # m_i of eq. 13 (so e_i = m_i / N_i)
        self.register_buffer("counts", torch.zeros(num_codes))         # uses in the current epoch
        self.register_buffer("last_counts", torch.zeros(num_codes))    # uses in the last full epoch
        self.register_buffer("last_used", torch.zeros(num_codes, dtype=torch.long))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    # -- eq. 11 ------------------------------------------------------------------------------
    def nearest(self, flat: Tensor, allowed: Tensor | None = None) -> Tensor:
        """(N, D) -> (N,) index of the nearest code, only among ``allowed`` codes when given."""
        e = self.embedding.detach()
        # ‖z − e‖² = ‖z‖² − 2 z·e + ‖e‖², without materialising (N, K, D)
        d = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ e.T + e.pow(2).sum(1)[None]   # (N, K)
        if allowed is not None:
            allowed = allowed.to(device=d.device, dtype=torch.bool)
            if allowed.shape != (self.K,) or not bool(allowed.any()):
                raise ValueError("At least one code must stay switched on.")
            d = d.masked_fill(~allowed[None], float("inf"))
        return d.argmin(1)

    def lookup(self, indices: Tensor) -> Tensor:
        """(B, h, w) indices -> (B, D, h, w) code vectors."""
        return self.embedding.detach()[indices].permute(0, 3, 1, 2).contiguous()

    def forward(self, z_e: Tensor, allowed: Tensor | None = None) -> Quantized:
        B, D, h, w = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, D)               # (N, D), N = B·h·w
        idx = self.nearest(flat.detach(), allowed)                  # (N,)        eq. 11
        e_k = self.embedding[idx]                                   # (N, D)
        vq = F.mse_loss(e_k, flat.detach())                         # ‖sg[z_e] − e_k‖² / (N·D)   eq. 12
        commit = F.mse_loss(flat, e_k.detach())                     # ‖z_e − sg[e_k]‖² / (N·D)   eq. 12
        # straight-through: the forward value is e_k, the backward is the identity to z_e
        z_q = flat + (e_k - flat).detach()
        z_q = z_q.view(B, h, w, D).permute(0, 3, 1, 2)
        return Quantized(z_q, idx.view(B, h, w), vq, commit, flat.detach())

    # -- after an optimiser step --------------------------------------------------------------
    @torch.no_grad()
    def ema_update(self, flat: Tensor, idx: Tensor) -> None:
        """One step of eq. 13 on the batch's encoder outputs ``flat`` (N, D) and their codes ``idx``."""
        g = self.gamma
        n = torch.bincount(idx, minlength=self.K).to(flat.dtype)               # n_i       (K,)
        s = torch.zeros_like(self.ema_m).index_add_(0, idx, flat)              # Σ_j z_ij  (K, D)
        self.ema_N.mul_(g).add_((1 - g) * n)
        self.ema_m.mul_(g).add_((1 - g) * s)
        # unused codes shrink N and m alike, so m/N is unchanged; only underflow needs a guard
        ok = self.ema_N > 1e-12
        self.embedding[ok] = self.ema_m[ok] / self.ema_N[ok, None]

    @torch.no_grad()
    def after_step(self, flat: Tensor, idx: Tensor, generator: torch.Generator | None = None) -> int:
        """EMA update (if on), usage counts, dead-code restart (if on). Returns the number of dead codes.

        A code is dead when no cell chose it for ``dead_after`` steps; a restart moves it onto a
        random encoder output of this batch, where it is sure to be chosen again. (With the loss
        update its Adam moments are left alone: a dead code had zero gradient, so they have decayed.)
        """
        idx = idx.reshape(-1)
        if self.update_rule == "ema":
            self.ema_update(flat, idx)
        self.steps += 1
        n = torch.bincount(idx, minlength=self.K)
        self.counts += n.to(self.counts.dtype)
        self.last_used[n > 0] = self.steps
        dead = (self.steps - self.last_used) >= self.dead_after
        n_dead = int(dead.sum())
        if self.restart and n_dead:
            gen = {} if generator is None else {"generator": generator}
            pick = torch.randint(0, flat.shape[0], (n_dead,), device=flat.device, **gen)
            new = flat[pick] + 0.01 * flat.std() * torch.randn(n_dead, self.D, device=flat.device, **gen)
            self.embedding.data[dead] = new
            if self.update_rule == "ema":
                self.ema_m[dead] = new
                self.ema_N[dead] = 1.0
            self.last_used[dead] = self.steps
        return n_dead

    def end_epoch(self) -> None:
        """Keep this epoch's usage counts as 'the last epoch' and start counting afresh."""
        if float(self.counts.sum()) > 0:
            self.last_counts.copy_(self.counts)
        self.counts.zero_()

    def usage(self) -> Tensor:
        """Uses of each code over the last full epoch (the running epoch's before the first ends)."""
        return self.last_counts.clone() if float(self.last_counts.sum()) > 0 else self.counts.clone()
