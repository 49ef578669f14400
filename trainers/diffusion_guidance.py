"""Classifier guidance for the diffusion family (Dhariwal & Nichol 2021, Alg. 1 and 2; seed 004 §3.2).

A classifier p_φ(y | x_t, t) is trained on *noisy* inputs x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (eq. 9), for every t,
so its gradient g = ∇_{x_t} log p_φ(y | x_t, t) means something all along the reverse chain. At sampling:

* DDPM (Alg. 1): x_{t−1} ~ N(μ + s Σ g, Σ), Σ = σ_t² I: the mean of eq. 11 shifted by s·σ_t²·g;
* DDIM (Alg. 2): ε̂ ← ε̂ − √(1 − ᾱ_t) · s · g, then the usual step. The notes (seed 004 §3.2) write this form,
  ε̂ = ε_θ − σ_t ∇ log p_φ(y | x_t), with σ_t = √(1 − ᾱ_t) and s = 1.

Both follow from ∇ log p(x_t | y) = ∇ log p(x_t) + ∇ log p(y | x_t) and score = −ε̂/√(1 − ᾱ_t).

The classifier trains alongside the denoiser, in the same step, on the same (x_t, t) draws (see
``Model.loss``): its parameters are disjoint from ε_θ's, so one Adam on the summed loss is exactly two
independent Adams, and Stop, continue, export and import carry it with no extra stage to manage.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .diffusion_samplers import DDIM, DDPM, Sampler
from .diffusion_unet import TimeEmbedding

GUIDES = ("none", "classifier-free", "classifier")


class NoisyClassifier(nn.Module):
    """p_φ(y | x_t, t) as logits (B, K): an MLP for points, a small strided conv net for images, each with
    the denoiser's sinusoidal time embedding added to its hidden features (Dhariwal & Nichol use the
    U-Net's downsampling half the same way)."""

    def __init__(self, data_shape: tuple[int, ...], T: int, num_classes: int, hidden: int = 64) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError("Classifier guidance needs labels: pick a labelled dataset (moons, ring of 8, "
                             "grid of 25, digits, …) or turn 'noisy classifier' off.")
        self.images = len(data_shape) == 3
        self.emb = TimeEmbedding(T, hidden)
        if self.images:
            c = data_shape[0]
            self.c1 = nn.Conv2d(c, hidden, 3, padding=1)
            self.c2 = nn.Conv2d(hidden, hidden, 3, stride=2, padding=1)
            self.c3 = nn.Conv2d(hidden, hidden, 3, stride=2, padding=1)
        else:
            self.inp = nn.Linear(data_shape[0], hidden)
            self.blocks = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(2))
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x_t: Tensor, t: Tensor) -> Tensor:
        e = self.emb(t)                                                     # (B, H)
        if self.images:
            h = F.silu(self.c1(x_t) + e[:, :, None, None])                  # (B, H, h, w)
            h = F.silu(self.c2(h) + e[:, :, None, None])                    # (B, H, h/2, w/2)
            h = F.silu(self.c3(h) + e[:, :, None, None]).mean((2, 3))       # (B, H): global average pool
        else:
            h = F.silu(self.inp(x_t) + e)
            for lin in self.blocks:
                h = h + F.silu(lin(h) + e)
        return self.out(h)                                                  # (B, K) logits


def classifier_terms(clf: nn.Module, x_t: Tensor, t: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Cross-entropy of p_φ(y | x_t, t) (to minimise) and its accuracy (detached), for the curves."""
    logits = clf(x_t.detach(), t)
    ce = F.cross_entropy(logits, y)
    acc = (logits.argmax(1) == y).float().mean().detach()
    return ce, acc


def grad_log_prob(classifier: Callable[[Tensor, Tensor], Tensor], x_t: Tensor, t: Tensor | int,
                  y: Tensor) -> Tensor:
    """g = ∇_{x_t} log p_φ(y | x_t, t) by autograd (Alg. 1 and 2); (B, ...) like x_t. Works inside no_grad."""
    B = x_t.shape[0]
    t = torch.as_tensor(t, device=x_t.device, dtype=torch.long)
    t = t.expand(B) if t.dim() == 0 else t
    with torch.enable_grad():
        x = x_t.detach().float().requires_grad_(True)
        logp = F.log_softmax(classifier(x, t), dim=-1)                      # (B, K)
        picked = logp.gather(1, y.view(-1, 1).to(x.device)).sum()           # Σ_b log p(y_b | x_b): rows independent
        (g,) = torch.autograd.grad(picked, x)
    return g.to(x_t.dtype)


@dataclass
class ClassifierGuidance:
    """What the reverse loop needs to guide every step: the classifier, the scale s and one label per sample."""
    classifier: Callable[[Tensor, Tensor], Tensor]      # (x_t, t) → logits (B, K)
    scale: float
    y: Tensor                                            # (n,) labels

    def __post_init__(self) -> None:
        s = self.scale
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0.0 <= float(s) <= 100.0:
            raise ValueError(f"The classifier scale s must be a number between 0 and 100; got {s!r}.")
        self.scale = float(s)

    def grad(self, x_t: Tensor, t: int, y: Tensor | None = None) -> Tensor:
        return grad_log_prob(self.classifier, x_t, t, self.y if y is None else y)

    def apply(self, sampler: Sampler, t: int, x_t: Tensor, eps_hat: Tensor) -> tuple[Tensor, Tensor | None, Tensor]:
        """(ε̂ for ``sampler.step``, the shift to add to its x_{t−1} (None: none), g) at step t."""
        g = self.grad(x_t, t)                                                  # 1. g = ∇ log p_φ(y | x_t)
        if isinstance(sampler, DDPM):
            var = sampler.sigma(t) ** 2                                        # Σ = σ_t² I of eq. 11
            return eps_hat, self.scale * var * g, g                            # 2. Alg. 1: μ + s Σ g
        if isinstance(sampler, DDIM):
            ab = sampler.schedule.alpha_bar[t]
            return eps_hat - (1 - ab).sqrt() * self.scale * g, None, g         # 2. Alg. 2: ε̂ − √(1−ᾱ_t) s g
        raise ValueError(f"Classifier guidance is written for DDPM and DDIM; got the {sampler.name!r} sampler.")


@torch.no_grad()
def noisy_accuracy(model, x0: Tensor, y: Tensor, t_max: int | None = None, seed: int = 0) -> float:
    """Accuracy of the model's classifier on fresh noisy inputs x_t (eq. 9), t ~ U{0 … t_max−1}: a check
    independent of the training draws (own generator, held-out points)."""
    clf = getattr(model, "classifier", None)
    if clf is None:
        raise ValueError("This model has no noisy classifier: tick 'noisy classifier (guidance)' and train.")
    s = model.sched()
    g = torch.Generator(device=model.device).manual_seed(seed)
    x0 = model.to_model_space(x0.to(model.device))
    t = torch.randint(0, t_max or s.T, (x0.shape[0],), generator=g, device=model.device)
    x_t = s.q_sample(x0, t, torch.randn(x0.shape, generator=g, device=model.device))
    return float((clf(x_t, t).argmax(1) == y.to(model.device)).float().mean())
