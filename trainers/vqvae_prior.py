"""A learnt prior over VQ-VAE code maps, to sample new images (seed 000 §1.3.2, VQ-VAE-2; Razavi et al. 2019).

The VQ-VAE is trained with a uniform prior over codes; to generate, one fits an autoregressive
model p(k_1, ..., k_T) = Π_t p(k_t | k_<t) to the code maps of the training images, samples a
map cell by cell and decodes it. The papers use a PixelCNN; here a tiny causal transformer
(nanoGPT-style, no blind spot) reads the cells in raster order — for VQ-VAE-2 the whole top
map first, then the bottom map, so the bottom codes are drawn knowing the global layout.
Loss: cross-entropy in nats per code.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import ConfigBase, adam, param


@dataclass
class PriorConfig(ConfigBase):
    layers: int = param(2, "Transformer layers of the prior.", lo=1, hi=6, step=1, label="prior layers")
    width: int = param(64, "Width of the prior (embedding size); a multiple of 16.", lo=16, hi=256, step=16,
                       label="prior width")
    lr: float = param(3e-3, "Adam learning rate of the prior.", lo=1e-5, hi=1.0, log=True, label="prior learning rate")
    batch_size: int = param(128, "Code maps per step.", lo=1, hi=4096, step=1, label="prior batch size")
    steps: int = param(200, "Optimizer steps per 'Train prior' click.", lo=1, hi=100_000, step=50, label="prior steps")
    temperature: float = param(1.0, "Sampling temperature: < 1 safer, more typical samples; > 1 wilder.",
                               lo=0.05, hi=3.0, step=0.05, label="temperature")
    seed: int = param(0, "Random seed of the prior.", lo=0, hi=2**31 - 1, step=1)

    def validate(self) -> None:
        if self.width % 16:
            raise ValueError(f"The prior width must be a multiple of 16 (4 attention heads); got {self.width}.")


def _check_vq(vq_model: object) -> None:
    from .vqvae import Model   # local: vqvae does not need the prior
    if vq_model is None:
        raise ValueError("Train a VQ-VAE first: the prior learns the code maps of a trained VQ-VAE.")
    if not isinstance(vq_model, Model):
        raise ValueError("The prior needs a VQ-VAE model (its code maps); got "
                         f"{type(vq_model).__name__}.")
    if int(vq_model.steps_done) == 0:
        raise ValueError("This VQ-VAE has not been trained yet: train it for a few seconds, then fit the prior.")


@torch.no_grad()
def code_sequences(vq_model: nn.Module, x: Tensor, batch_size: int = 1000) -> Tensor:
    """(N, T) code indices of images x: each level's map flattened in raster order, top first."""
    _check_vq(vq_model)
    was = vq_model.training
    vq_model.eval()
    try:
        out = []
        for i in range(0, x.shape[0], batch_size):
            c = vq_model.codes(x[i:i + batch_size].to(vq_model.device))
            out.append(torch.cat([c[lv].flatten(1) for lv in vq_model.levels], 1))
    finally:
        vq_model.train(was)
    return torch.cat(out)


