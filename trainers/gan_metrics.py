"""What the GAN lab measures and draws, as plain arrays (no plotting here).

* :func:`mode_coverage`: modes covered and % high-quality samples on a mixture of Gaussians, as in the
  tables of VEEGAN (Srivastava et al., 2017), PacGAN (Lin et al., 2018) and Unrolled GAN (Metz et al., 2017).
* :func:`d_heatmap`: D (or the critic) on a grid, for the background of the 2D view (GAN Lab).
* :func:`generator_arrows`: where G's loss pushes each generated point, −∇_x L_G at x = G(z).
* :func:`d_scores`: D on real and fake samples, for the histograms of image mode.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .data import MODE_STD, mode_centers
from .metrics import grid_2d


@dataclass
class Coverage:
    modes_covered: int        # mixture components with at least ``min_count`` high-quality samples
    n_modes: int
    high_quality: float       # % of samples within 3σ of their nearest mode
    per_mode: list[int]       # high-quality samples per mode

    def __str__(self) -> str:
        return f"{self.modes_covered}/{self.n_modes} modes covered, {self.high_quality:.1f}% high-quality samples"


def mode_coverage(samples: Tensor, centers: Tensor, std: float, min_count: int = 1,
                  n_sigma: float = 3.0) -> Coverage:
    """Assign each sample to its nearest centre; it is *high quality* when within ``n_sigma``·σ of it.

    A mode is *covered* when at least ``min_count`` high-quality samples landed on it (VEEGAN counts a
    mode as soon as one does: ``min_count=1``). samples (N, 2), centers (K, 2).
    """
    if samples.dim() != 2 or centers.dim() != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"mode_coverage needs samples (N, d) and centres (K, d); got {tuple(samples.shape)} "
                         f"and {tuple(centers.shape)}.")
    if std <= 0 or min_count < 1:
        raise ValueError("mode_coverage needs a positive σ and min_count ≥ 1.")
    samples = samples.detach().float().cpu()
    centers = centers.detach().float().cpu()
    if samples.shape[0] == 0:
        return Coverage(0, centers.shape[0], 0.0, [0] * centers.shape[0])
    dist = torch.cdist(samples, centers)                               # (N, K)
    d_min, nearest = dist.min(1)                                       # (N,), (N,)
    good = d_min <= n_sigma * std                                      # (N,) non-finite samples are never good
    per_mode = torch.bincount(nearest[good], minlength=centers.shape[0])   # (K,)
    return Coverage(int((per_mode >= min_count).sum()), centers.shape[0],
                    100.0 * float(good.float().mean()), per_mode.tolist())


def dataset_coverage(model, dataset_name: str, n: int = 2500, min_count: int = 1) -> Coverage | None:
    """Coverage of ``n`` samples on a built-in mixture (ring of 8, grid of 25); None for other data."""
    if dataset_name not in MODE_STD:
        return None
    was = model.training
    model.eval()
    try:
        x = model.sample(n)
    finally:
        model.train(was)
    return mode_coverage(x, mode_centers(dataset_name), MODE_STD[dataset_name], min_count=min_count)


def _batch_stat(model, n: int = 256) -> Tensor | None:
    """With minibatch std, D's answer depends on the batch: evaluate the grid as if among fakes."""
    if not getattr(model.D, "mbstd", False):
        return None
    from .gan_nets import minibatch_std
    return minibatch_std(model.D.features(model.sample(n)))


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
        v = model.D(pts.to(model.device), stat=_batch_stat(model))
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
            stat = _batch_stat(model)
        x = x.detach().requires_grad_(True)
        with torch.enable_grad():
            # the adversarial pull, also under feature matching (whose loss is a batch statistic)
            loss = model.g_loss(model.D(x, stat=stat))
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
        s_real, s_fake = model.D(real), model.D(fake)
        if model.cfg.objective in ("minimax", "non-saturating"):
            s_real, s_fake = torch.sigmoid(s_real), torch.sigmoid(s_fake)
    finally:
        model.train(was)
    return s_real.cpu().numpy(), s_fake.cpu().numpy()
