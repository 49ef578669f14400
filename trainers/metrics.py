"""Projections of latent codes (PCA, t-SNE) and a few shared statistics."""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def pca(z: Tensor | np.ndarray, k: int = 2) -> np.ndarray:
    """The first ``k`` principal components of ``z`` (N, d) -> (N, k); pads with zeros when d < k."""
    z = np.asarray(torch.as_tensor(z, dtype=torch.float32).cpu(), dtype=np.float64)
    z = z - z.mean(0, keepdims=True)
    if z.shape[1] < k:
        return np.concatenate([z, np.zeros((z.shape[0], k - z.shape[1]))], 1).astype(np.float32)
    _, vecs = np.linalg.eigh(z.T @ z)          # d×d: cheap whatever N is
    return (z @ vecs[:, ::-1][:, :k]).astype(np.float32)


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
