"""The small conv classifier whose penultimate features are the feature space of every sample-quality score
(trainers/quality.py): the stand-in for the Inception network of FID (Heusel et al. 2017), which could not be
downloaded here and would mean nothing on 8×8 digits anyway.

One classifier per image data set, trained once in a few seconds on 2 CPU cores (or read from
``assets/quality/<name>.safetensors`` for the built-in sets: weights only, never a pickle), then cached
for the life of the process.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .base import global_rng
from .data import Dataset

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "quality"
FEATURES = 64                      # size of the penultimate layer: the feature space of FID, KID, P&R
SHIPPED = ("digits", "sprites", "mnist")    # sets whose trained weights ship in assets/quality/


class Classifier(nn.Module):
    """conv 3×3 → (stride-2 convs until the map is at most 8×8) → conv 3×3 → 4×4 average pool → linear to
    ``FEATURES`` (the features, taken before their ReLU) → ReLU → linear to the classes."""

    def __init__(self, shape: tuple[int, ...], num_classes: int, width: int = 16) -> None:
        super().__init__()
        c, h = int(shape[0]), int(shape[1])
        self.shape, self.num_classes, self.width = tuple(int(s) for s in shape), int(num_classes), int(width)
        layers: list[nn.Module] = [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
        while h > 8:                                   # 32 → 16 → 8, 28 → 14 → 7
            layers += [nn.Conv2d(width, width, 3, stride=2, padding=1), nn.ReLU()]
            h = (h + 1) // 2
        layers += [nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten()]
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(2 * width * 16, FEATURES)
        self.head = nn.Linear(FEATURES, num_classes)

    def features(self, x: Tensor) -> Tensor:
        """(B, C, H, W) images in [0, 1] → (B, FEATURES) penultimate features."""
        return self.fc(self.body(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(F.relu(self.features(x)))


def fit(data: Dataset, seed: int = 0, steps: int = 500, max_train: int = 12_000,
        batch_size: int = 128, lr: float = 3e-3) -> tuple[Classifier, float]:
    """Train a classifier on ``data``'s training split (at most ``max_train`` images); returns it with its
    accuracy on the held-out test split. Deterministic for a seed (global RNG forked, see global_rng)."""
    if data.kind != "image" or data.y is None or data.num_classes < 2:
        raise ValueError(f"The quality classifier needs labelled images; {data.name!r} has none.")
    x, y = data.x.cpu(), data.y.cpu()
    with global_rng(seed):
        keep = None
        if x.shape[0] > max_train:
            keep = torch.randperm(x.shape[0])[:max_train]
            x, y = x[keep], y[keep]
        net = Classifier(data.shape, data.num_classes)
        # sets with known factors (sprites: x, y, scale) also regress them from the features, so the feature
        # space measures where and how big things are, not only which class (a shape is hard to tell at 5 px)
        known = [k for k in ("x", "y", "scale") if data.factors is not None and k in data.factors]
        aux = nn.Linear(FEATURES, len(known)) if known else None
        if known:
            fac = torch.stack([data.factors[k].cpu().float() for k in known], 1)
            fac = (fac - fac.mean(0)) / fac.std(0).clamp_min(1e-6)
            fac = fac[keep] if x.shape[0] < data.x.shape[0] else fac
        opt = torch.optim.Adam(list(net.parameters()) + (list(aux.parameters()) if aux else []), lr=lr)
        # 500 steps of 128: ~40 epochs of digits' 1,527 images, ~12 of sprites; a few seconds on 2 cores
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
        net.train()
        for _ in range(steps):
            idx = torch.randint(0, x.shape[0], (batch_size,))
            xb = x[idx]
            # a one-pixel random shift: the features should not hinge on exact pixel positions
            dx, dy = (int(v) for v in torch.randint(-1, 2, (2,)))
            xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            f = net.features(xb)
            loss = F.cross_entropy(net.head(F.relu(f)), y[idx])
            if aux is not None:                      # the factors of the unshifted image: off by ≤ 1 px
                loss = loss + F.mse_loss(aux(f), fac[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    return net, accuracy(net, data.x_test, data.y_test)


@torch.no_grad()
def accuracy(net: Classifier, x: Tensor, y: Tensor, batch: int = 2048) -> float:
    net.eval()
    x, y = x.cpu(), y.cpu()
    hits = sum(int((net(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum()) for i in range(0, x.shape[0], batch))
    return hits / max(1, x.shape[0])


def save(net: Classifier, test_acc: float, path: Path) -> None:
    """Weights as float16 safetensors, with the shape, classes and test accuracy in the header."""
    from safetensors.torch import save_file
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(shape=json.dumps(list(net.shape)), num_classes=str(net.num_classes), width=str(net.width),
                test_accuracy=f"{test_acc:.6f}")
    save_file({k: v.detach().to(torch.float16).contiguous() for k, v in net.state_dict().items()}, str(path),
              metadata=meta)


def load_file(path: Path) -> tuple[Classifier, float]:
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k).float() for k in f.keys()}
    net = Classifier(tuple(json.loads(meta["shape"])), int(meta["num_classes"]), int(meta["width"]))
    net.load_state_dict(tensors)
    net.eval()
    return net, float(meta["test_accuracy"])


_CACHE: dict[tuple, tuple[Classifier, float, str]] = {}
_LOCK = threading.Lock()


def get(data: Dataset) -> tuple[Classifier, float, str]:
    """The classifier for ``data`` (cached per process): (net, held-out test accuracy, where it came from:
    "shipped" or "trained in 3.1 s"). Shipped weights are used only for the built-in set they were trained
    on (same name, image shape and classes); the test accuracy is measured again on this test split."""
    key = (data.name, data.shape, data.num_classes, int(data.x.shape[0]), int(data.x_test.shape[0]))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        import time
        path = ASSETS / f"{data.name}.safetensors"
        got = None
        if data.name in SHIPPED and path.exists() and not os.environ.get("PLAYGROUND_RETRAIN_QUALITY"):
            try:
                net, _ = load_file(path)
                if net.shape == data.shape and net.num_classes == data.num_classes:
                    got = (net, accuracy(net, data.x_test, data.y_test), "shipped in assets/quality")
            except (OSError, KeyError, ValueError, RuntimeError):
                got = None                         # a damaged file: train instead
        if got is None:
            t0 = time.perf_counter()
            net, acc = fit(data)
            got = (net, acc, f"trained here in {time.perf_counter() - t0:.1f} s")
        _CACHE[key] = got
        return got
