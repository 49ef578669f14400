"""Figures of the diffusion tab: schedules, point clouds with the ε̂ field, image strips, and the GIF.

Pure functions of tensors (no model calls), so scrubbing frames never recomputes anything.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from trainers.diffusion import Frames, to_unit
from trainers.diffusion_schedules import Schedule, snr_db
from trainers.loop import Run
from trainers.metrics import chamfer, diversity

from .. import figures

GUIDANCE_SCALES = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0]

DATA_COLOR, SAMPLE_COLOR, X0_COLOR, ARROW_COLOR = "#94a3b8", "#dc2626", "#2563eb", "#0f766e"
CG_COLOR = "#9333ea"
FIELDS = ["ε̂ field", "score field", "classifier ∇ log p(y | x_t)"]
CG_FIELD = FIELDS[2]


def axis_range(data: torch.Tensor) -> list[list[float]]:
    """Fixed axes for every frame: the data's box, widened to hold N(0, I) noise (|x| ≲ 3)."""
    lo = torch.minimum(data.min(0).values, torch.tensor(-3.0)) - 0.2
    hi = torch.maximum(data.max(0).values, torch.tensor(3.0)) + 0.2
    return [[float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]]


def schedules(T: int, kind: str, t: int | None = None, height: int = 330):
    """β_t, ᾱ_t and SNR_t (log) for the linear and cosine schedules side by side; a marker at t."""
    panels = [("betas", "β<sub>t</sub>", "linear"), ("alpha_bar", "ᾱ<sub>t</sub>", "linear"),
              ("snr", "SNR<sub>t</sub> = ᾱ/(1−ᾱ)", "log")]
    traces, layout, anns = [], {}, []
    gap, width = 0.07, (1 - 0.07 * 2) / 3
    curves = {k: Schedule(T, k).as_dict() for k in ("linear", "cosine")}
    steps = np.arange(1, T + 1)
    for i, (key, title, ytype) in enumerate(panels):
        xa, ya = ("x", "y") if i == 0 else (f"x{i + 1}", f"y{i + 1}")
        for j, k in enumerate(("linear", "cosine")):
            traces.append(dict(type="scatter", x=steps, y=curves[k][key], mode="lines", name=k, xaxis=xa, yaxis=ya,
                               showlegend=i == 0, line=dict(width=3 if k == kind else 2, color=figures.PALETTE[j],
                                                            dash="solid" if k == kind else "dot")))
            if t is not None:
                traces.append(dict(type="scatter", x=[t + 1], y=[curves[k][key][t]], mode="markers", xaxis=xa,
                                   yaxis=ya, showlegend=False, marker=dict(size=11, color=figures.PALETTE[j],
                                                                           line=dict(width=2, color="black"))))
        lo = i * (width + gap)
        layout["xaxis" if i == 0 else f"xaxis{i + 1}"] = dict(domain=[lo, lo + width], anchor=ya, title=dict(text="t"))
        layout["yaxis" if i == 0 else f"yaxis{i + 1}"] = dict(anchor=xa, type=ytype, gridcolor="#e2e8f0",
                                                              exponentformat="power")
        anns.append(dict(text=f"<b>{title}</b>", x=lo + width / 2, y=1.0, xref="paper", yref="paper",
                         yanchor="bottom", showarrow=False, font=dict(size=17)))
    # the axes' domains and anchors go in too: without them plotly stacks all three panels on one pair of axes
    return figures.fig(traces, dict(layout, height=height, annotations=anns, hovermode="closest",
                                    legend=dict(orientation="h", y=-0.22)))


def _pts(x: torch.Tensor, name: str, color: str, size: float = 5, opacity: float = 0.75) -> dict:
    x = x.float().cpu().numpy()
    return dict(type="scatter", x=x[:, 0], y=x[:, 1], mode="markers", name=name,
                marker=dict(size=size, color=color, opacity=opacity))


