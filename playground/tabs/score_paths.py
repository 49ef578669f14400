"""Straight against curved: the deterministic sample paths of a flow-matching model and of a score model's
probability-flow ODE, from the same noise, with the other model trained on the spot."""
from __future__ import annotations

from typing import Any

import torch

from trainers.loop import Run, train
from trainers.metrics import chamfer
from trainers.score import Config, reverse_process

from .. import session
from . import score_views as views

N_PATHS, ODE_STEPS = 60, 50
INTRO = ("Flow matching regresses onto **straight lines** from noise to data; a score model's probability-flow ODE "
         "(and DDIM, DDPM's deterministic sampler) follows the **curved** paths of the noising process. The button "
         "trains the other kind of model on the same data (a VP-SDE score model if this run is flow matching, a "
         "flow-matching model otherwise; same width, learning rate and seed) and draws both models' deterministic "
         f"paths from the same noise z ({N_PATHS} samples, {ODE_STEPS} steps; VE/NCSN start at σ_max z). "
         "Straightness = ‖end − start‖ / path length: 1 is a straight line.  \n"
         "Which is straighter is measured here, not assumed. Each *training* path of flow matching is straight, but "
         "noise and data are paired at random, so the learned flow bends where those lines cross: at t = 0 every "
         "point heads for the data's mean (v(z, 0) = E[x₁] − z) and turns towards its own target later. On the 2D "
         "sets, about as wide as N(0, I), that bend is as large as the VP ODE's (which starts almost at rest, "
         "s ≈ −x at t = 1); Liu et al.'s *reflow* (retraining on the flow's own noise–sample pairs) is what "
         "straightens it (not built here).")


def _other_config(cfg: Config) -> Config:
    return Config(**{**cfg.to_dict(), "objective": "vp" if cfg.objective == "flow" else "flow"})


def _path(run: Run, z: torch.Tensor) -> tuple[str, torch.Tensor, float]:
    m = run.model
    if m.is_flow:
        name, x_T = "flow matching (Euler)", z
    else:
        name = f"{run.cfg.objective.upper()} score model (PF ODE)"
        x_T = z * (m.proc.sigma_max if m.proc.name in ("ve", "ncsn") else 1.0)
    with run.evaluating() as mm:
        fr = reverse_process(mm, z.shape[0], "euler" if mm.is_flow else "ode", steps=ODE_STEPS, x_T=x_T)
        far = chamfer(mm.sample(1000, seed=5, sampler="euler" if mm.is_flow else "ode", steps=ODE_STEPS).cpu(),
                      run.data.x_test.cpu())
    return f"{name}", fr.x, far


def compare(run: Run, view: Any, steps: float) -> dict[str, Any]:
    """Train (or reuse) the other model, then both models' paths from the same z, with their straightness."""
    if steps is None or float(steps) != int(float(steps)) or not 1 <= int(float(steps)) <= 20_000:
        raise ValueError(f"training steps of the other model: a whole number from 1 to 20,000; got {steps!r}.")
    steps = int(float(steps))
    cfg = _other_config(run.cfg)
    key = (cfg.to_dict(), run.data.name, steps)
    comp = view.companion
    if comp is None or comp[0] != key:
        other = Run("score", cfg, run.data, device=run.device)
        for _ in train(other, steps=steps, seconds=session.MAX_SECONDS, cancel=session.should_stop):
            pass
        view.companion = comp = (key, other)
    other = comp[1]
    z = torch.randn(N_PATHS, run.data.x.shape[1], generator=torch.Generator().manual_seed(11))
    rows, paths = [], {}
    for r in (run, other):
        name, p, far = _path(r, z)
        paths[name] = p
        rows.append(f"· {name}: straightness **{views.straightness(p):.3f}**, Chamfer of 1,000 samples "
                    f"**{far:.4f}** ({r.step} training steps)")
    flow = [n for n in paths if n.startswith("flow matching")][0]
    score = [n for n in paths if not n.startswith("flow matching")][0]
    title = (f"Straightness: flow {views.straightness(paths[flow]):.3f} · score ODE "
             f"{views.straightness(paths[score]):.3f} (1 = straight)")
    text = "**Paths from the same noise z:**  \n" + "  \n".join(rows)
    return {"path_plot": views.paths_plot(run.data.x_test[:800].cpu(), paths, views.axis_range(run.data.x_test.cpu()),
                                          title), "path_text": text}
