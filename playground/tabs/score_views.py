"""Figures of the score tab: the learned field beside the true one, the frames of a sampler, sample paths, and
the corrector scan. Pure functions of tensors, reusing the diffusion tab's scatter, arrows and GIF."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from trainers.data import MODE_STD, mode_centers
from trainers.metrics import chamfer
from trainers.score import Frames, Model
from trainers.score_sde import gmm_score

from .. import figures
from .diffusion_views import X0_COLOR, _arrows, _pts, axis_range, points

NAMES = {"ald": "annealed Langevin", "pc": "PC", "ode": "probability-flow ODE", "euler": "Euler (flow)"}
SCAN_SNR = [0.05, 0.1, 0.16, 0.3, 0.5]
SCAN_M = [0, 1, 2]
PATH_COLORS = {"flow": "#2563eb", "score": "#dc2626"}


def level_words(model: Model, t: float) -> str:
    """How the page names a noise level: σ (and t) for score models, t for flow matching."""
    if model.is_flow:
        return f"t = {t:.2f} (x_t = (1−t)·noise + t·data)"
    sigma = float(model.proc.sigma(torch.tensor(t)))
    return f"t = {t:.3f}, σ_t = {sigma:.3g}" + ("" if model.proc.name != "vp" else
                                                   f", α_t = {float(model.proc.alpha(torch.tensor(t))):.3g}")


def snap(model: Model, t: float) -> float:
    """The clock a model was trained at nearest to t: NCSN's levels, VP's [ε, 1], flow's [0.02, 0.98]."""
    t = float(min(max(t, 0.0), 1.0))
    if model.is_flow:
        return min(max(t, 0.02), 0.98)
    if model.proc.name == "ncsn":
        L = model.proc.levels
        return round(t * (L - 1)) / (L - 1)
    return max(t, model.proc.t_eps)


def true_field(model: Model, dataset: str, train_x: torch.Tensor, grid: torch.Tensor, t: float) -> tuple[torch.Tensor, str]:
    """The field the model should learn at clock t, on ``grid``: the score of the data pushed through the noise
    (a mixture of Gaussians in closed form for ring of 8 / grid of 25; otherwise the training points blurred,
    which is DSM's optimum on a finite set), or for flow matching the marginal velocity E[x_1 − x_0 | x_t]."""
    if dataset in MODE_STD:
        centers, std = mode_centers(dataset), MODE_STD[dataset]
        what = f"{dataset}: a Gaussian mixture, exact"
    else:
        centers, std = train_x[:2000].cpu(), 0.0
        what = (f"the {centers.shape[0]} training points blurred (DSM's optimum on this finite set; at small σ it "
                "points at single training points, which a network that generalises does not learn)")
    if model.is_flow:
        # x_t = t x_1 + (1 − t) x_0: Tweedie with α = t, σ = 1 − t gives E[x_1 | x_t]; v = (E[x_1|x_t] − x_t)/(1 − t)
        a, s = t, 1.0 - t
        x1 = (grid + s ** 2 * gmm_score(grid, centers, std, a, s)) / a
        return (x1 - grid) / s, what
    a = float(model.proc.alpha(torch.tensor(t)))
    s = float(model.proc.sigma(torch.tensor(t)))
    return gmm_score(grid, centers, std, a, s), what


def agreement(learned: torch.Tensor, true: torch.Tensor) -> tuple[float, float]:
    """(mean cosine between the arrows, relative error ‖learned − true‖/‖true‖ over the grid)."""
    cos = torch.nn.functional.cosine_similarity(learned, true, dim=1).mean()
    rel = (learned - true).norm() / true.norm().clamp_min(1e-12)
    return float(cos), float(rel)


def field_plot(data: torch.Tensor, grid: torch.Tensor, vec: torch.Tensor, title: str, rng, name: str,
               height: int = 470):
    cell = (rng[0][1] - rng[0][0]) / (math.sqrt(grid.shape[0]) + 1)
    return points(data, None, title, rng, [_arrows(grid, vec, 0.9 * cell, name)], height=height)


def frame_title(fr: Frames, k: int) -> str:
    K = len(fr) - 1
    name = NAMES.get(fr.sampler, fr.sampler)
    if k == K:
        return f"{name} frame {k}/{K}: the finished samples"
    noise = f"1 − t = {fr.sigma[k]:.3f}" if fr.what == "velocity" else f"σ_t = {fr.sigma[k]:.3g}"
    return f"{name} frame {k}/{K}: t = {fr.t[k]:.3f}, {noise}"


def frame_2d(fr: Frames, k: int, data: torch.Tensor, rng) -> tuple[object, object]:
    """Frame k: (x_t with the learned field as arrows, where each point is headed in blue)."""
    f = fr.frame(k)
    extra = []
    if fr.grid is not None and f["field"] is not None:
        cell = (rng[0][1] - rng[0][0]) / (math.sqrt(fr.grid.shape[0]) + 1)
        extra.append(_arrows(fr.grid, f["field"], 0.9 * cell, "v̂(x, t)" if fr.what == "velocity" else "ŝ(x, t)"))
    title = frame_title(fr, k)
    left = points(data, f["x"], f"x_t · {title}", rng, extra, label="x_t")
    what = ("x̂₁ = x_t + (1 − t) v̂: where each point is headed" if fr.what == "velocity" else
            "x̂₀ = (x_t + σ_t² ŝ)/α_t (Tweedie): where each point is headed")
    right = points(data, None, what, rng, [_pts(f["x0"], "x̂₀ (predicted clean)", X0_COLOR, 7, 0.6)])
    return left, right


