"""DDPM with ε-prediction, DDIM sampling and classifier-free guidance (seed 004 §3, eq. 8–11, listing 3).

Training (eq. 10, listing 3): draw t ~ U{0 … T−1}, ε ~ N(0, I), form x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (eq. 9)
and regress ε_θ(x_t, t) onto ε with a mean squared error.
Sampling (eq. 11): x_T ~ N(0, I), then x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) ε̂)/√(1 − β_t) + σ_t z down to x_0.
Guidance (seed 004 §3.2 names classifier guidance; this is its classifier-free form, Ho & Salimans 2022):
the label is dropped with probability p_uncond while training, and at sampling
ε̂ = ε_θ(x_t, ∅) + w · (ε_θ(x_t, y) − ε_θ(x_t, ∅)); w = 1 is the plain conditional model, w > 1 sharpens.

Images are mapped from [0, 1] to [−1, 1] (the scale the schedule assumes); 2D points are already ~unit scale.
The reverse process keeps every frame (x_t, ε̂, x̂_0, and in 2D ε̂ on a grid) so a UI can scrub without recomputing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .base import Batch, ConfigBase, GenerativeModel, param
from .diffusion_schedules import T_MAX, T_MIN, Schedule, ddim_timesteps
from .diffusion_unet import MLPDenoiser, UNet

MAX_SAMPLES = 4096


@dataclass
class Config(ConfigBase):
    T: int = param(100, "Number of diffusion steps T: more steps, finer noise levels, slower sampling.",
                   lo=T_MIN, hi=T_MAX, step=1, label="diffusion steps T")
    schedule: str = param("cosine", "Noise schedule β_t: Ho et al.'s linear one or Nichol & Dhariwal's cosine one.",
                          choices=("linear", "cosine"), label="noise schedule")
    variance: str = param("beta_tilde", "σ_t² of the reverse step (eq. 11): the posterior's β̃_t or β_t itself.",
                          choices=("beta_tilde", "beta"), label="reverse-step variance", advanced=True,
                          live=True)
    clip_x0: bool = param(True, "At each sampling step, clip the predicted clean sample x̂₀ to the range of the "
                          "training data (Ho et al. clip images to [−1, 1]): keeps early or strongly guided "
                          "samples from flying off.", label="clip x̂₀ when sampling", advanced=True, live=True)
    conditional: bool = param(False, "Class-conditional model, trained for classifier-free guidance.",
                              label="class-conditional (guidance)")
    p_uncond: float = param(0.1, "Classifier-free guidance: how often the label is hidden while training.",
                            lo=0.0, hi=0.9, step=0.05, label="label dropout", advanced=True, live=True)
    guidance: float = param(2.0, "Guidance scale w at sampling: 0 ignores the label, 1 is plain conditional, "
                            ">1 trades diversity for fidelity.", lo=0.0, hi=10.0, step=0.1, label="guidance scale",
                            live=True)
    hidden: int = param(128, "Width of the 2D model's MLP.", lo=16, hi=1024, step=16, label="hidden units (2D)")
    layers: int = param(3, "Residual blocks of the 2D model's MLP.", lo=1, hi=8, step=1, label="MLP blocks (2D)")
    width: int = param(32, "Channels at the U-Net's top level (images); it doubles once going down.",
                       lo=8, hi=128, step=8, label="U-Net width (images)")
    lr: float = param(2e-3, "Adam learning rate.", lo=1e-5, hi=1e-1, log=True, label="learning rate", live=True)
    batch_size: int = param(256, "Samples per step.", lo=1, hi=4096, step=1, label="batch size", live=True)
    seed: int = param(0, "Random seed: same seed, same run.", lo=0, hi=2**31 - 1, step=1)


def to_unit(x: Tensor) -> Tensor:
    """Model-space images ([−1, 1]) back to [0, 1] for display."""
    return ((x + 1) / 2).clamp(0, 1)


@dataclass
class Frames:
    """A whole reverse process, kept so a UI can scrub without recomputing.

    Frame k < K shows the state *before* step ts[k]: ``x[k]`` = x_t, ``eps[k]`` = ε̂(x_t, t),
    ``x0[k]`` = x̂_0 from eq. 9 solved for x_0, ``field[k]`` = ε̂ on ``grid`` (2D only).
    Frame K is the result: ``x[K]`` = x_0 (t = −1, nothing left to predict).
    Tensors are on the CPU, in model space (images in [−1, 1]; see :func:`to_unit`).
    """
    sampler: str                 # "ddpm" | "ddim"
    ts: list[int]                # (K,) step indices, descending
    x: Tensor                    # (K+1, n, ...)
    eps: Tensor                  # (K, n, ...)
    x0: Tensor                   # (K, n, ...)
    alpha_bar: list[float]       # (K,) ᾱ_t of each frame (for the score −ε̂/√(1 − ᾱ_t))
    grid: Tensor | None = None   # (G, 2) points where the 2D field is evaluated
    field: Tensor | None = None  # (K, G, 2) ε̂ on the grid
    y: Tensor | None = None      # (n,) labels used, when conditional
    guidance: float = 1.0
    seed: int = 0

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def result(self) -> Tensor:
        return self.x[-1]

    def frame(self, k: int) -> dict:
        """Frame k as {"t", "x", "eps", "x0", "field"}; the last frame has t = −1 and no ε̂."""
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(self):
            raise ValueError(f"There are {len(self)} frames, numbered 0 to {len(self) - 1}; got {k!r}.")
        if k == len(self) - 1:
            return {"t": -1, "x": self.x[k], "eps": None, "x0": self.x[k], "field": None}
        return {"t": self.ts[k], "x": self.x[k], "eps": self.eps[k], "x0": self.x0[k],
                "field": None if self.field is None else self.field[k]}


class Model(GenerativeModel):
    family = "diffusion"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        if cfg.conditional and num_classes < 2:
            raise ValueError("Guidance needs a class-conditional model, and this dataset has no labels: "
                             "turn 'class-conditional' off or pick a labelled dataset.")
        self.n_cond = num_classes if cfg.conditional else 0
        self.images = len(self.data_shape) == 3
        if self.images:
            self.net = UNet(self.data_shape, cfg.T, cfg.width, self.n_cond)
        elif len(self.data_shape) == 1:
            self.net = MLPDenoiser(self.data_shape[0], cfg.T, cfg.hidden, cfg.layers, self.n_cond)
        else:
            raise ValueError(f"Diffusion works on points (N, D) or images (N, C, H, W); got shape {data_shape}.")
        self.schedule = Schedule(cfg.T, cfg.schedule)
        # saved with the weights, so a loaded checkpoint can sample at once
        self.register_buffer("trained_steps", torch.zeros((), dtype=torch.long))
        # the box x̂₀ is clipped to: images live in [−1, 1]; points in the range seen while training
        d = self.data_shape[0] if not self.images else 1
        self.register_buffer("x_lo", torch.full((d,), -1.0 if self.images else float("inf")))
        self.register_buffer("x_hi", torch.full((d,), 1.0 if self.images else float("-inf")))

    # -- spaces -------------------------------------------------------------------------------
    def to_model_space(self, x: Tensor) -> Tensor:
        return x * 2 - 1 if self.images else x

    def to_data_space(self, x: Tensor) -> Tensor:
        return to_unit(x) if self.images else x

    def sched(self) -> Schedule:
        return self.schedule.to(self.device)

    def clip_box(self) -> tuple[Tensor, Tensor]:
        """(lo, hi) broadcastable against a batch: [−1, 1] for images, the data's range + 10% for points."""
        if self.images:
            return self.x_lo.view(1, 1, 1, 1), self.x_hi.view(1, 1, 1, 1)
        pad = 0.1 * (self.x_hi - self.x_lo)
        return (self.x_lo - pad)[None], (self.x_hi + pad)[None]

    # -- ε_θ with guidance ----------------------------------------------------------------------
    def eps(self, x_t: Tensor, t: Tensor | int, y: Tensor | None = None, guidance: float | None = None) -> Tensor:
        """ε̂(x_t, t): plain, or classifier-free guided when the model is conditional and y is given."""
        B = x_t.shape[0]
        t = self.sched().check_t(t)
        if t.dim() == 0:
            t = t.expand(B)
        if not self.n_cond:
            return self.net(x_t, t)
        null = torch.full((B,), self.n_cond, dtype=torch.long, device=x_t.device)
        if y is None:
            return self.net(x_t, t, null)                      # the unconditional model it also learned
        w = self.cfg.guidance if guidance is None else float(guidance)
        if w == 1.0:
            return self.net(x_t, t, y)
        # one batched pass for both branches (half the Python overhead of two calls)
        e = self.net(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([y, null]))
        e_cond, e_uncond = e.chunk(2)
        return e_uncond + w * (e_cond - e_uncond)

    # -- training (eq. 10, listing 3) -------------------------------------------------------------
    def loss(self, batch: Batch) -> dict[str, Tensor]:
        s = self.sched()
        x0 = self.to_model_space(batch.x)                              # (B, ...)
        B, T = x0.shape[0], s.T
        if not self.images and self.training:
            with torch.no_grad():
                self.x_lo.copy_(torch.minimum(self.x_lo, x0.min(0).values))
                self.x_hi.copy_(torch.maximum(self.x_hi, x0.max(0).values))
        t = self.randint(0, T, (B,))                                   # 1. t ~ U{0 … T−1}
        eps = self.randn(like=x0)                                      # 2. ε ~ N(0, I)
        x_t = s.q_sample(x0, t, eps)                                   # 3. eq. 9
        y = None
        if self.n_cond:
            if batch.y is None:
                raise ValueError("A class-conditional model needs labels in every batch.")
            drop = self.rand(B) < self.cfg.p_uncond                    # label dropout for guidance
            y = torch.where(drop, torch.full_like(batch.y, self.n_cond), batch.y)
        eps_hat = self.net(x_t, t, y) if self.n_cond else self.net(x_t, t)   # 4. ε_θ(x_t, t)
        per = (eps - eps_hat).pow(2).flatten(1).mean(1)                # 5. ‖ε − ε̂‖² per sample: (B,)
        loss = per.mean()
        out = {"loss": loss, "total": loss.detach()}
        low = t < T // 2                                               # which noise levels are hard
        if low.any():
            out["loss_t_low"] = per[low].detach().mean()
        if (~low).any():
            out["loss_t_high"] = per[~low].detach().mean()
        return out

    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        out = super().train_step(batch)
        if torch.isfinite(out["loss"]):
            self.trained_steps += 1
        return out

    # -- sampling --------------------------------------------------------------------------------
    def _check_ready(self, n: int) -> None:
        if int(self.trained_steps) == 0:
            raise ValueError("The model has not been trained yet: train it for a few steps before sampling.")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SAMPLES:
            raise ValueError(f"The number of samples must be between 1 and {MAX_SAMPLES}; got {n!r}.")

    def _labels(self, n: int, y: Tensor | list[int] | int | None) -> Tensor | None:
        if not self.n_cond:
            return None
        if y is None:
            return torch.arange(n, device=self.device) % self.n_cond      # every class in turn
        y = torch.as_tensor(y, dtype=torch.long, device=self.device).flatten()
        if y.numel() == 1:
            y = y.expand(n)
        if y.numel() != n or int(y.min()) < 0 or int(y.max()) >= self.n_cond:
            raise ValueError(f"Labels must be {n} class numbers between 0 and {self.n_cond - 1}.")
        return y

    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None, guidance: float | None = None, seed: int | None = None,
               sampler: str = "ddpm", steps: int | None = None, eta: float = 0.0, clip: bool | None = None) -> Tensor:
        """n samples in data space ((n, D) points, or (n, C, H, W) images in [0, 1])."""
        fr = reverse_process(self, n, sampler=sampler, steps=steps, eta=eta, guidance=guidance, y=y,
                             seed=seed, keep=False, clip=clip)
        return self.to_data_space(fr.result.to(self.device))


