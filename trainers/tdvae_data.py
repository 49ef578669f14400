"""Generated sequence datasets for TD-VAE (seed 000 §1.3.3; Gregor et al. 2019), built offline in a blink.

* ``"bouncing ball"``: a soft disc moving at constant speed in a 16×16 frame, bouncing off the walls.
* ``"moving digit"``: one of scikit-learn's 8×8 digits moving and bouncing in a 20×20 frame.
* ``"sine waves"``: 1D signals ``x_t = sin(2π f t + φ) + ε`` with random frequency ``f``, phase ``φ``
  and Gaussian noise ``ε`` (σ = 0.1).

Each is a :class:`trainers.data.Dataset` with ``kind="sequence"`` and ``x`` shaped ``(N, T, D)``:
``N`` sequences of ``T`` frames, each frame flattened to ``D`` numbers. A frame's own shape
(``(16, 16)``, ``(20, 20)`` or ``(1,)``) is given by :func:`frame_shape`, and is also written in the
dataset's ``note``. ``factors`` holds what generated each sequence (start position and velocity,
or frequency and phase), one value per sequence.
"""
from __future__ import annotations

import functools
import math

import torch
from torch import Tensor

from .data import DataError, Dataset

SEQUENCE_DATASETS = ("bouncing ball", "moving digit", "sine waves")
LENGTH_RANGE = (8, 64)            # frames per sequence a user may ask for
DEFAULT_LENGTH = {"bouncing ball": 20, "moving digit": 20, "sine waves": 32}
FRAME_SHAPES = {"bouncing ball": (16, 16), "moving digit": (20, 20), "sine waves": (1,)}
SINE_NOISE = 0.1


def load(name: str, length: int | None = None, seed: int = 0) -> Dataset:
    """A generated sequence set by name; ``length`` frames per sequence (default per set)."""
    key = str(name).strip().lower()
    if key not in SEQUENCE_DATASETS:
        raise DataError(f"Unknown sequence dataset {name!r}; choose one of: {', '.join(SEQUENCE_DATASETS)}.")
    if length is None:
        length = DEFAULT_LENGTH[key]
    check_length(length)
    return _load_cached(key, int(length), int(seed))


def check_length(length: object) -> int:
    """The sequence length as an int, or a ValueError a student understands."""
    lo, hi = LENGTH_RANGE
    try:
        num = float(length)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"Sequence length must be a whole number of frames; got {length!r}.") from None
    if not math.isfinite(num) or num != int(num):
        raise DataError(f"Sequence length must be a whole number of frames; got {length!r}.")
    if not lo <= num <= hi:
        raise DataError(f"Sequence length must be between {lo} and {hi} frames; got {int(num)}.")
    return int(num)


def frame_shape(data: Dataset) -> tuple[int, ...]:
    """The shape of one frame of a sequence set: (H, W) for images, (D,) for signals."""
    base = data.name.split(" (")[0]
    if base in FRAME_SHAPES:
        return FRAME_SHAPES[base]
    d = int(data.x.shape[-1])
    side = int(round(math.sqrt(d)))
    return (side, side) if side * side == d and d >= 16 else (d,)


def is_image(data: Dataset) -> bool:
    return len(frame_shape(data)) == 2


@functools.lru_cache(maxsize=6)   # read-only tensors shared by every session: data, not models
def _load_cached(key: str, length: int, seed: int) -> Dataset:
    if key == "bouncing ball":
        return bouncing_ball(length=length, seed=seed)
    if key == "moving digit":
        return moving_digit(length=length, seed=seed)
    return sine_waves(length=length, seed=seed)


def _split(name: str, x: Tensor, factors: dict[str, Tensor], n_test: int, seed: int, note: str) -> Dataset:
    g = torch.Generator().manual_seed(seed + 1)
    perm = torch.randperm(x.shape[0], generator=g)
    te, tr = perm[:n_test], perm[n_test:]
    return Dataset(name, "sequence", x[tr].contiguous(), None, x[te].contiguous(), None,
                   factors={k: v[tr] for k, v in factors.items()}, note=note)


# ----------------------------------------------------------------------------- moving images
def bounce(start: Tensor, velocity: Tensor, length: int, lo: float, hi: float) -> Tensor:
    """Positions (N, T, 2) of points moving at constant velocity, reflected at lo and hi.

    Reflection in closed form: unfold the straight path onto a line of period 2·(hi − lo) and fold
    it back (a triangle wave), so there is no per-step loop and no point ever leaves the box.
    """
    t = torch.arange(length, dtype=torch.float32)[None, :, None]        # (1, T, 1)
    span = hi - lo
    free = start[:, None, :] - lo + velocity[:, None, :] * t             # (N, T, 2) unfolded
    m = torch.remainder(free, 2 * span)
    return lo + torch.where(m > span, 2 * span - m, m)