def scan(model: Model, ref: torch.Tensor, steps: int, n: int = 400, seed: int = 3) -> dict[str, list]:
    """Chamfer distance of PC samples to held-out data for every (corrector steps M, snr r) pair, same seed."""
    from trainers.score import reverse_process
    out: dict[str, list] = {"snr": list(SCAN_SNR)}
    for m in SCAN_M:
        row = []
        for r in SCAN_SNR:
            if m == 0 and row:                                # no corrector: r plays no part
                row.append(row[0])
                continue
            x = reverse_process(model, n, "pc", steps=steps, corrector=m, snr=r, seed=seed, keep=False).result
            row.append(chamfer(x, ref))
        out[f"M = {m}"] = row
    return out


def scan_plot(s: dict[str, list], title: str):
    traces = [dict(type="scatter", x=s["snr"], y=v, mode="lines+markers", name=k,
                   line=dict(color=figures.PALETTE[i % len(figures.PALETTE)], width=3))
              for i, (k, v) in enumerate(s.items()) if k != "snr"]
    return figures.fig(traces, dict(height=380, title=dict(text=title, font=dict(size=16)),
                                    xaxis=dict(title=dict(text="signal-to-noise ratio r"), type="log"),
                                    yaxis=dict(title=dict(text="Chamfer distance to held-out data")),
                                    legend=dict(orientation="h", y=-0.25)))


def scan_text(s: dict[str, list]) -> str:
    rows = [f"{k}: " + " · ".join(f"r={r:g}: {v:.3f}" for r, v in zip(s["snr"], vals))
            for k, vals in s.items() if k != "snr"]
    best = min(((k, r, v) for k, vals in s.items() if k != "snr" for r, v in zip(s["snr"], vals)),
               key=lambda e: e[2])
    return ("**Chamfer distance of PC samples (lower is closer), same seed:**  \n" + "  \n".join(rows)
            + f"  \nBest: {best[0]}, r = {best[1]:g} ({best[2]:.3f}).")


def straightness(path: torch.Tensor) -> float:
    """(K+1, n, D) path: mean over samples of ‖x_end − x_start‖ / (length of the path); 1 = a straight line."""
    seg = (path[1:] - path[:-1]).norm(dim=2).sum(0)
    chord = (path[-1] - path[0]).norm(dim=1)
    return float((chord / seg.clamp_min(1e-12)).mean())


def paths_plot(data: torch.Tensor, paths: dict[str, torch.Tensor], rng, title: str, show: int = 40):
    """Sample paths from the same x_T, one polyline per sample (NaN-separated, one trace per model)."""
    traces = []
    for name, p in paths.items():
        p = p[:, :show].float().numpy()                                  # (K+1, show, 2)
        xs, ys = [], []
        for j in range(p.shape[1]):
            xs += p[:, j, 0].tolist() + [None]
            ys += p[:, j, 1].tolist() + [None]
        color = PATH_COLORS["flow" if name.startswith("flow matching") else "score"]
        traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=name, hoverinfo="skip",
                           line=dict(width=1.5, color=color)))
        traces.append(dict(type="scatter", x=p[-1, :, 0], y=p[-1, :, 1], mode="markers", showlegend=False,
                           marker=dict(size=6, color=color)))
    return points(data, None, title, rng, traces, height=560)


def np_range(x: torch.Tensor) -> list[list[float]]:
    lo, hi = np.asarray(x.min(0).values) - 0.3, np.asarray(x.max(0).values) + 0.3
    return [[float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]]


def gif(fr: Frames, data: torch.Tensor, path: Path | None = None, max_frames: int = 80, size: int = 420,
        ms: int = 70) -> str:
    """The frames as an animated GIF (PIL only; the diffusion tab's look): data grey, x_t red, the last frame
    held for a second, each captioned with the sampler and its clock."""
    rng = axis_range(data)
    ks = sorted(set(np.linspace(0, len(fr) - 1, min(max_frames, len(fr))).round().astype(int).tolist()))
    try:
        font = ImageFont.load_default(size=20)
    except TypeError:                                   # Pillow < 10.1
        font = ImageFont.load_default()

    def px(p: torch.Tensor) -> np.ndarray:
        p = p.float().cpu().numpy()
        u = (p[:, 0] - rng[0][0]) / (rng[0][1] - rng[0][0]) * (size - 1)
        v = (1 - (p[:, 1] - rng[1][0]) / (rng[1][1] - rng[1][0])) * (size - 1)
        return np.stack([u, v], 1)

    images = []
    for k in ks:
        im = Image.new("RGB", (size, size + 30), "white")
        d = ImageDraw.Draw(im)
        for u, v in px(data[:800]):
            d.ellipse([u - 1.5, v + 28.5, u + 1.5, v + 31.5], fill=(203, 213, 225))
        for u, v in px(fr.x[k]):
            d.ellipse([u - 2, v + 28, u + 2, v + 32], fill=(220, 38, 38))
        name = NAMES.get(fr.sampler, fr.sampler)
        text = f"{name}  t = {fr.t[k]:.3f}" if k < len(fr) - 1 else f"{name}  done"
        d.text((8, 4), text, fill=(15, 23, 42), font=font)
        images.append(im)
    path = path or Path(tempfile.mkdtemp(prefix="score-")) / f"{fr.sampler}-frames.gif"
    images[0].save(path, save_all=True, append_images=images[1:], duration=[ms] * (len(images) - 1) + [1200],
                   loop=0, optimize=False)
    return str(path)
