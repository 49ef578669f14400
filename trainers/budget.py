"""What a run will cost, known before it starts: memory and time per step from its settings.

A hosted app shares one machine among a class: settings the form allows (a U-Net of width 128 on
sprites at batch 4,096 would need ≈ 70 GB) must be refused before they take the server down for
everyone. :func:`estimate` counts the parameters on the ``meta`` device (no memory), then runs one
forward pass of the loss on a batch of two on the CPU, adding up every layer's output (what backward
keeps) and the multiply-adds (``torch.utils.flop_counter``); both scale with the batch size.
:func:`check` compares that with a budget and says which setting to lower.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from . import family as _family
from .base import Batch, global_rng

# per visitor; defaults fit a free 16 GB / 2 vCPU Space with a few trainings at once
MAX_MB = float(os.environ.get("PLAYGROUND_RUN_MB", "2048"))
MAX_STEP_SECONDS = float(os.environ.get("PLAYGROUND_STEP_SECONDS", "10"))
# sustained multiply-add rate of the CPU (flop_counter counts 2 per multiply-add). Measured here: a U-Net of
# width 128 on sprites, 6.7 M parameters, batch 64: estimated 1.43 GB, measured 1.31 GB; its time per step
# was 38-77 s depending on the load (the issue saw 38 s at batch 256 on a quiet machine: ~70 GFLOP/s)
CPU_FLOPS = float(os.environ.get("PLAYGROUND_CPU_GFLOPS", "50")) * 1e9
PROBE = 2                                                               # examples in the probing forward pass


@dataclass
class Estimate:
    params: int                  # parameters of every network in the model
    fixed_bytes: float           # weights, gradients and two Adam moments
    bytes_per_example: float     # activations kept for backward, per example of a batch
    flops_per_example: float     # forward + backward (≈ 3 × forward)
    batch_size: int

    @property
    def bytes(self) -> float:
        return self.fixed_bytes + self.batch_size * self.bytes_per_example

    def seconds(self, flops_per_s: float = CPU_FLOPS) -> float:
        return self.batch_size * self.flops_per_example / flops_per_s


def estimate(family: str, cfg: Any, data_shape: tuple[int, ...], num_classes: int = 0) -> Estimate:
    """Memory and work of one training step of ``family`` with ``cfg`` on data of ``data_shape``."""
    mod = _family(family)
    try:
        with torch.device("meta"):
            params = sum(p.numel() for p in mod.Model(cfg, data_shape, num_classes).parameters())
    except (RuntimeError, NotImplementedError):  # a constructor that computes with values (e.g. a schedule)
        with global_rng(0):
            params = sum(p.numel() for p in mod.Model(cfg, data_shape, num_classes).parameters())
    fixed = 16.0 * params                                   # fp32 weight, grad, Adam m and v
    batch = int(getattr(cfg, "batch_size", 128))
    if fixed > MAX_MB * 2**20:                              # too big to build: no need to probe further
        return Estimate(params, fixed, 0.0, 0.0, batch)
    with global_rng(0):
        model = mod.Model(cfg, data_shape, num_classes)
    kept = [0]

    def count(_m: Any, _i: Any, out: Any) -> None:
        for t in out if isinstance(out, (tuple, list)) else [out]:
            if isinstance(t, torch.Tensor):
                kept[0] += t.numel() * t.element_size()

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    x = torch.rand(PROBE, *data_shape)
    y = torch.arange(PROBE) % num_classes if num_classes else None
    try:
        with global_rng(0), FlopCounterMode(display=False) as flops:
            model.loss(Batch(x, y))
    finally:
        for h in hooks:
            h.remove()
    return Estimate(params, fixed, 2.0 * kept[0] / PROBE, 3.0 * flops.get_total_flops() / PROBE, batch)


def check(family: str, cfg: Any, data_shape: tuple[int, ...], num_classes: int = 0, *,
          max_mb: float | None = None, max_step_seconds: float | None = None, device: str = "cpu") -> Estimate:
    """:func:`estimate`, then refuse (ValueError, a sentence saying which setting to lower) a run that
    needs more memory per step than ``max_mb`` or, on a CPU, more time per step than ``max_step_seconds``."""
    max_mb = MAX_MB if max_mb is None else max_mb
    max_s = MAX_STEP_SECONDS if max_step_seconds is None else max_step_seconds
    e = estimate(family, cfg, data_shape, num_classes)
    limit = max_mb * 2**20
    has_batch = hasattr(cfg, "batch_size")
    if e.bytes > limit:
        fits = math.floor((limit - e.fixed_bytes) / e.bytes_per_example) if e.bytes_per_example else 0
        lower = (f"lower batch size to {fits} or less, or make the networks smaller" if has_batch and fits >= 1
                 else "make the networks smaller (width, hidden units, channels or codebook size)")
        raise ValueError(f"These settings need about {_size(e.bytes)} of memory per training step "
                         f"({e.params / 1e6:.1f} M parameters); one visitor may use {_size(limit)} here: {lower}.")
    if device == "cpu" and e.seconds() > max_s:
        fits = math.floor(max_s * CPU_FLOPS / e.flops_per_example) if e.flops_per_example else 0
        lower = (f"lower batch size to {fits} or less, or make the networks smaller" if has_batch and fits >= 1
                 else "make the networks smaller")
        raise ValueError(f"One training step with these settings would take about {e.seconds():.0f} s on this "
                         f"server's CPU (the limit is {max_s:g} s, so the page stays alive): {lower}.")
    return e


def _size(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GB" if nbytes >= 2**30 else f"{nbytes / 2**20:.0f} MB"