def _arrows(grid: torch.Tensor, vec: torch.Tensor, length: float, name: str, color: str = ARROW_COLOR) -> dict:
    """Quiver as one line trace: a shaft and two barbs per arrow, NaN-separated (one trace, fast)."""
    g, v = grid.cpu().numpy(), vec.float().cpu().numpy()
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    v = v / max(float(np.percentile(norm, 95)), 1e-9) * length       # the longest arrows ≈ one grid cell
    v = np.where(np.linalg.norm(v, axis=1, keepdims=True) > length * 1.5,
                 v / np.linalg.norm(v, axis=1, keepdims=True) * length * 1.5, v)
    tip = g + v
    ang = np.arctan2(v[:, 1], v[:, 0])
    head = 0.35 * np.linalg.norm(v, axis=1)
    xs, ys = [], []
    for (x0, y0), (x1, y1), a, h in zip(g, tip, ang, head):
        for da in (0.0, 2.6, -2.6):
            if da == 0.0:
                xs += [x0, x1, None]
                ys += [y0, y1, None]
            else:
                xs += [x1, x1 + h * math.cos(a + da), None]
                ys += [y1, y1 + h * math.sin(a + da), None]
    return dict(type="scatter", x=xs, y=ys, mode="lines", name=name, hoverinfo="skip",
                line=dict(width=1.5, color=color))


def points(data: torch.Tensor, pts: torch.Tensor | None, title: str, rng, extra: list[dict] | None = None,
           label: str = "samples", height: int = 560):
    """A 2D scatter: the data in grey, ``pts`` in red, optional extra traces, fixed square-ish axes."""
    traces = [_pts(data, "data", DATA_COLOR, 6, 0.5)]
    if pts is not None:
        traces.append(_pts(pts, label, SAMPLE_COLOR, 7, 0.75))
    traces += extra or []
    return figures.fig(traces, dict(height=height, title=dict(text=title, font=dict(size=16)), hovermode="closest",
                                    margin=dict(l=40, r=10, t=50, b=30),
                                    xaxis=dict(range=rng[0]), yaxis=dict(range=rng[1], scaleanchor="x"),
                                    legend=dict(orientation="h", y=-0.1)))


def frame_2d(fr: Frames, k: int, data: torch.Tensor, rng, show: str = "ε̂ field") -> tuple[object, object]:
    """Frame k of a 2D reverse process: (x_t with the ε̂ or score field as arrows, x̂_0 in blue)."""
    f = fr.frame(k)
    extra = []
    if fr.grid is not None and f["field"] is not None:
        cell = (rng[0][1] - rng[0][0]) / (math.sqrt(fr.grid.shape[0]) + 1)
        if show == CG_FIELD and f.get("cg") is not None:                     # Dhariwal & Nichol's g, scaled
            extra.append(_arrows(fr.grid, f["cg"], 0.9 * cell, "classifier ∇ log p_φ(y | x_t)", CG_COLOR))
        else:
            vec = f["field"] if show != "score field" else -f["field"]       # the score points the other way
            extra.append(_arrows(fr.grid, vec, 0.9 * cell, "score ∝ −ε̂" if show == "score field" else "ε̂(x, t)"))
    title = frame_title(fr, k)
    left = points(data, f["x"], f"x_t · {title}", rng, extra, label="x_t")
    heads = [_pts(f["x0"], "x̂₀ (predicted clean)", X0_COLOR, 7, 0.6)]
    what = "x̂₀ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t"
    if fr.box is not None:                                   # the box every x̂₀ was clipped to, dashed
        (x0, y0), (x1, y1) = (fr.box[0].flatten().tolist(), fr.box[1].flatten().tolist())
        heads.append(dict(type="scatter", x=[x0, x1, x1, x0, x0], y=[y0, y0, y1, y1, y0], mode="lines",
                          name="clip box", hoverinfo="skip", line=dict(width=1.5, color="black", dash="dash")))
        what = "x̂₀ clipped to the dashed box"
    right = points(data, None, f"{what}: where each point is headed", rng, heads)
    return left, right


def box_words(box) -> str:
    """The clip box as the page writes it: [−1, 1] for images, [a, b] × [c, d] for 2D points."""
    lo, hi = (v.flatten().tolist() for v in box)
    if len(lo) == 1:
        return f"[{lo[0]:g}, {hi[0]:g}]"
    return " × ".join(f"[{a:.2f}, {b:.2f}]" for a, b in zip(lo, hi))


