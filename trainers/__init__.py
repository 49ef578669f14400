"""Generative Models Playground, the pure-PyTorch half: data, models, losses, one loop, metrics.

Never imports gradio or plotly: everything here works from a notebook or a test.
"""
from __future__ import annotations

import importlib
from types import ModuleType

# The registry, one line per family: name -> module holding ``Config`` and ``Model``.
FAMILIES: dict[str, str] = {
    "ae": "trainers.ae",
    "vae": "trainers.vae",
    "vaevariants": "trainers.vaevariants",
    "vqvae": "trainers.vqvae",
    "gan": "trainers.gan",
    "diffusion": "trainers.diffusion",
    "score": "trainers.score",
    "tdvae": "trainers.tdvae",
}


def family(name: str) -> ModuleType:
    """The module of a family, imported on first use (so ``import trainers`` stays instant)."""
    if name not in FAMILIES:
        raise ValueError(f"Unknown model family {name!r}; known: {', '.join(FAMILIES)}.")
    return importlib.import_module(FAMILIES[name])
