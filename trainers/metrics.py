"""Projections of latent codes (PCA, t-SNE), a few shared statistics, and the 2D evaluation grid.

* :func:`pca`, :func:`pca_shared`: the one PCA (one array, or several arrays in one shared basis); :func:`tsne`.
* :func:`chamfer`, :func:`diversity`, :func:`noise_baseline`: how close samples lie to data, and their spread.
* :func:`grid_2d`, :func:`grid_around`: the mesh of points where a 2D field is evaluated (the GAN's D heatmap,
  the diffusion model's ε̂ arrows), one layout for both.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def pca_shared(*arrays: Tensor | np.ndarray, k: int = 2) -> list[np.ndarray]:
    """Project several (n_i, d) arrays onto the first ``k`` principal components of all their rows together,
    so they share one picture (e.g. a codebook and the encoder outputs it quantises): [(n_i, k)], float32.
    Each component's sign is arbitrary, as in any PCA. Pads with zeros when d < k."""
    zs = [np.asarray(torch.as_tensor(a, dtype=torch.float32).detach().cpu(), dtype=np.float64)
          for a in arrays]                                                   # [(n_i, d)]
    both = np.concatenate(zs, 0) if len(zs) > 1 else zs[0]                  # (N, d)
    mean = both.mean(0, keepdims=True)                                      # (1, d)
    d = both.shape[1]
    if d < k:
        comps = np.eye(d, k)                                                # (d, k): keep z, pad with zeros
    else:
        c = both - mean
        _, vecs = np.linalg.eigh(c.T @ c)      # d×d: cheap whatever N is; eigenvalues ascending
        comps = vecs[:, ::-1][:, :k]                                        # (d, k), largest variance first
    return [((z - mean) @ comps).astype(np.float32) for z in zs]


def pca(z: Tensor | np.ndarray, k: int = 2) -> np.ndarray:
    """The first ``k`` principal components of ``z`` (N, d) -> (N, k): :func:`pca_shared` of one array."""
    return pca_shared(z, k=k)[0]


def tsne(z: Tensor | np.ndarray, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """A 2D t-SNE of ``z`` (N, d), initialised by PCA so successive runs look alike."""
    from sklearn.manifold import TSNE
    z = np.asarray(torch.as_tensor(z, dtype=torch.float32).cpu())
    if z.shape[1] == 2:
        return z.copy()
    perplexity = min(perplexity, max(2.0, (z.shape[0] - 1) / 3))
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed, max_iter=500,
                learning_rate="auto").fit_transform(z).astype(np.float32)


def active_units(kl_per_dim: Tensor | list[float], threshold: float = 0.01) -> int:
    """Latent dimensions whose average KL exceeds ``threshold`` nats (the rest have collapsed to the prior)."""
    return int((torch.as_tensor(kl_per_dim) > threshold).sum())


def chamfer(a: Tensor, b: Tensor, chunk: int = 2048) -> float:
    """Symmetric Chamfer distance: ½ (mean_a min_b ‖a − b‖ + mean_b min_a ‖a − b‖), on flattened samples."""
    a, b = a.flatten(1).float(), b.flatten(1).float()
    if a.shape[0] == 0 or b.shape[0] == 0 or a.shape[1] != b.shape[1]:
        raise ValueError("Chamfer distance needs two non-empty sets of samples of the same size.")

    def directed(p: Tensor, q: Tensor) -> Tensor:
        # chunked so 4096 × 4096 image samples never build one huge distance matrix; the exact (non-matmul)
        # mode so a set's distance to itself is 0, not ~1e-3 of rounding
        return torch.cat([torch.cdist(p[i:i + chunk], q, compute_mode="donot_use_mm_for_euclid_dist").min(1).values
                          for i in range(0, p.shape[0], chunk)]).mean()

    return float(0.5 * (directed(a, b) + directed(b, a)))


def diversity(x: Tensor) -> float:
    """Mean distance between two different samples: the spread that guidance trades for fidelity."""
    x = x.flatten(1).float()
    n = x.shape[0]
    if n < 2:
        raise ValueError("Diversity needs at least 2 samples.")
    d = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")
    return float(d.sum() / (n * (n - 1)))


def noise_baseline(data: Tensor, n: int, seed: int = 0) -> float:
    """Chamfer distance between N(0, I) draws and the data: what an untrained sampler would score."""
    g = torch.Generator().manual_seed(seed)
    return chamfer(torch.randn(n, *data.shape[1:], generator=g), data.cpu())


def grid_2d(xlim: tuple[float, float], ylim: tuple[float, float], n: int) -> tuple[np.ndarray, np.ndarray, Tensor]:
    """(xs (n,), ys (n,), points (n², 2)): an n×n mesh over the box, row-major with y as the row, so a field
    evaluated on ``points`` reshapes to (n, n) with value[i, j] at (xs[j], ys[i]) (what a heatmap expects)."""
    xs = np.linspace(xlim[0], xlim[1], n, dtype=np.float32)
    ys = np.linspace(ylim[0], ylim[1], n, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)                                       # (n, n): rows are y, columns x
    pts = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1))       # (n², 2)
    return xs, ys, pts


def grid_around(points: Tensor, n: int = 20, margin: float = 0.3) -> Tensor:
    """The (n², 2) points of :func:`grid_2d` over the points' bounding box plus a margin (where arrows go)."""
    lo, hi = points.min(0).values - margin, points.max(0).values + margin
    return grid_2d((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])), n)[2]