@torch.no_grad()
def reverse_process(model: Model, n: int, sampler: str = "ddpm", steps: int | None = None, eta: float = 0.0,
                    guidance: float | None = None, y: Tensor | list[int] | int | None = None,
                    seed: int | None = None, grid: Tensor | None = None, field_y: int | None = None,
                    max_frames: int | None = None, keep: bool = True, clip: bool | None = None) -> Frames:
    """Run DDPM (eq. 11, all T steps) or DDIM (``steps`` steps, η) from x_T ~ N(0, I) and keep the frames.

    The same ``seed`` gives the same x_T for both samplers, so they can be compared. ``max_frames`` keeps
    that many evenly spaced frames (the first and last always) to bound memory for long image chains.
    ``grid`` (G, 2) adds the 2D field ε̂ at every kept frame, for label ``field_y`` (None: unconditional).
    ``clip`` (default: the config's ``clip_x0``) clips x̂₀ to the data's range at every step; the kept ε̂ is
    then the one the step used, so x_t = √ᾱ_t x̂₀ + √(1 − ᾱ_t) ε̂ holds in every frame.
    """
    model._check_ready(n)
    if sampler not in ("ddpm", "ddim"):
        raise ValueError(f"The sampler must be 'ddpm' or 'ddim'; got {sampler!r}.")
    s, dev = model.sched(), model.device
    if sampler == "ddpm":
        ts = list(range(s.T - 1, -1, -1))
    else:
        ts = ddim_timesteps(s.T, s.T if steps is None else steps)
    if not 0.0 <= float(eta) <= 1.0:
        raise ValueError(f"DDIM's η must be between 0 (deterministic) and 1 (DDPM-like); got {eta}.")
    if grid is not None and (model.images or grid.dim() != 2 or grid.shape[1] != model.data_shape[0]):
        raise ValueError("The ε̂ field is drawn for 2D points only, on a (G, 2) grid.")
    K = len(ts)
    keep_idx = set(range(K))
    if max_frames is not None and K > max_frames:
        if max_frames < 2:
            raise ValueError("Keep at least 2 frames.")
        keep_idx = set(torch.linspace(0, K - 1, max_frames).round().long().tolist())
    w = model.cfg.guidance if guidance is None else float(guidance)
    clip = model.cfg.clip_x0 if clip is None else bool(clip)
    lo, hi = model.clip_box()
    yl = model._labels(n, y)
    g = torch.Generator(device=dev).manual_seed(int(model.cfg.seed if seed is None else seed))
    x = torch.randn(n, *model.data_shape, generator=g, device=dev)         # x_T ~ N(0, I)
    if grid is not None:
        grid = grid.to(dev, torch.float32)
        gy = None if (field_y is None or not model.n_cond) else model._labels(grid.shape[0], field_y)
    xs, epss, x0s, fields, kept, abs_ = [], [], [], [], [], []
    was = model.training
    model.eval()
    try:
        for k, t in enumerate(ts):
            eps_hat = model.eps(x, t, yl, w)                                # ε̂(x_t, t), guided
            x0_hat = s.predict_x0(x, t, eps_hat)                            # eq. 9 solved for x_0
            if clip:
                # clip x̂₀ to the data's box and take the ε̂ that matches it: eq. 11 with this ε̂ is the
                # posterior mean given the clipped x̂₀ (what Ho et al.'s sampler does); unchanged inside the box
                x0_hat = torch.maximum(torch.minimum(x0_hat, hi), lo)
                ab = s.alpha_bar[t]
                eps_hat = (x - ab.sqrt() * x0_hat) / (1 - ab).sqrt()
            z = torch.randn(x.shape, generator=g, device=dev)              # drawn every step: same stream
            if k in keep_idx and keep:
                xs.append(x.cpu())
                epss.append(eps_hat.cpu())
                x0s.append(x0_hat.cpu())
                abs_.append(float(s.alpha_bar[t]))
                kept.append(t)
                if grid is not None:
                    fields.append(model.eps(grid, t, gy, w).cpu())
            if sampler == "ddpm":
                x = s.p_step(x, t, eps_hat, z, model.cfg.variance)         # eq. 11
            else:
                t_prev = ts[k + 1] if k + 1 < K else -1
                x = s.ddim_step(x, t, t_prev, eps_hat, eta, z)
    finally:
        model.train(was)
    xs.append(x.cpu())
    empty = torch.empty(0, *x.shape)
    return Frames(sampler, kept, torch.stack(xs), torch.stack(epss) if epss else empty,
                  torch.stack(x0s) if x0s else empty, abs_,
                  None if grid is None else grid.cpu(), torch.stack(fields) if fields else None,
                  None if yl is None else yl.cpu(), w, int(model.cfg.seed if seed is None else seed))