def guidance(g: dict[str, list[float]]):
    """Spread and Chamfer against w (``guidance_scan``'s numbers), titled with what the run shows."""
    ws, spread, dist = g["w"], g["spread"], g["chamfer"]
    fig = figures.fig(
        [dict(type="scatter", x=ws, y=spread, mode="lines+markers", name="spread within a class"),
         dict(type="scatter", x=ws, y=dist, mode="lines+markers", name="Chamfer to that class's data", yaxis="y2")],
        dict(height=380, title=dict(text=guidance_title(g), font=dict(size=16)),
             xaxis=dict(title=dict(text="guidance scale w")), yaxis=dict(title=dict(text="mean pairwise distance")),
             yaxis2=dict(title=dict(text="Chamfer distance"), overlaying="y", side="right"),
             legend=dict(orientation="h", y=-0.25)))
    return fig


def guidance_text(g: dict[str, list[float]]) -> str:
    """The scan's numbers: the spread at every w, its change, and the share of samples on another class."""
    rows = " | ".join(f"w={w:g}: {a:.3f}" for w, a in zip(g["w"], g["spread"]))
    return (f"**Spread within a class** (mean distance between two samples): {rows}.  \n"
            f"From w = 0 to w = {g['w'][-1]:g} the spread changes by "
            f"{100 * (g['spread'][-1] / max(g['spread'][0], 1e-9) - 1):+.0f}%.  \n"
            "**Samples nearer another class's data than their own**: "
            + " · ".join(f"{100 * e:.0f}%" for e in g["elsewhere"]) + f" (w = {', '.join(f'{w:g}' for w in g['w'])}).")


def guidance_title(g: dict[str, list[float]]) -> str:
    """What the scan shows, from its numbers: how the spread moved, and where the samples lie closest to their
    class's data (past that scale guidance costs fidelity as well as diversity)."""
    ws, spread, dist = g["w"], g["spread"], g["chamfer"]
    best = min(range(len(ws)), key=dist.__getitem__)
    change = 100 * (spread[-1] / max(spread[0], 1e-9) - 1)
    head = f"w = {ws[0]:g} → {ws[-1]:g}: spread within a class {change:+.0f}%"
    if best == len(ws) - 1:
        return f"{head}; samples get ever closer to their class's data (Chamfer lowest at w = {ws[best]:g})"
    return (f"{head}; samples lie closest to their class's data at w = {ws[best]:g}, "
            f"farther beyond (Chamfer {dist[best]:.3f} → {dist[-1]:.3f})")


def frame_title(fr: Frames, k: int) -> str:
    t = fr.frame(k)["t"]
    if t < 0:
        return f"{fr.sampler.upper()} frame {k}/{len(fr) - 1}: x₀, the finished samples"
    ab = fr.alpha_bar[k]
    return f"{fr.sampler.upper()} frame {k}/{len(fr) - 1}: t = {t + 1}, ᾱ_t = {ab:.3f}, SNR = {snr_db(ab):+.1f} dB"


def eps_to_unit(e: torch.Tensor) -> torch.Tensor:
    """ε̂ (≈ N(0, 1) per pixel) shown mid-grey at 0, black at −3σ, white at +3σ."""
    return (e / 6 + 0.5).clamp(0, 1)


