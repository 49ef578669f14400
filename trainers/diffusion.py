"""DDPM with ε-prediction, DDIM sampling and classifier-free guidance (seed 004 §3, eq. 8–11, listing 3;
Ho et al. 2020: the notes' eq. 9 is their eq. 4, eq. 10 their eq. 14, eq. 11 their eq. 11).

Training (eq. 10, listing 3): draw t ~ U{0 … T−1}, ε ~ N(0, I), form x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (eq. 9)
and regress ε_θ(x_t, t) onto ε with a mean squared error.
Sampling (eq. 11): x_T ~ N(0, I), then x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) ε̂)/√(1 − β_t) + σ_t z down to x_0.
:func:`reverse_process` is that loop; each step is one ``sampler.step`` (:mod:`trainers.diffusion_samplers`:
DDPM, DDIM), which returns x_{t−1} and x̂_0. :meth:`Model.sampler` builds one from the config.
Guidance (seed 004 §3.2 names classifier guidance; this is its classifier-free form, Ho & Salimans 2022):
the label is dropped with probability p_uncond while training, and at sampling
ε̂ = ε_θ(x_t, ∅) + w · (ε_θ(x_t, y) − ε_θ(x_t, ∅)); w = 1 is the plain conditional model, w > 1 narrows each class.
Classifier guidance itself (a noisy classifier trained beside ε_θ, its gradient shifting each step, Dhariwal &
Nichol 2021 Alg. 1–2) is in :mod:`trainers.diffusion_guidance`; latent diffusion (``Config.latent``: an autoencoder
stage, then this model on its codes, Rombach et al. 2022) in :mod:`trainers.diffusion_latent`.

Images are mapped from [0, 1] to [−1, 1] (the scale the schedule assumes); 2D points are already ~unit scale.
The reverse process keeps every frame (x_t, ε̂, x̂_0, and in 2D ε̂ on a grid) so a UI can scrub without recomputing.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .base import Batch, ConfigBase, GenerativeModel, SamplesWhenTrained, param
from .diffusion_guidance import ClassifierGuidance, NoisyClassifier, classifier_terms
from .diffusion_samplers import DDIM, DDPM, VARIANCES, Box, Sampler
from .diffusion_schedules import T_MAX, T_MIN, Schedule
from .diffusion_unet import MLPDenoiser, UNet

MAX_SAMPLES = SamplesWhenTrained.max_samples


@dataclass
class Config(ConfigBase):
    T: int = param(100, "Number of diffusion steps T: more steps, finer noise levels, slower sampling.",
                   lo=T_MIN, hi=T_MAX, step=1, label="diffusion steps T")
    schedule: str = param("cosine", "Noise schedule β_t: Ho et al.'s linear one (10⁻⁴ to 0.02 at T = 1000, the "
                          "range scaled by 1000/T as Nichol & Dhariwal do; clipped at 0.999, which cuts the last "
                          "β's when T ≤ 20) or Nichol & Dhariwal's cosine one.",
                          choices=("linear", "cosine"), label="noise schedule")
    variance: str = param("beta_tilde", "σ_t² of the reverse step (eq. 11): the posterior's β̃_t or β_t itself.",
                          choices=VARIANCES, label="reverse-step variance", advanced=True,
                          live=True)
    clip_x0: bool = param(True, "At each sampling step, clip the predicted clean sample x̂₀ to the range of the "
                          "training data (Ho et al. clip images to [−1, 1]; 2D points: their range + 10% each side): "
                          "keeps early or strongly guided samples from flying off. The first step needs it most: "
                          "there x̂₀ divides ε̂'s error by √ᾱ_T (cosine, T = 100: 1/2000).",
                          label="clip x̂₀ when sampling", advanced=True, live=True)
    conditional: bool = param(False, "Class-conditional model, trained for classifier-free guidance.",
                              label="class-conditional (guidance)")
    p_uncond: float = param(0.1, "Classifier-free guidance: how often the label is hidden while training.",
                            lo=0.0, hi=0.9, step=0.05, label="label dropout", advanced=True, live=True)
    guidance: float = param(2.0, "Guidance scale w at sampling: 0 ignores the label, 1 is plain conditional, "
                            ">1 narrows each class; past w ≈ 1–2 samples also drift off the class's data.",
                            lo=0.0, hi=10.0, step=0.1, label="guidance scale", live=True)
    classifier: bool = param(False, "Also train a noisy classifier p_φ(y | x_t, t) on the same noisy draws, for "
                             "classifier guidance (Dhariwal & Nichol 2021); needs a labelled dataset.",
                             label="noisy classifier (guidance)")
    latent: bool = param(False, "Latent diffusion (Rombach et al. 2022), images only: the run first trains a small "
                         "autoencoder on the spot, then diffuses its latent codes and decodes the samples.",
                         label="latent diffusion (images)")
    ae_steps: int = param(400, "Steps of the autoencoder stage latent diffusion starts with (0: no autoencoder, "
                          "which latent diffusion refuses).", lo=0, hi=20000, step=50, label="autoencoder steps (latent)")
    latent_dim: int = param(8, "Size d of the latent code the diffusion runs on.", lo=2, hi=64, step=1,
                            label="latent size d (latent)")
    ae_hidden: int = param(256, "Width of the autoencoder's two hidden layers.", lo=32, hi=1024, step=32,
                           label="autoencoder width (latent)", advanced=True)
    hidden: int = param(128, "Width of the 2D model's MLP.", lo=16, hi=1024, step=16, label="hidden units (2D)")
    layers: int = param(3, "Residual blocks of the 2D model's MLP.", lo=1, hi=8, step=1, label="MLP blocks (2D)")
    width: int = param(32, "Channels at the U-Net's top level (images); it doubles once going down.",
                       lo=8, hi=128, step=8, label="U-Net width (images)")
    lr: float = param(2e-3, "Adam learning rate.", lo=1e-5, hi=1e-1, log=True, label="learning rate", live=True)
    batch_size: int = param(256, "Samples per step.", lo=1, hi=4096, step=1, label="batch size", live=True)
    seed: int = param(0, "Random seed: same seed, same run.", lo=0, hi=2**31 - 1, step=1)

    def validate(self) -> None:
        if self.latent and self.ae_steps <= 0:
            from .diffusion_latent import NO_AE
            raise ValueError(NO_AE)


def to_unit(x: Tensor) -> Tensor:
    """Model-space images ([−1, 1]) back to [0, 1] for display."""
    return ((x + 1) / 2).clamp(0, 1)


@dataclass
class Frames:
    """A whole reverse process, kept so a UI can scrub without recomputing.

    Frame k < K shows the state *before* step ts[k]: ``x[k]`` = x_t, ``eps[k]`` = ε̂(x_t, t) and ``x0[k]`` = x̂_0
    as that step returned them (x̂_0 clipped to ``box`` when clipping), ``field[k]`` = ε̂ on ``grid`` (2D only).
    Frame K is the result: ``x[K]`` = x_0 (t = −1, nothing left to predict).
    Tensors are on the CPU, in model space (images in [−1, 1]; see :func:`to_unit`).
    """
    sampler: str                 # the sampler's name: "ddpm" | "ddim"
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
    box: Box | None = None       # the (lo, hi) every x̂_0 was clipped to; None when not clipping
    guide: str = "none"          # "none" | "classifier-free" | "classifier"
    cg_scale: float = 0.0        # classifier guidance: the scale s
    cg_field: Tensor | None = None   # (K, G, 2) classifier gradient ∇ log p_φ(y | x_t) on ``grid`` (2D only)

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def result(self) -> Tensor:
        return self.x[-1]

    def frame(self, k: int) -> dict:
        """Frame k as {"t", "x", "eps", "x0", "field", "cg"}; the last frame has t = −1 and no ε̂."""
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(self):
            raise ValueError(f"There are {len(self)} frames, numbered 0 to {len(self) - 1}; got {k!r}.")
        if k == len(self) - 1:
            return {"t": -1, "x": self.x[k], "eps": None, "x0": self.x[k], "field": None, "cg": None}
        return {"t": self.ts[k], "x": self.x[k], "eps": self.eps[k], "x0": self.x0[k],
                "field": None if self.field is None else self.field[k],
                "cg": None if self.cg_field is None else self.cg_field[k]}


class Model(SamplesWhenTrained, GenerativeModel):
    family = "diffusion"

    def __new__(cls, *args, **kw):
        """``Model(cfg, ...)`` with ``cfg.latent`` builds the latent-diffusion model (trainers/diffusion_latent.py)."""
        cfg = args[0] if args else kw.get("cfg")
        if cls is Model and getattr(cfg, "latent", False):
            from .diffusion_latent import LatentModel
            return super().__new__(LatentModel)
        return super().__new__(cls)

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
        # p_φ(y | x_t, t) for classifier guidance (trainers/diffusion_guidance.py), trained in the same step
        self.classifier = (NoisyClassifier(self.data_shape, cfg.T, num_classes, min(cfg.hidden, 128) if not
                                           self.images else cfg.width) if cfg.classifier else None)
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
        if self.classifier is not None:          # disjoint parameters: the sum trains both as if apart
            if batch.y is None:
                raise ValueError("The noisy classifier needs labels in every batch.")
            ce, acc = classifier_terms(self.classifier, x_t, t, batch.y)
            out.update(loss=loss + ce, clf_ce=ce.detach(), clf_acc=acc)
        low = t < T // 2                                               # which noise levels are hard
        if low.any():
            out["loss_t_low"] = per[low].detach().mean()
        if (~low).any():
            out["loss_t_high"] = per[~low].detach().mean()
        return out

    # -- sampling (train_step counts trained steps; check_ready: base.SamplesWhenTrained) ----------

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

    def sampler(self, name: str = "ddpm", steps: int | None = None, eta: float = 0.0,
                clip: bool | None = None) -> Sampler:
        """DDPM (all T steps, σ_t from the config's ``variance``) or DDIM (``steps`` steps, η), clipping x̂₀ to
        :meth:`clip_box` when ``clip`` (default: the config's ``clip_x0``) is on. The one place a name is read."""
        box = self.clip_box() if (self.cfg.clip_x0 if clip is None else bool(clip)) else None
        if name == "ddpm":
            return DDPM(self.sched(), self.cfg.variance, box)
        if name == "ddim":
            return DDIM(self.sched(), steps, eta, box)
        raise ValueError(f"The sampler must be 'ddpm' or 'ddim'; got {name!r}.")

    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None, guidance: float | None = None, seed: int | None = None,
               sampler: str | Sampler = "ddpm", steps: int | None = None, eta: float = 0.0,
               clip: bool | None = None) -> Tensor:
        """n samples in data space ((n, D) points, or (n, C, H, W) images in [0, 1]); ``sampler`` is a
        :class:`Sampler` or a name for :meth:`sampler` (with ``steps``, ``eta``, ``clip``)."""
        if isinstance(sampler, str):
            sampler = self.sampler(sampler, steps, eta, clip)
        fr = reverse_process(self, n, sampler, guidance=guidance, y=y, seed=seed, keep=False)
        return self.to_data_space(fr.result.to(self.device))


@torch.no_grad()
def reverse_process(model: Model, n: int, sampler: Sampler | None = None, *, guidance: float | None = None,
                    y: Tensor | list[int] | int | None = None, seed: int | None = None, grid: Tensor | None = None,
                    field_y: int | None = None, max_frames: int | None = None, keep: bool = True,
                    cg: ClassifierGuidance | None = None) -> Frames:
    """From x_T ~ N(0, I), call the network and ``sampler.step`` at each of ``sampler.timesteps()`` (eq. 11 for
    DDPM; default: ``model.sampler()``) and keep the frames.

    The same ``seed`` gives the same x_T and noise stream for every sampler, so they can be compared.
    ``max_frames`` keeps that many evenly spaced frames (the first and last always) to bound memory for long
    image chains. ``grid`` (G, 2) adds the 2D field ε̂ at every kept frame, for label ``field_y`` (None:
    unconditional). The kept ε̂ and x̂₀ are the step's, so x_t = √ᾱ_t x̂₀ + √(1 − ᾱ_t) ε̂ holds in every frame.
    ``cg``: classifier guidance (Dhariwal & Nichol 2021, Alg. 1/2) on top of whatever ε̂ the model gives for
    ``y`` (pass y=None for the unconditional ε̂); with a ``grid``, its gradient there is kept too (for label
    ``field_y``, else the first sample's label).
    """
    model.check_ready(n)
    sampler = model.sampler() if sampler is None else sampler
    s, dev = model.sched(), model.device
    ts = sampler.timesteps()
    if grid is not None and (model.images or grid.dim() != 2 or grid.shape[1] != model.data_shape[0]):
        raise ValueError("The ε̂ field is drawn for 2D points only, on a (G, 2) grid.")
    K = len(ts)
    keep_idx = set(range(K))
    if max_frames is not None and K > max_frames:
        if max_frames < 2:
            raise ValueError("Keep at least 2 frames.")
        keep_idx = set(torch.linspace(0, K - 1, max_frames).round().long().tolist())
    w = model.cfg.guidance if guidance is None else float(guidance)
    yl = model._labels(n, y)
    g = torch.Generator(device=dev).manual_seed(int(model.cfg.seed if seed is None else seed))
    x = torch.randn(n, *model.data_shape, generator=g, device=dev)         # x_T ~ N(0, I)
    if grid is not None:
        grid = grid.to(dev, torch.float32)
        gy = None if (field_y is None or not model.n_cond) else model._labels(grid.shape[0], field_y)
    if cg is not None:
        cg.y = cg.y.to(dev)
        if cg.y.shape != (n,):
            raise ValueError(f"Classifier guidance needs one label per sample ({n}); got {tuple(cg.y.shape)}.")
        cy = cg.y[:1].expand(grid.shape[0]) if grid is not None and field_y is None else None
        if grid is not None and field_y is not None:
            cy = torch.full((grid.shape[0],), int(field_y), dtype=torch.long, device=dev)
    xs, epss, x0s, fields, cfields, kept, abs_, box = [], [], [], [], [], [], [], None
    was = model.training
    model.eval()
    try:
        for k, t in enumerate(ts):
            eps_hat = model.eps(x, t, yl, w)                                # ε̂(x_t, t), guided here once
            shift = None
            if cg is not None:                                              # Alg. 1 (shift) or Alg. 2 (new ε̂)
                eps_hat, shift, _ = cg.apply(sampler, t, x, eps_hat)
            z = torch.randn(x.shape, generator=g, device=dev)              # drawn every step: same stream
            step = sampler.step(eps_hat, t, x, z)                           # x_{t−1} and x̂₀ (clipped inside)
            if shift is not None:
                step = step._replace(x_prev=step.x_prev + shift)           # N(μ + sΣg, Σ): the mean moves
            box = step.box
            if k in keep_idx and keep:
                xs.append(x.cpu())
                epss.append(step.eps.cpu())
                x0s.append(step.x0.cpu())
                abs_.append(float(s.alpha_bar[t]))
                kept.append(t)
                if grid is not None:
                    fields.append(model.eps(grid, t, gy, w).cpu())
                    if cg is not None:
                        cfields.append(cg.grad(grid, t, cy).cpu())
            x = step.x_prev
    finally:
        model.train(was)
    xs.append(x.cpu())
    empty = torch.empty(0, *x.shape)
    return Frames(sampler.name, kept, torch.stack(xs), torch.stack(epss) if epss else empty,
                  torch.stack(x0s) if x0s else empty, abs_,
                  grid=None if grid is None else grid.cpu(), field=torch.stack(fields) if fields else None,
                  y=None if yl is None else yl.cpu(), guidance=w, seed=int(model.cfg.seed if seed is None else seed),
                  box=None if box is None else (box[0].cpu(), box[1].cpu()),
                  guide="classifier" if cg is not None else ("classifier-free" if yl is not None else "none"),
                  cg_scale=0.0 if cg is None else cg.scale, cg_field=torch.stack(cfields) if cfields else None)


def forward_process(schedule: Schedule, x0: Tensor, t: int, seed: int = 0) -> Tensor:
    """x_t for a batch x_0 (model space) at step t from eq. 9, with a fixed ε so a slider looks continuous."""
    g = torch.Generator().manual_seed(seed)
    eps = torch.randn(x0.shape, generator=g).to(x0.device)
    return schedule.to(x0.device).q_sample(x0, int(schedule.check_t(t)), eps)
