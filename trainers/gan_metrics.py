"""What the GAN lab measures and draws, as plain arrays (no plotting here).

* :func:`mode_coverage`: modes covered and % high-quality samples on a mixture of Gaussians, as in the
  tables of VEEGAN (Srivastava et al., 2017), PacGAN (Lin et al., 2018) and Unrolled GAN (Metz et al., 2017).
* :func:`d_heatmap`: D (or the critic) on a grid, for the background of the 2D view (GAN Lab).
* :func:`generator_arrows`: where G's loss pushes each generated point, −∇_x L_G at x = G(z).
* :func:`d_scores`: D on real and fake samples, for the histograms of image mode.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .data import MODE_STD, mode_centers
from .metrics import grid_2d


# A mode is covered when it holds at least this share of the samples a perfect generator would put there
# (N/K of N samples on K equally weighted modes). See mode_coverage for why not VEEGAN's "one sample".
COVER_SHARE = 1 / 3
N_SAMPLES = 2500          # samples drawn for the readout, as in VEEGAN's and PacGAN's tables


@dataclass
class Coverage:
    modes_covered: int        # mixture components with at least ``min_count`` high-quality samples
    n_modes: int
    high_quality: float       # % of samples within 3σ of their nearest mode
    per_mode: list[int]       # high-quality samples per mode
    min_count: int = 1        # the count a mode needed to be covered

    def __str__(self) -> str:
        return f"{self.modes_covered}/{self.n_modes} modes covered, {self.high_quality:.1f}% high-quality samples"


def mode_count_needed(n: int, n_modes: int, share: float = COVER_SHARE) -> int:
    """High-quality samples a mode needs, of ``n``, to count as covered: ⌈share · n / K⌉ (at least 1)."""
    return max(1, math.ceil(share * n / n_modes))


def mode_coverage(samples: Tensor, centers: Tensor, std: float, min_share: float = COVER_SHARE,
                  n_sigma: float = 3.0, min_count: int | None = None) -> Coverage:
    """Assign each sample to its nearest centre; it is *high quality* when within ``n_sigma``·σ of it
    (VEEGAN, Srivastava et al., 2017; PacGAN, Lin et al., 2018, uses the same 3σ).

    A mode is *covered* when at least ``min_share`` of its fair share N/K of the N samples are high-quality
    samples on it: with the defaults, a third of what a perfect generator would put there (⌈2500/(3·8)⌉ = 105
    on the ring of 8, 34 on the grid of 25). VEEGAN and PacGAN count a mode as soon as *one* high-quality
    sample lands on it (``min_count=1``); with this lab's 3σ circles (σ = 0.05) an N(0, I) blob, a uniform
    square and a ring without modes all pass that test on every mode, so the share rule replaces it here.
    samples (N, d), centers (K, d). ``min_count``: a fixed count instead of the share (1: the papers' rule).
    """
    if samples.dim() != 2 or centers.dim() != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"mode_coverage needs samples (N, d) and centres (K, d); got {tuple(samples.shape)} "
                         f"and {tuple(centers.shape)}.")
    if std <= 0 or not 0 < min_share <= 1 or (min_count is not None and min_count < 1):
        raise ValueError("mode_coverage needs a positive σ, a share in (0, 1] and min_count ≥ 1.")
    samples = samples.detach().float().cpu()
    centers = centers.detach().float().cpu()
    K = centers.shape[0]
    need = min_count if min_count is not None else mode_count_needed(samples.shape[0], K, min_share)
    if samples.shape[0] == 0:
        return Coverage(0, K, 0.0, [0] * K, need)
    dist = torch.cdist(samples, centers)                               # (N, K)
    d_min, nearest = dist.min(1)                                       # (N,), (N,)
    good = d_min <= n_sigma * std                                      # (N,) non-finite samples are never good
    per_mode = torch.bincount(nearest[good], minlength=K)              # (K,)
    return Coverage(int((per_mode >= need).sum()), K, 100.0 * float(good.float().mean()), per_mode.tolist(), need)


def dataset_coverage(model, dataset_name: str, n: int = N_SAMPLES, min_share: float = COVER_SHARE) -> Coverage | None:
    """Coverage of ``n`` samples on a built-in mixture (ring of 8, grid of 25); None for other data."""
    if dataset_name not in MODE_STD:
        return None
    was = model.training
    model.eval()
    try:
        x = model.sample(n)
    finally:
        model.train(was)
    return mode_coverage(x, mode_centers(dataset_name), MODE_STD[dataset_name], min_share=min_share)


def _batch_refs(model) -> dict[str, Tensor]:
    """With a batch layer in D (minibatch std or discrimination), D's answer for a point depends on its
    batch: evaluate each grid point as if it sat in a training batch of fakes (``batch_size − 1`` others)."""
    D = model.D
    if not getattr(D, "batch_dependent", False):
        return {}
    from .gan_nets import minibatch_std
    h = D.features(model.sample(max(model.cfg.batch_size - 1, 2)))
    refs: dict[str, Tensor] = {}
    if D.mbstd:
        refs["stat"] = minibatch_std(h)
    if D.mbdisc is not None:
        refs["ref"] = h
    return refs


@torch.no_grad()
def d_heatmap(model, xlim: tuple[float, float] = (-3, 3), ylim: tuple[float, float] = (-3, 3),
              n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs (n,), ys (n,), values (n, n)): D(x) = σ(logit) in [0, 1] for the GAN objectives, the raw
    critic value for WGAN, WGAN-GP and hinge. values[i, j] is at (xs[j], ys[i])."""
    if n < 2 or xlim[0] >= xlim[1] or ylim[0] >= ylim[1]:
        raise ValueError("The heatmap needs at least 2 grid points and increasing limits.")
    was = model.training
    model.eval()
    try:
        xs, ys, pts = grid_2d(xlim, ylim, n)
        v = model.D(pts.to(model.device), **_batch_refs(model))
        if model.cfg.objective in ("minimax", "non-saturating"):
            v = torch.sigmoid(v)
    finally:
        model.train(was)
    return xs, ys, v.view(n, n).cpu().numpy()


def generator_arrows(model, n: int = 200, z: Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(points (n, 2), arrows (n, 2)): each generated point x = G(z) and −∇_x L_G(x), the direction the
    generator's loss pulls it through D (GAN Lab's arrows). Arrows are not normalised."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = model.sample(n, z=z)
            refs = _batch_refs(model)
        x = x.detach().requires_grad_(True)
        with torch.enable_grad():
            # the adversarial pull, also under feature matching (whose loss is a batch statistic)
            loss = model.g_loss(model.D(x, **refs))
            # g_loss is a mean: scale back to per-sample gradients
            (grad,) = torch.autograd.grad(loss * x.shape[0], x)
    finally:
        model.train(was)
    return x.detach().cpu().numpy(), (-grad).cpu().numpy()


@torch.no_grad()
def d_scores(model, real: Tensor, n: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """D's outputs (σ(logit) for the GAN objectives, raw otherwise) on n real and n fake samples."""
    was = model.training
    model.eval()
    try:
        real = real[:n].to(model.device)
        fake = model.sample(real.shape[0])
        bs = model.cfg.batch_size            # batch layers in D see batches of the size they trained on
        s_real = torch.cat([model.D(c) for c in real.split(bs)])
        s_fake = torch.cat([model.D(c) for c in fake.split(bs)])
        if model.cfg.objective in ("minimax", "non-saturating"):
            s_real, s_fake = torch.sigmoid(s_real), torch.sigmoid(s_fake)
    finally:
        model.train(was)
    return s_real.cpu().numpy(), s_fake.cpu().numpy()
