"""The contract every family implements, and the records the loop yields.

A family module (``trainers/vae.py``, ...) defines:

* ``Config``: a flat ``@dataclass`` whose fields are declared with :func:`param`, so the
  UI form, the checkpoint and the tests all come from one object;
* ``Model(GenerativeModel)``: owns its modules, its loss, its optimizers and its sampling.

``loss(batch)`` returns a dict with ``"loss"`` (the tensor to minimise) plus detached named
terms; the loop turns every scalar term into a curve and every 1-D term into a bar chart.
"""
from __future__ import annotations

import dataclasses
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import torch
from torch import Tensor, nn


# ----------------------------------------------------------------------------- configs
def param(default: Any, help: str, *, lo: float | None = None, hi: float | None = None,
          choices: Sequence[Any] | None = None, step: float | None = None,
          label: str | None = None, log: bool = False, advanced: bool = False, live: bool = False) -> Any:
    """A config field whose metadata carries its range, choices and help text.

    ``live`` fields (learning rate, loss weights) can change between Train presses without
    restarting the run; changing any other field starts a new run.
    """
    meta = dict(help=help, lo=lo, hi=hi, choices=tuple(choices) if choices else None,
                step=step, label=label, log=log, advanced=advanced, live=live)
    return field(default=default, metadata=meta)


class ConfigBase:
    """Mixin for family configs: validation with sentences a student understands."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            m = f.metadata
            name = m.get("label") or f.name
            if m.get("choices"):
                if value not in m["choices"]:
                    opts = ", ".join(repr(c) for c in m["choices"])
                    raise ValueError(f"{name} must be one of {opts}; got {value!r}.")
                continue
            if isinstance(f.default, bool):
                if isinstance(value, str):
                    value = value.lower() in ("1", "true", "yes", "on")
                if not isinstance(value, (bool, int)):
                    raise ValueError(f"{name} must be true or false; got {value!r}.")
                setattr(self, f.name, bool(value))
                continue
            if isinstance(f.default, (int, float)):
                try:
                    num = float(value)
                except (TypeError, ValueError):
                    raise ValueError(f"{name} must be a number; got {value!r}.") from None
                if not math.isfinite(num):
                    raise ValueError(f"{name} must be a finite number; got {value!r}.")
                if isinstance(f.default, int):
                    if num != int(num):
                        raise ValueError(f"{name} must be a whole number; got {value!r}.")
                    num = int(num)
                lo, hi = m.get("lo"), m.get("hi")
                if (lo is not None and num < lo) or (hi is not None and num > hi):
                    raise ValueError(f"{name} must be between {_fmt(lo)} and {_fmt(hi)}; got {_fmt(num)}.")
                setattr(self, f.name, num)
        self.validate()

    def validate(self) -> None:
        """Cross-field checks; override in a family (raise ValueError)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"Unknown setting(s) for {cls.__module__}: {', '.join(sorted(unknown))}.")
        return cls(**d)


def _fmt(x: float | None) -> str:
    if x is None:
        return "∞"
    return f"{x:g}"


# ----------------------------------------------------------------------------- records
@dataclass
class Batch:
    x: Tensor                 # (B, ...) inputs on the model's device
    y: Tensor | None = None   # (B,) integer labels, when the data has them


@dataclass
class Metrics:
    """What the loop yields: the state of a run after ``step`` optimizer steps."""
    step: int
    epoch: float
    terms: dict[str, float]                 # scalar terms of the latest step
    vectors: dict[str, list[float]] = field(default_factory=dict)   # e.g. kl_per_dim
    steps_per_s: float = 0.0
    epoch_end: dict[str, float] | None = None   # the mean of each term over an epoch that just ended


class Diverged(RuntimeError):
    """The loss became NaN or infinite; the model was restored to its last good weights."""


# ----------------------------------------------------------------------------- models
def finite(loss: Tensor) -> bool:
    """Is a step's loss finite, so its optimizer step may be taken? Asked on the CPU only: on a GPU the
    question is a host sync per step, which sets the speed of small models; there the step is taken, and
    the loop's batched check (``Run.flush``) restores the last good weights and optimiser state if not."""
    return loss.device.type != "cpu" or bool(torch.isfinite(loss))