class CodePrior(nn.Module):
    """p(k_t | k_<t) over the cells of one image's code maps, by a small causal transformer."""

    kind = "transformer"

    def __init__(self, cfg: PriorConfig, vq_model: nn.Module) -> None:
        super().__init__()
        _check_vq(vq_model)
        self.cfg = cfg
        self.K = vq_model.cfg.num_codes
        self.levels = list(vq_model.levels)
        self.grid = {lv: tuple(vq_model.grid[lv]) for lv in self.levels}
        self.sizes = [self.grid[lv][0] * self.grid[lv][1] for lv in self.levels]
        self.T = sum(self.sizes)
        d = cfg.width
        # each level has its own token ids (k + level·K), plus one start token
        self.start = len(self.levels) * self.K
        self.tok = nn.Embedding(self.start + 1, d)
        self.pos = nn.Parameter(0.02 * torch.randn(self.T, d))
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.0, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, self.K)
        # derived from the shapes, so not part of the weights a checkpoint stores (persistent=False)
        self.register_buffer("mask", torch.triu(torch.full((self.T, self.T), float("-inf")), 1), persistent=False)
        lvl = torch.cat([torch.full((s,), i) for i, s in enumerate(self.sizes)])
        self.register_buffer("offset", lvl * self.K, persistent=False)   # (T,) token offset of each cell
        self.losses: list[float] = []                                # one per step: the loss curve
        self.vq_steps = int(vq_model.steps_done)                     # which VQ-VAE the codes came from

    def logits(self, seq: Tensor) -> Tensor:
        """seq (B, t ≤ T) codes -> (B, t, K) logits of each cell given the cells before it."""
        B, t = seq.shape
        # 1. shift right: position i sees the start token and cells < i
        tokens = torch.cat([torch.full((B, 1), self.start, device=seq.device, dtype=torch.long),
                            seq[:, :-1] + self.offset[: t - 1]], 1)          # (B, t)
        h = self.tok(tokens) + self.pos[:t]                                    # (B, t, d)
        # 2. causal self-attention blocks
        h = self.blocks(h, mask=self.mask[:t, :t], is_causal=True)
        return self.head(self.ln(h))                                           # (B, t, K)

    def nll(self, seq: Tensor) -> Tensor:
        """Mean cross-entropy −log p(k_t | k_<t), nats per code."""
        return F.cross_entropy(self.logits(seq).reshape(-1, self.K), seq.reshape(-1))

    def fit(self, seqs: Tensor, steps: int | None = None, seconds: float | None = None,
            cancel: Callable[[], bool] | None = None) -> Iterator[tuple[int, float]]:
        """Train on (N, T) code sequences; yields (step, loss) after every step."""
        if seqs.dim() != 2 or seqs.shape[1] != self.T:
            raise ValueError(f"The prior expects code sequences of length {self.T}; got shape {tuple(seqs.shape)}.")
        self.optimizer()
        steps = self.cfg.steps if steps is None and seconds is None else steps
        g = torch.Generator().manual_seed(self.cfg.seed + len(self.losses))
        seqs = seqs.to(next(self.parameters()).device)     # (also PixelCNNPrior's, trainers/vqvae_pixelcnn.py)
        start, done = time.perf_counter(), 0
        self.train()
        try:
            while (steps is None or done < steps) and (seconds is None or time.perf_counter() - start < seconds):
                if cancel is not None and cancel():
                    return
                idx = torch.randint(0, seqs.shape[0], (min(self.cfg.batch_size, seqs.shape[0]),), generator=g)
                loss = self.nll(seqs[idx.to(seqs.device)])
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                self.opt.step()
                done += 1
                self.losses.append(float(loss.detach()))
                yield len(self.losses), self.losses[-1]
        finally:
            self.eval()

    def optimizer(self) -> torch.optim.Optimizer:
        """The prior's Adam, made on first use (and by a checkpoint that restores its moments)."""
        if not hasattr(self, "opt"):
            self.opt = adam(self.parameters(), lr=self.cfg.lr)
        return self.opt

    def checkpoint_state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """What an export stores (trainers/checkpoint.py, ``run.extras``): weights ``w.*``, Adam's moments
        ``opt0.*``, the loss curve ``losses``; and the JSON: kind, settings, the VQ-VAE step it was fitted at."""
        from .checkpoint import optimizer_tensors
        tensors = {f"w.{k}": v.detach().cpu().clone() for k, v in self.state_dict().items()}
        if hasattr(self, "opt"):
            tensors.update(optimizer_tensors([self.opt])[0])
        tensors["losses"] = torch.tensor(self.losses, dtype=torch.float64)
        return tensors, {"kind": self.kind, "config": self.cfg.to_dict(), "vq_steps": int(self.vq_steps)}

    @torch.no_grad()
    def sample_seq(self, n: int, temperature: float | None = None, generator: torch.Generator | None = None) -> Tensor:
        """(n, T) code sequences drawn cell by cell from the prior."""
        tau = self.cfg.temperature if temperature is None else float(temperature)
        if not 0 < tau <= 10:
            raise ValueError(f"The temperature must be above 0 (and at most 10); got {temperature}.")
        seq = torch.zeros(n, 0, dtype=torch.long, device=self.pos.device)
        for t in range(self.T):
            # the logits of cell t only need cells < t; a dummy last entry is never read
            probe = torch.cat([seq, torch.zeros(n, 1, dtype=torch.long, device=seq.device)], 1)
            p = F.softmax(self.logits(probe)[:, -1] / tau, -1)
            nxt = torch.multinomial(p, 1, generator=generator)
            seq = torch.cat([seq, nxt], 1)
        return seq

    def split(self, seq: Tensor) -> dict[str, Tensor]:
        """(n, T) -> {level: (n, h, w)} code maps, as VQ-VAE's ``decode_codes`` takes them."""
        out, i = {}, 0
        for lv, s in zip(self.levels, self.sizes):
            out[lv] = seq[:, i:i + s].reshape(-1, *self.grid[lv])
            i += s
        return out

    @torch.no_grad()
    def sample_images(self, vq_model: nn.Module, n: int, temperature: float | None = None,
                      generator: torch.Generator | None = None) -> Tensor:
        """Draw n code maps from the prior and decode them with the VQ-VAE: (n, C, H, W) in [0, 1]."""
        _check_vq(vq_model)
        if list(vq_model.levels) != self.levels or vq_model.cfg.num_codes != self.K:
            raise ValueError("This prior was fitted to a different VQ-VAE (levels or codebook size differ); "
                             "fit the prior again.")
        was = vq_model.training
        vq_model.eval()
        try:
            return vq_model.decode_codes(self.split(self.sample_seq(n, temperature, generator)))
        finally:
            vq_model.train(was)