def bouncing_ball(n: int = 1400, length: int = 20, size: int = 16, radius: float = 2.2,
                  seed: int = 0) -> Dataset:
    """A soft disc bouncing in a size×size frame; speed 0.6–1.4 px per frame in a random direction."""
    g = torch.Generator().manual_seed(seed)
    lo, hi = radius, size - radius
    start = lo + (hi - lo) * torch.rand(n, 2, generator=g)
    angle = 2 * math.pi * torch.rand(n, generator=g)
    speed = 0.6 + 0.8 * torch.rand(n, generator=g)
    vel = torch.stack([torch.cos(angle), torch.sin(angle)], 1) * speed[:, None]
    pos = bounce(start, vel, length, lo, hi)                              # (N, T, 2) as (x, y)
    c = torch.arange(size, dtype=torch.float32) + 0.5
    dx = c[None, None, None, :] - pos[..., 0, None, None]                 # (N, T, 1, W)
    dy = c[None, None, :, None] - pos[..., 1, None, None]                 # (N, T, H, 1)
    # anti-aliased edge: smooth sub-pixel motion, so a slow ball still visibly moves every frame
    frames = (radius + 0.5 - torch.sqrt(dx ** 2 + dy ** 2)).clamp(0, 1)  # (N, T, H, W)
    x = frames.reshape(n, length, size * size)
    factors = dict(x0=start[:, 0] / size, y0=start[:, 1] / size, vx=vel[:, 0], vy=vel[:, 1])
    return _split("bouncing ball", x, factors, n // 8, seed,
                  f"{n} sequences of {length} frames, each a {size}×{size} image (flattened to {size * size}): "
                  f"a ball bouncing off the walls.")


def moving_digit(n: int = 1400, length: int = 20, size: int = 20, seed: int = 0) -> Dataset:
    """One of scikit-learn's 8×8 digits moving and bouncing in a size×size frame (whole pixels)."""
    from sklearn.datasets import load_digits
    g = torch.Generator().manual_seed(seed)
    bunch = load_digits()
    digits = torch.tensor(bunch.images, dtype=torch.float32) / 16.0           # (1797, 8, 8)
    which = torch.randint(0, digits.shape[0], (n,), generator=g)
    span = float(size - 8)
    start = span * torch.rand(n, 2, generator=g)
    angle = 2 * math.pi * torch.rand(n, generator=g)
    speed = 0.8 + 0.7 * torch.rand(n, generator=g)
    vel = torch.stack([torch.cos(angle), torch.sin(angle)], 1) * speed[:, None]
    pos = bounce(start, vel, length, 0.0, span).round().long()            # top-left corner (x, y)
    frames = torch.zeros(n, length, size, size)   # corners stay in [0, size-8]: no padding
    # scatter each 8×8 sprite at its corner: one indexed add for every frame at once
    oy, ox = torch.meshgrid(torch.arange(8), torch.arange(8), indexing="ij")
    rows = pos[..., 1, None, None] + oy                                    # (N, T, 8, 8)
    cols = pos[..., 0, None, None] + ox
    ni = torch.arange(n)[:, None, None, None].expand_as(rows)
    ti = torch.arange(length)[None, :, None, None].expand_as(rows)
    frames[ni, ti, rows, cols] = digits[which][:, None].expand(n, length, 8, 8)
    x = frames.reshape(n, length, size * size)
    factors = dict(digit=torch.tensor(bunch.target)[which].float(), x0=start[:, 0] / span,
                   y0=start[:, 1] / span, vx=vel[:, 0], vy=vel[:, 1])
    return _split("moving digit", x, factors, n // 8, seed,
                  f"{n} sequences of {length} frames, each a {size}×{size} image (flattened to {size * size}): "
                  f"an 8×8 digit bouncing off the walls.")


# ----------------------------------------------------------------------------- 1D signals
def sine_waves(n: int = 2000, length: int = 32, seed: int = 0, noise: float = SINE_NOISE) -> Dataset:
    """x_t = sin(2π f t + φ) + ε: f uniform in [1/16, 1/8] cycles per frame, φ uniform, ε ~ N(0, noise²)."""
    g = torch.Generator().manual_seed(seed)
    freq = 1 / 16 + (1 / 8 - 1 / 16) * torch.rand(n, generator=g)
    phase = 2 * math.pi * torch.rand(n, generator=g)
    t = torch.arange(length, dtype=torch.float32)
    clean = torch.sin(2 * math.pi * freq[:, None] * t[None] + phase[:, None])   # (N, T)
    x = (clean + noise * torch.randn(n, length, generator=g)).unsqueeze(-1)     # (N, T, 1)
    return _split("sine waves", x, dict(frequency=freq, phase=phase), n // 8, seed,
                  f"{n} noisy sine waves of {length} steps (1 number per frame): random frequency "
                  f"1/16–1/8 cycles per step, random phase, noise σ = {noise}.")
