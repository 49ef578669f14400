"""Where a run trains: picking the device, and moving a model with its optimisers' state."""
from __future__ import annotations

import torch

from .base import GenerativeModel


def pick_device(pref: str = "auto") -> torch.device:
    """cuda when present, else Apple's mps, else cpu; or exactly what ``pref`` names."""
    if pref and pref != "auto":
        return torch.device(pref)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _move_model(model: GenerativeModel, device: torch.device) -> None:
    """``model.to(device)``, and its optimisers' state with it (``nn.Module.to`` leaves that behind)."""
    model.to(device)
    for opt in model.optimizers:
        for state in opt.state.values():
            for k, v in state.items():
                if isinstance(v, torch.Tensor):
                    state[k] = v.to(device)