def restore(name: str, meta: dict[str, Any], tensors: dict[str, Tensor], vq_model: nn.Module) -> CodePrior:
    """A prior from an export (what :meth:`CodePrior.checkpoint_state` wrote), fitted to ``vq_model``; every
    part is checked first and a misfit is a ValueError that names it (trainers/checkpoint.py calls this)."""
    from .checkpoint import load_optimizers, load_weights
    from .vqvae_pixelcnn import PixelCNNPrior
    kinds = {CodePrior.kind: CodePrior, PixelCNNPrior.kind: PixelCNNPrior}
    what = f"the prior {name!r}"
    kind = meta.get("kind")
    if kind not in kinds:
        raise ValueError(f"{what}: unknown kind {kind!r}; known: {', '.join(kinds)}.")
    try:
        cfg = PriorConfig.from_dict(meta.get("config") if isinstance(meta.get("config"), dict) else {})
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: its settings are not valid ({e}).") from None
    vq_steps = meta.get("vq_steps", 0)
    if isinstance(vq_steps, bool) or not isinstance(vq_steps, int) or vq_steps < 0:
        raise ValueError(f"{what}: vq_steps must be a whole number ≥ 0; got {vq_steps!r}.")
    losses = tensors.get("losses", torch.zeros(0))
    if losses.dim() != 1 or not losses.is_floating_point() or not torch.isfinite(losses).all():
        raise ValueError(f"{what}: its loss curve must be a list of finite numbers.")
    prior = kinds[kind](cfg, vq_model)                 # ValueError if the VQ-VAE was never trained
    load_weights(prior, {k[2:]: v for k, v in tensors.items() if k.startswith("w.")}, f"weights of {what}")
    if any(k.startswith("opt0.") for k in tensors):
        load_optimizers([prior.optimizer()], {k: v for k, v in tensors.items() if k.startswith("opt0.")})
    prior.losses = [float(v) for v in losses.tolist()]
    prior.vq_steps = vq_steps
    prior.eval()                                      # on the CPU, where the tab builds its priors
    return prior
