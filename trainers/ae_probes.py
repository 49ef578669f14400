"""What the Autoencoders tab shows beyond curves: anomaly scores, code sensitivity, and the "holes"
of an AE's latent space next to a VAE's (seed 001, "AE vs VAE"; seed 002, applications).

Pure PyTorch (plus scikit-learn's ROC AUC): every function takes a model or a dataset and returns
tensors or numbers, so a notebook or a test can use it without the UI.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from . import ae, loop
from .base import global_rng
from .data import Dataset


# ----------------------------------------------------------------------------- anomaly detection
def split_classes(data: Dataset, held_out: Sequence[int]) -> tuple[Dataset, Tensor, Tensor]:
    """Train on every class but ``held_out``; score normal test images against the held-out ones.

    Returns (the dataset without the held-out classes, normal test images, anomalous images). The
    held-out classes were never seen in training, so all of their images (train and test) are anomalies.
    """
    if data.y is None or data.y_test is None or data.num_classes < 2:
        raise ValueError("Anomaly detection needs labelled data (e.g. digits): this dataset has no classes.")
    held = sorted({int(c) for c in held_out})
    if not held:
        raise ValueError("Pick at least one class to hold out as the anomalies.")
    if any(c < 0 or c >= data.num_classes for c in held):
        raise ValueError(f"Held-out classes must be between 0 and {data.num_classes - 1}; got {held}.")
    if len(held) >= data.num_classes:
        raise ValueError("Keep at least one class for training: you held out all of them.")
    h = torch.tensor(held, device=data.y.device)
    out_tr, out_te = torch.isin(data.y, h), torch.isin(data.y_test, h)
    normal = dataclasses.replace(data, name=f"{data.name} without {','.join(map(str, held))}",
                                 x=data.x[~out_tr], y=data.y[~out_tr], x_test=data.x_test[~out_te],
                                 y_test=data.y_test[~out_te], factors=None)
    anomalies = torch.cat([data.x[out_tr], data.x_test[out_te]])
    return normal, data.x_test[~out_te], anomalies


@torch.no_grad()
def recon_errors(model: Any, x: Tensor, batch_size: int = 1000) -> Tensor:
    """Anomaly score of each image: its squared reconstruction error ‖x − x'‖², (N,)."""
    out = [(model.reconstruct(xb) - xb).pow(2).flatten(1).sum(1) for xb in x.split(batch_size)]
    return torch.cat(out) if out else x.new_zeros(0)


def roc_auc(normal: Tensor | np.ndarray, anomalous: Tensor | np.ndarray) -> float:
    """Area under the ROC curve when a larger score means "anomaly" (0.5 = chance, 1 = perfect)."""
    from sklearn.metrics import roc_auc_score
    s0 = np.asarray(torch.as_tensor(normal).detach().cpu(), dtype=np.float64)
    s1 = np.asarray(torch.as_tensor(anomalous).detach().cpu(), dtype=np.float64)
    if len(s0) == 0 or len(s1) == 0:
        raise ValueError("ROC AUC needs both normal and anomalous images.")
    labels = np.r_[np.zeros(len(s0)), np.ones(len(s1))]
    return float(roc_auc_score(labels, np.r_[s0, s1]))


def anomaly_report(model: Any, x_normal: Tensor, x_anomalous: Tensor) -> dict[str, Any]:
    """Scores of both groups (for the two histograms) and the ROC AUC."""
    s0, s1 = recon_errors(model, x_normal), recon_errors(model, x_anomalous)
    return {"normal": s0.cpu().numpy(), "anomalous": s1.cpu().numpy(), "auc": roc_auc(s0, s1)}


# ----------------------------------------------------------------------------- contraction
@torch.no_grad()
def code_sensitivity(model: Any, x: Tensor, eps: float = 0.05, seed: int = 0) -> Tensor:
    """How far the code moves when x moves a little: ‖h(x + εu) − h(x)‖ / ε for a random unit
    direction u per image, (N,). A finite-difference look at ‖J‖ along u (seed 000, eq. 4)."""
    if eps <= 0:
        raise ValueError(f"The perturbation size must be positive; got {eps:g}.")
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(x.shape, generator=g).to(x.device)
    u = u / u.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *[1] * (x.dim() - 1))
    return (model.latents(x + eps * u) - model.latents(x)).norm(dim=1) / eps


