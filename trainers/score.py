"""Score-based models and flow matching on 2D points (seed 004 §3; Song & Ermon 2019; Song et al. 2021;
Lipman et al. 2023; issue 13 items 1 and 4).

One network, a small residual MLP with a noise-level embedding (:class:`trainers.diffusion_unet.MLPDenoiser`,
built on :func:`trainers.layers.sinusoidal_embedding`), trained by one of four objectives:

* ``ncsn``: denoising score matching over L geometric σ levels, λ(σ) = σ² (Song & Ermon 2019, eq. 5–6);
* ``ve`` / ``vp``: the same over a continuous clock t ~ U(ε, 1) for the VE / VP SDE (Song et al. 2021, eq. 7);
* ``flow``: flow matching on straight paths (Lipman et al. 2023; Liu et al. 2022).

A score model's network predicts ε̂ and the score is s_θ(x, t) = −ε̂(x, t)/σ_t (Song & Ermon 2020's
"s_θ = net/σ"; seed 004 §3: s = −ε/σ): then λ = σ² makes the DSM loss ‖ε̂ − z‖², DDPM's.
Samplers (:mod:`trainers.score_samplers`): annealed Langevin, PC (predictor–corrector), the probability-flow
ODE, and Euler steps for flow matching. :func:`reverse_process` runs one and keeps every frame for the UI.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from . import score_samplers as smp
from .base import Batch, ConfigBase, GenerativeModel, SamplesWhenTrained, param
from .diffusion_unet import MLPDenoiser
from .score_sde import Process, dsm_loss, fm_loss, make

OBJECTIVES = ("ncsn", "ve", "vp", "flow")
MAX_SAMPLES = SamplesWhenTrained.max_samples
CLOCK = 1000.0           # the embedding sees t · 1000 (the sinusoids' frequencies suit a 1000-step clock)


@dataclass
class Config(ConfigBase):
    objective: str = param("ve", "What the network learns: the score by denoising score matching over NCSN's "
                           "σ levels (Song & Ermon 2019), over the VE or the VP SDE's continuous clock (Song et al. "
                           "2021), or a velocity by flow matching on straight paths (Lipman et al. 2023).",
                           choices=OBJECTIVES, label="objective")
    sigma_min: float = param(0.01, "Smallest noise level σ_min (NCSN, VE): the samples end this blurred.",
                             lo=1e-4, hi=10.0, log=True, label="σ_min")
    sigma_max: float = param(4.0, "Largest noise level σ_max (NCSN, VE): about the largest distance between two "
                             "data points (Song & Ermon 2020, technique 1), so the prior N(0, σ_max² I) covers the "
                             "data.", lo=1e-3, hi=100.0, log=True, label="σ_max")
    levels: int = param(10, "NCSN: number L of noise levels, geometric from σ_max to σ_min.", lo=2, hi=100, step=1,
                        label="NCSN levels L")
    beta_min: float = param(0.1, "VP SDE: β(0) (Song et al. 2021 use 0.1).", lo=1e-4, hi=50.0, log=True,
                            label="β_min", advanced=True)
    beta_max: float = param(20.0, "VP SDE: β(1) (Song et al. 2021 use 20).", lo=1e-3, hi=100.0, log=True,
                            label="β_max", advanced=True)
    hidden: int = param(128, "Width of the MLP.", lo=16, hi=1024, step=16, label="hidden units")
    layers: int = param(3, "Residual blocks of the MLP.", lo=1, hi=8, step=1, label="MLP blocks")
    lr: float = param(2e-3, "Adam learning rate.", lo=1e-5, hi=1e-1, log=True, label="learning rate", live=True)
    batch_size: int = param(256, "Points per step.", lo=1, hi=4096, step=1, label="batch size", live=True)
    seed: int = param(0, "Random seed: same seed, same run.", lo=0, hi=2**31 - 1, step=1)

    def validate(self) -> None:
        if self.sigma_min >= self.sigma_max:
            raise ValueError(f"σ_min must be smaller than σ_max; got σ_min = {self.sigma_min:g} and "
                             f"σ_max = {self.sigma_max:g}.")
        if self.beta_min >= self.beta_max:
            raise ValueError(f"β_min must be smaller than β_max; got β_min = {self.beta_min:g} and "
                             f"β_max = {self.beta_max:g}.")


@dataclass
class Frames:
    """A whole sampling run, kept so a UI can scrub without recomputing.

    Frame k < K shows the state *before* update k: ``x[k]``, the network's output there ``out[k]`` (the score
    ŝ, or the velocity v̂ for flow matching), where it is headed ``x0[k]`` (x̂₀, or x̂₁), the clock ``t[k]`` and
    noise level ``sigma[k]``, and ``field[k]`` the output on ``grid``. Frame K is the result.
    ``frame(k)["t"]`` counts the updates left (K−1 … 0; −1 for the result), as the diffusion viewer's does.
    """
    sampler: str                 # "ald" | "pc" | "ode" | "euler"
    what: str                    # "score" | "velocity"
    x: Tensor                    # (K+1, n, D)
    out: Tensor                  # (K, n, D)
    x0: Tensor                   # (K, n, D)
    t: list[float]               # (K,)
    sigma: list[float]           # (K,) σ_t of the frame (flow matching: 1 − t, the share of noise left)
    grid: Tensor | None = None   # (G, D)
    field: Tensor | None = None  # (K, G, D)
    seed: int = 0
    settings: str = ""

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def result(self) -> Tensor:
        return self.x[-1]

    def frame(self, k: int) -> dict:
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(self):
            raise ValueError(f"There are {len(self)} frames, numbered 0 to {len(self) - 1}; got {k!r}.")
        K = len(self) - 1
        if k == K:
            return {"t": -1, "x": self.x[k], "eps": None, "x0": self.x[k], "field": None}
        return {"t": K - 1 - k, "x": self.x[k], "eps": self.out[k], "x0": self.x0[k],
                "field": None if self.field is None else self.field[k]}


class Model(SamplesWhenTrained, GenerativeModel):
    family = "score"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        # points (N, D); anything else (images from a notebook) is flattened to D = C·H·W for the MLP
        self.dim = math.prod(self.data_shape)
        if self.dim < 1:
            raise ValueError(f"Score models need data with at least one dimension; got shape {data_shape}.")
        self.net = MLPDenoiser(self.dim, int(CLOCK), cfg.hidden, cfg.layers)
        self.proc: Process | None = make(cfg.objective, cfg.sigma_min, cfg.sigma_max, cfg.levels,
                                         cfg.beta_min, cfg.beta_max)
        self.register_buffer("trained_steps", torch.zeros((), dtype=torch.long))

    @property
    def is_flow(self) -> bool:
        return self.proc is None

    # -- the network's two readings ------------------------------------------------------------
    def _t(self, x: Tensor, t: Tensor | float) -> Tensor:
        return torch.as_tensor(t, dtype=x.dtype, device=x.device).expand(x.shape[0])

    def eps(self, x: Tensor, t: Tensor | float) -> Tensor:
        """ε̂(x, t): the network itself (score models)."""
        return self.net(x, self._t(x, t) * CLOCK)

    def score(self, x: Tensor, t: Tensor | float) -> Tensor:
        """s_θ(x, t) = −ε̂(x, t)/σ_t (seed 004 §3; Song & Ermon 2020, technique 3)."""
        if self.proc is None:
            raise ValueError("A flow-matching model learns a velocity, not a score.")
        t = self._t(x, t)
        return -self.eps(x, t) / self.proc.sigma(t).to(x).unsqueeze(1)

    def velocity(self, x: Tensor, t: Tensor | float) -> Tensor:
        """v_θ(x, t) (flow matching)."""
        return self.net(x, self._t(x, t) * CLOCK)

    def output(self, x: Tensor, t: float) -> Tensor:
        """What a sampler follows: the score, or the velocity."""
        return self.velocity(x, t) if self.is_flow else self.score(x, t)

    # -- training --------------------------------------------------------------------------------
    def loss(self, batch: Batch) -> dict[str, Tensor]:
        x = batch.x.flatten(1)                                                 # (B, D) data
        B = x.shape[0]
        if self.proc is None:                                                  # flow matching
            x0 = self.randn(like=x)                                            # noise end, t = 0
            t = self.rand(B)
            per = fm_loss(self.velocity, x0, x, t)                             # (B,)
            mid = t < 0.5                                                      # near the noise end
        else:
            t = self.proc.sample_t(B, self.rand, self.randint)                 # (B,)
            z = self.randn(like=x)
            per = dsm_loss(self.score, self.proc, x, t, z)                     # (B,)
            mid = self.proc.sigma(t) < 0.5                                     # little noise
        loss = per.mean()
        out = {"loss": loss, "total": loss.detach()}
        if mid.any():
            out["loss_low"] = per[mid].detach().mean()
        if (~mid).any():
            out["loss_high"] = per[~mid].detach().mean()
        return out

    # -- sampling (train_step counts trained steps; check_ready: base.SamplesWhenTrained) ----------

    def prior(self, n: int, generator: torch.Generator) -> Tensor:
        d = self.dim
        if self.proc is None:
            return torch.randn(n, d, generator=generator, device=self.device)
        return self.proc.prior(n, d, generator, self.device)

    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None, seed: int | None = None, sampler: str | None = None,
               steps: int = 50, corrector: int = 1, snr: float = 0.16, eps: float = 5e-5,
               per_level: int = 20) -> Tensor:
        """n samples, shaped like the data, from ``sampler`` (default: PC for score models, Euler for flow)."""
        x = reverse_process(self, n, sampler, steps=steps, corrector=corrector, snr=snr, eps=eps,
                            per_level=per_level, seed=seed, keep=False).result
        return x.reshape(n, *self.data_shape).to(self.device)


def default_sampler(model: Model) -> str:
    return "euler" if model.is_flow else "pc"


@torch.no_grad()
def reverse_process(model: Model, n: int, sampler: str | None = None, *, steps: int = 50, corrector: int = 1,
                    snr: float = 0.16, eps: float = 5e-5, per_level: int = 20, seed: int | None = None,
                    grid: Tensor | None = None, x_T: Tensor | None = None, keep: bool = True) -> Frames:
    """Draw x_T from the prior (or take ``x_T``), run ``sampler`` and keep every frame (with the field on ``grid``).

    The same ``seed`` gives the same x_T and noise stream for every sampler. ``steps`` is N (NCSN: its L levels
    whatever N); ``corrector``/``snr`` drive PC; ``eps``/``per_level`` annealed Langevin."""
    model.check_ready(n)
    sampler = default_sampler(model) if sampler is None else str(sampler).lower()
    allowed = ("euler",) if model.is_flow else smp.SAMPLERS
    if sampler not in allowed:
        what = "flow matching" if model.is_flow else "a score model"
        raise ValueError(f"The sampler for {what} must be one of {', '.join(allowed)}; got {sampler!r}.")
    smp.check(steps, corrector, snr, eps, per_level)
    dev = model.device
    seed = int(model.cfg.seed if seed is None else seed)
    g = torch.Generator(device=dev).manual_seed(seed)
    x = model.prior(n, g) if x_T is None else x_T.to(dev, torch.float32).reshape(n, model.dim).clone()
    if grid is not None:
        if grid.dim() != 2 or grid.shape[1] != model.dim:
            raise ValueError(f"The field is drawn on a (G, {model.dim}) grid of points; got {tuple(grid.shape)}.")
        grid = grid.to(dev, torch.float32)
    xs, outs, x0s, ts, sig, fields = [], [], [], [], [], []
    proc = model.proc

    def record(x_: Tensor, t: float, out: Tensor) -> None:
        if not keep:
            return
        xs.append(x_.cpu())
        outs.append(out.cpu())
        x0s.append(smp.x0_hat(proc, x_, t, out).cpu())
        ts.append(float(t))
        sig.append(1.0 - float(t) if proc is None else float(proc.sigma(torch.tensor(t))))
        if grid is not None:
            fields.append(model.output(grid, t).cpu())

    was = model.training
    model.eval()
    try:
        if sampler == "euler":
            x = smp.flow_euler(model.velocity, x, steps, record)
        elif sampler == "ald":
            x = smp.annealed_langevin(proc, model.score, x, steps, g, eps, per_level, record)
        elif sampler == "pc":
            x = smp.pc(proc, model.score, x, steps, g, corrector, snr, record)
        else:
            x = smp.pf_ode(proc, model.score, x, steps, record)
    finally:
        model.train(was)
    xs.append(x.cpu())
    empty = torch.empty(0, *x.shape)
    settings = {"ald": f"ε = {eps:g}, T = {per_level} per level", "pc": f"M = {corrector}, r = {snr:g}"}
    return Frames(sampler, "velocity" if proc is None else "score", torch.stack(xs),
                  torch.stack(outs) if outs else empty, torch.stack(x0s) if x0s else empty, ts, sig,
                  grid=None if grid is None else grid.cpu(), field=torch.stack(fields) if fields else None,
                  seed=seed, settings=settings.get(sampler, ""))