def forward_process(schedule: Schedule, x0: Tensor, t: int, seed: int = 0) -> Tensor:
    """x_t for a batch x_0 (model space) at step t from eq. 9, with a fixed ε so a slider looks continuous."""
    g = torch.Generator().manual_seed(seed)
    eps = torch.randn(x0.shape, generator=g).to(x0.device)
    return schedule.to(x0.device).q_sample(x0, int(schedule.check_t(t)), eps)


def grid_2d(points: Tensor, size: int = 20, margin: float = 0.3) -> Tensor:
    """A size×size grid over the points' bounding box (plus a margin): where the ε̂ arrows are drawn."""
    lo, hi = points.min(0).values - margin, points.max(0).values + margin
    gx, gy = torch.linspace(float(lo[0]), float(hi[0]), size), torch.linspace(float(lo[1]), float(hi[1]), size)
    xx, yy = torch.meshgrid(gx, gy, indexing="xy")
    return torch.stack([xx.flatten(), yy.flatten()], 1)                # (size², 2)


def chamfer(a: Tensor, b: Tensor, chunk: int = 2048) -> float:
    """Symmetric Chamfer distance: ½ (mean_a min_b ‖a − b‖ + mean_b min_a ‖a − b‖), on flattened samples."""
    a, b = a.flatten(1).float(), b.flatten(1).float()
    if a.shape[0] == 0 or b.shape[0] == 0 or a.shape[1] != b.shape[1]:
        raise ValueError("Chamfer distance needs two non-empty sets of samples of the same size.")

    def directed(p: Tensor, q: Tensor) -> Tensor:
        return torch.cat([torch.cdist(p[i:i + chunk], q, compute_mode="donot_use_mm_for_euclid_dist").min(1).values for i in range(0, p.shape[0], chunk)]).mean()

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


def snr_db(alpha_bar: float) -> float:
    """10 log10(ᾱ/(1 − ᾱ)), for readouts."""
    return 10 * math.log10(max(alpha_bar, 1e-12) / max(1 - alpha_bar, 1e-12))