class GenerativeModel(nn.Module):
    """Base class: a model owns its loss, its optimizers and its sampling.

    Families with one optimizer override :meth:`loss` only; a GAN overrides
    :meth:`train_step` to alternate its two players.
    """

    family: str = ""
    # The run's own noise generator (set by ``loop.Run``): every random draw of a training step goes
    # through :meth:`randn`/:meth:`rand`/:meth:`randint`, so a run continues bit-identically after a
    # pickle round trip, whatever else in the process draws random numbers. None: torch's global RNG.
    rng: torch.Generator | None = None

    def __init__(self, cfg: Any, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__()
        self.cfg = cfg
        self.data_shape = tuple(data_shape)
        self.num_classes = num_classes
        self.optimizers: list[torch.optim.Optimizer] = []

    # -- training ---------------------------------------------------------------------
    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [adam(self.parameters(), lr=getattr(self.cfg, "lr", 1e-3))]

    def loss(self, batch: Batch) -> dict[str, Tensor]:
        raise NotImplementedError

    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        out = self.loss(batch)
        if not finite(out["loss"]):
            return out              # the loop restores the last good weights
        opt = self.optimizers[0]
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        opt.step()
        return out

    def on_epoch_start(self, epoch: int) -> None:
        """Hook for schedules that change per epoch (KL warm-up, ...).

        Called when an epoch starts, and again with the same epoch when live settings change or a run
        is loaded mid-epoch: whatever it does once per epoch must be guarded (see ``vqvae``)."""

    def apply_config(self, cfg: Any) -> None:
        """Take new values of ``live`` settings without rebuilding (override for several optimizers)."""
        self.cfg = cfg
        if hasattr(cfg, "lr"):
            for opt in self.optimizers:
                for group in opt.param_groups:
                    group["lr"] = cfg.lr

    # -- the run's randomness -----------------------------------------------------------------
    def _gen(self) -> dict[str, Any]:
        return {} if self.rng is None else {"generator": self.rng}

    def randn(self, *shape: int, like: Tensor | None = None) -> Tensor:
        """N(0, I) noise of ``shape`` (or shaped like ``like``), drawn from the run's generator."""
        size = tuple(like.shape) if like is not None else shape
        dev = like.device if like is not None else self.device
        dtype = like.dtype if like is not None else torch.get_default_dtype()
        return torch.randn(size, device=dev, dtype=dtype, **self._gen())

    def rand(self, *shape: int, like: Tensor | None = None) -> Tensor:
        """U[0, 1) noise of ``shape`` (or shaped like ``like``), drawn from the run's generator."""
        size = tuple(like.shape) if like is not None else shape
        dev = like.device if like is not None else self.device
        dtype = like.dtype if like is not None else torch.get_default_dtype()
        return torch.rand(size, device=dev, dtype=dtype, **self._gen())

    def randint(self, low: int, high: int, shape: tuple[int, ...]) -> Tensor:
        """Integers in [low, high) drawn from the run's generator."""
        return torch.randint(low, high, shape, device=self.device, **self._gen())

    def __getstate__(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["rng"] = None          # a Run pickles its generators' states and hands them back
        return d

    # -- using the model ----------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def here(self, *tensors: torch.Tensor | None) -> tuple[torch.Tensor | None, ...]:
        """``tensors`` on this model's device (None stays None): held-out data a caller keeps on the CPU."""
        return tuple(None if t is None else t.to(self.device) for t in tensors)

    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None) -> Tensor:
        raise NotImplementedError


def adam(params: Iterable[nn.Parameter], lr: float, **kw: Any) -> torch.optim.Adam:
    """Adam, fused where the build supports it (same math, one kernel per step)."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True, **kw)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, **kw)


_GLOBAL_RNG = threading.RLock()


@contextmanager
def global_rng(seed: int | None = None) -> Iterator[None]:
    """Draw from torch's *global* RNG without disturbing anyone else in the process.

    A model's initial weights can only come from the global RNG (``nn.Module`` constructors have no
    generator argument), and a server runs many visitors' threads. So every use of it here holds one
    process-wide lock, and puts the global state back afterwards: a run built with seed s gets the same
    weights whatever other visitors draw at the same time, and a view that samples with a fixed ``seed``
    draws the same thing every time. (Training draws from the run's own generator; see ``randn``.)
    """
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with _GLOBAL_RNG, torch.random.fork_rng(devices=devices):
        if seed is not None:
            torch.manual_seed(seed)
        yield


class SamplesWhenTrained:
    """Mixed into models that sample by iterating a trained network (diffusion, score models): counts the
    steps that trained (their ``trained_steps`` buffer, registered in ``__init__``, travels in the export)
    and refuses to sample before the first one or more than ``max_samples`` at a time."""
    max_samples = 4096

    def train_step(self, batch: Batch) -> dict[str, torch.Tensor]:
        out = super().train_step(batch)                      # type: ignore[misc]
        if finite(out["loss"]):
            self.trained_steps += 1                          # type: ignore[attr-defined]
        return out

    def check_ready(self, n: int) -> None:
        if int(self.trained_steps) == 0:                     # type: ignore[attr-defined]
            raise ValueError("The model has not been trained yet: train it for a few steps before sampling.")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= self.max_samples:
            raise ValueError(f"The number of samples must be between 1 and {self.max_samples}; got {n!r}.")