def frame_images(fr: Frames, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame k of an image reverse process: (x_t, ε̂, x̂_0) as three square-ish grids."""
    f = fr.frame(k)
    nrow = math.ceil(math.sqrt(f["x"].shape[0]))
    x = to_unit(f["x"].float())
    eps = eps_to_unit(f["eps"].float()) if f["eps"] is not None else torch.full_like(x, 0.5)
    x0 = to_unit(f["x0"].float())
    return tuple(figures.grid(v, nrow=nrow, target=360) for v in (x, eps, x0))    # type: ignore[return-value]


def gif(fr: Frames, data: torch.Tensor | None, path: Path | None = None, max_frames: int = 80,
        size: int = 420, ms: int = 70) -> str:
    """The reverse process as an animated GIF (PIL only), the last frame held for a second."""
    ks = sorted(set(np.linspace(0, len(fr) - 1, min(max_frames, len(fr))).round().astype(int).tolist()))
    images = [_gif_points(fr, k, data, size) if data is not None else _gif_images(fr, k, size) for k in ks]
    path = path or Path(tempfile.mkdtemp(prefix="ddpm-")) / f"{fr.sampler}-reverse.gif"
    durations = [ms] * (len(images) - 1) + [1200]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=False)
    return str(path)


def _gif_images(fr: Frames, k: int, size: int) -> Image.Image:
    x = fr.frame(k)["x"].float()
    g = figures.grid(to_unit(x), nrow=math.ceil(math.sqrt(x.shape[0])), target=size)
    return _caption(Image.fromarray(g), fr, k)


def _gif_points(fr: Frames, k: int, data: torch.Tensor, size: int) -> Image.Image:
    rng = axis_range(data)
    im = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(im)

    def px(p: torch.Tensor) -> np.ndarray:
        p = p.float().cpu().numpy()
        u = (p[:, 0] - rng[0][0]) / (rng[0][1] - rng[0][0]) * (size - 1)
        v = (1 - (p[:, 1] - rng[1][0]) / (rng[1][1] - rng[1][0])) * (size - 1)
        return np.stack([u, v], 1)

    for u, v in px(data[:800]):
        d.ellipse([u - 1.5, v - 1.5, u + 1.5, v + 1.5], fill=(203, 213, 225))
    for u, v in px(fr.frame(k)["x"]):
        d.ellipse([u - 2, v - 2, u + 2, v + 2], fill=(220, 38, 38))
    return _caption(im, fr, k)


def _caption(im: Image.Image, fr: Frames, k: int) -> Image.Image:
    t = fr.frame(k)["t"]
    out = Image.new("RGB", (im.width, im.height + 30), "white")
    out.paste(im, (0, 30))
    name = fr.sampler.upper() + (f" + classifier s={fr.cg_scale:g}" if fr.guide == "classifier" else "")
    text = f"{name}  t = {t + 1}" if t >= 0 else f"{name}  x0 (done)"
    try:
        font = ImageFont.load_default(size=20)          # Pillow ≥ 10.1: a scalable font, legible on a projector
    except TypeError:
        font = ImageFont.load_default()
    ImageDraw.Draw(out).text((8, 4), text, fill=(15, 23, 42), font=font)
    return out


def guidance_scan(run: Run, scales: list[float] = GUIDANCE_SCALES) -> dict[str, list[float]]:
    """Every class sampled at each guidance scale (same seed, DDIM 25 steps), averaged over classes: the spread
    within a class, the Chamfer distance to that class's held-out data, and the share of samples nearer
    another class's data than their own."""
    if not run.model.n_cond:
        raise ValueError("Guidance needs a class-conditional model: tick 'class-conditional (guidance)' and train.")
    per = 200 if run.data.kind == "points" else 8
    xs, ys = run.data.x_test.cpu(), run.data.y_test.cpu()
    out: dict[str, list[float]] = {"w": list(scales), "spread": [], "chamfer": [], "elsewhere": []}
    with run.evaluating() as m:
        cls = [c for c in range(m.n_cond) if (ys == c).any()]
        for w in scales:
            y = torch.arange(m.n_cond).repeat_interleave(per)
            s = m.sample(len(y), y=y, guidance=w, seed=5, sampler="ddim", steps=min(25, run.cfg.T)).cpu()
            near = torch.stack([torch.cdist(s.flatten(1), xs[ys == c].flatten(1)).min(1).values if c in cls
                                else torch.full((len(s),), float("inf")) for c in range(m.n_cond)], 1)
            out["spread"].append(sum(diversity(s[y == c]) for c in cls) / len(cls))
            out["chamfer"].append(sum(chamfer(s[y == c], xs[ys == c]) for c in cls) / len(cls))
            out["elsewhere"].append(float((near.argmin(1) != y).float().mean()))
    return out