@torch.no_grad()
def sensitivity_curve(model: Any, x: Tensor, eps: Sequence[float], seed: int = 0) -> np.ndarray:
    """For each ε: the median ‖h(x + εu) − h(x)‖ over images, divided by the typical distance between two
    images' codes (so codes of any scale compare), (len(eps),). One encoder call for every ε."""
    if min(eps) <= 0:
        raise ValueError("Perturbation sizes must be positive.")
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(x.shape, generator=g).to(x.device)
    u = u / u.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *[1] * (x.dim() - 1))
    e = torch.tensor(list(eps), dtype=x.dtype, device=x.device).view(-1, 1, *[1] * (x.dim() - 1))
    xs = torch.cat([x[None], x[None] + e * u[None]]).flatten(0, 1)        # ((1 + E) · N, ...)
    h = model.latents(xs).view(len(eps) + 1, x.shape[0], -1)               # (1 + E, N, d)
    spread = max(_spread(h[0], seed), 1e-12)
    return ((h[1:] - h[:1]).norm(dim=2).median(dim=1).values / spread).cpu().numpy()


def _spread(h: Tensor, seed: int, pairs: int = 512) -> float:
    g = torch.Generator().manual_seed(seed)
    i = torch.randint(0, len(h), (pairs,), generator=g).to(h.device)
    j = torch.randint(0, len(h), (pairs,), generator=g).to(h.device)
    keep = i != j
    return float((h[i[keep]] - h[j[keep]]).norm(dim=1).median()) if keep.any() else 0.0


@torch.no_grad()
def code_spread(model: Any, x: Tensor, pairs: int = 512, seed: int = 0) -> float:
    """Typical distance between the codes of two different images: the yardstick for sensitivity."""
    return _spread(model.latents(x), seed, pairs)


# ----------------------------------------------------------------------------- holes (AE vs VAE)
def line(h0: Tensor, h1: Tensor, n: int) -> Tensor:
    """n codes evenly spaced on the straight segment from h0 to h1: (n, d)."""
    t = torch.linspace(0, 1, n, device=h0.device)[:, None]
    return (1 - t) * h0[None] + t * h1[None]


@torch.no_grad()
def decode_line(model: Any, x0: Tensor, x1: Tensor, n: int = 10) -> Tensor:
    """Decode the straight line between the codes of two images: (n, *image shape)."""
    h = model.latents(torch.stack([x0, x1]))
    return model.decode(line(h[0], h[1], n))


@torch.no_grad()
def random_decodes(model: Any, n: int, seed: int = 0) -> Tensor:
    """``model.sample(n)`` under a fixed seed: an AE decodes Gaussian codes matched to its training codes,
    a VAE decodes z ~ N(0, I), its prior."""
    with global_rng(seed):
        return model.sample(n)


def nearest_distance(images: Tensor, reference: Tensor, batch_size: int = 2048) -> Tensor:
    """RMS pixel distance from each image to its nearest reference image, (n,): near 0 looks like a real
    training image, large looks like nothing the data contains (a hole)."""
    a = images.flatten(1).float()
    best = torch.full((a.shape[0],), float("inf"), device=a.device)
    for rb in reference.flatten(1).float().to(a.device).split(batch_size):
        best = torch.minimum(best, torch.cdist(a, rb).min(1).values)
    return best / a.shape[1] ** 0.5


# ----------------------------------------------------------------------------- companions trained on the spot
def vae_config_like(cfg: ae.Config):
    """A VAE with the AE's code size, width, architecture and optimiser: a like-for-like comparison."""
    from . import vae
    return vae.Config(latent_dim=cfg.latent_dim, hidden=cfg.hidden, arch=cfg.arch, lr=min(cfg.lr, 1e-3),
                      batch_size=cfg.batch_size, seed=cfg.seed)


def zero_penalty_like(cfg: ae.Config) -> ae.Config:
    """The same network with λ = 0: the fair plain AE to compare a contractive AE against (same sigmoid
    code, only the penalty differs)."""
    return dataclasses.replace(cfg, lam=0.0)


def train_companion(family: str, cfg: Any, data: Dataset, steps: int, device: str | torch.device = "auto",
                    seconds: float | None = None, cancel: Any = None) -> loop.Run:
    """A fresh run of ``family`` trained for ``steps`` steps (the VAE or the λ = 0 AE for a comparison), or
    until ``seconds`` pass or ``cancel()`` says stop (its ``step`` then says how far it got)."""
    if steps < 1:
        raise ValueError(f"Train the comparison model for at least 1 step; got {steps}.")
    run = loop.Run(family, cfg, data, device=device)
    for _ in loop.train(run, steps=steps, seconds=seconds, cancel=cancel):
        pass
    return run
