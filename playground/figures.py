"""Pure functions: metrics -> plotly figures, tensors -> image grids, points -> hoverable scatter.

Figures are built from numpy arrays on a template registered once (per-figure templates and
plotly express cost tens of ms each); curves are downsampled by ``History.series``.
"""
from __future__ import annotations

import base64
import html
import io
import json
import textwrap

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import torch
from gradio.components.plot import PlotData
from PIL import Image


class _Same:
    """A view's value meaning "unchanged": the panel sends nothing for it (see latent.scatter)."""

    def __repr__(self) -> str:
        return "SAME"


SAME = _Same()

PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
           "#4b5563", "#65a30d"]

pio.templates["playground"] = go.layout.Template(layout=go.Layout(
    font=dict(size=15, family="Inter, Arial, sans-serif"), colorway=PALETTE, paper_bgcolor="white",
    plot_bgcolor="#f8fafc", margin=dict(l=55, r=15, t=45, b=45), hovermode="x unified",
    legend=dict(x=0.99, xanchor="right", y=0.99, yanchor="top", bgcolor="rgba(255,255,255,0.7)"),
    xaxis=dict(gridcolor="#e2e8f0", zeroline=False), yaxis=dict(gridcolor="#e2e8f0", zeroline=False)))
pio.templates.default = "playground"
_TEMPLATE = pio.templates["playground"].to_plotly_json()      # serialised once, reused by every figure

PRETTY = {"recon": "recon", "kl": "KL", "total": "total", "neg_elbo": "−ELBO", "beta": "β"}


def _json_default(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    raise TypeError(type(o))


def fig(data: list[dict], layout: dict) -> PlotData:
    """A plotly figure from plain dicts, serialised straight to JSON for gr.Plot.

    Building ``go.Figure`` objects validates every property (tens of ms per update); live views
    are redrawn a few times a second, so they skip it. NaN becomes null (a gap in a line).
    """
    layout = {"template": _TEMPLATE, **layout}
    text = json.dumps({"data": data, "layout": layout}, default=_json_default, allow_nan=True)
    return PlotData(type="plotly", plot=text.replace("NaN", "null").replace("Infinity", "null"))


DASHES = ["solid", "dash", "dot", "dashdot"]


def _axis(i: int, name: str) -> str:
    return name if i == 0 else f"{name}{i + 1}"


def curves(history, groups: list[list[str]], titles: list[str] | None = None, height: int = 330,
           ghosts: list = ()) -> PlotData:
    """One panel per group of terms, side by side: per-step lines and per-epoch means (dots).

    Terms sharing a panel are told apart by dash (solid, dashed, dotted), named in the panel's title.
    ``ghosts``: pinned runs (``.label``, ``.history``), drawn as faint thin lines under the live ones.
    """
    titles = titles or [_group_title(g) for g in groups]
    keep = list(range(len(groups)))     # a term keeps its colour (from its panel's place in ``groups``)
    if history.terms:                   # drop panels this run has no terms for (a plain AE has no penalty)
        keep = [i for i in keep if any(k in history.terms for k in groups[i])] or keep
    groups, titles = [groups[g] for g in keep], [titles[g] for g in keep]
    n = max(1, len(groups))
    gap = 0.06
    width = (1 - gap * (n - 1)) / n
    traces, layout = [], {}
    for i, keys in enumerate(groups):
        xa, ya = _axis(i, "x"), _axis(i, "y")
        for j, k in enumerate(keys):
            if k not in history.terms:
                continue
            x, y = history.series(k)
            color = PALETTE[(keep[i] + j) % len(PALETTE)]
            for g in ghosts:
                if k in g.history.terms:
                    gx, gy = g.history.series(k, max_points=500)
                    traces.append(dict(type="scatter", x=gx, y=gy, mode="lines", opacity=0.35, xaxis=xa, yaxis=ya,
                                       name=f"{g.label} · {PRETTY.get(k, k)}", showlegend=False,
                                       line=dict(width=1.5, color=color, dash=DASHES[j % len(DASHES)])))
            traces.append(dict(type="scatter", x=x, y=y, mode="lines", name=PRETTY.get(k, k), xaxis=xa, yaxis=ya,
                               line=dict(width=2, color=color, dash=DASHES[j % len(DASHES)]), showlegend=False))
            if history.epochs and k in history.epochs[0]:
                ex = np.array([e["step"] for e in history.epochs[-500:]], dtype=np.float64)
                ey = np.array([e[k] for e in history.epochs[-500:]], dtype=np.float64)
                traces.append(dict(type="scatter", x=ex, y=ey, mode="markers", name=f"{PRETTY.get(k, k)} (epoch)",
                                   xaxis=xa, yaxis=ya, showlegend=False,
                                   marker=dict(size=7 if len(ex) <= 60 else 4, color=color,
                                               line=dict(width=1 if len(ex) <= 60 else 0, color="white"))))
        lo = i * (width + gap)
        layout[_axis(i, "xaxis")] = dict(domain=[lo, lo + width], anchor=ya, title=dict(text="step"))
        layout[_axis(i, "yaxis")] = dict(anchor=xa, gridcolor="#e2e8f0")
    # long titles wrap to the panel's width (about 1000 px shared by n panels, ~9 px a character)
    wrapped = ["<br>".join(textwrap.wrap(t, max(18, 110 // n))) for t in titles]
    lines = max([w.count("<br>") + 1 for w in wrapped] or [1])
    anns = [dict(text=f"<b>{t}</b>", x=i * (width + gap) + width / 2, y=1.0, xref="paper", yref="paper",
                 yanchor="bottom", showarrow=False, font=dict(size=15))
            for i, t in enumerate(wrapped)]
    return fig(traces, dict(height=height + 20 * (lines - 1), annotations=anns, margin=dict(t=40 + 20 * lines),
                            **layout))


def _group_title(keys: list[str]) -> str:
    if len(keys) == 1:
        return PRETTY.get(keys[0], keys[0])
    return " · ".join(f"{PRETTY.get(k, k)} ({DASHES[j % len(DASHES)]})" for j, k in enumerate(keys))


def bars(values, title: str, threshold: float | None = None, xlabel: str = "latent dimension",
         ylabel: str = "KL (nats)", height: int = 300) -> PlotData:
    """A bar per dimension; bars under ``threshold`` are grey (collapsed units)."""
    v = np.asarray(values, dtype=np.float64)
    colors = [PALETTE[0] if threshold is None or x > threshold else "#cbd5e1" for x in v]
    shapes = [] if threshold is None else [dict(type="line", xref="paper", x0=0, x1=1, y0=threshold, y1=threshold,
                                                line=dict(dash="dot", color="#64748b"))]
    return fig([dict(type="bar", x=np.arange(len(v)), y=v, marker=dict(color=colors))],
               dict(height=height, title=dict(text=title, font=dict(size=15)), hovermode="closest", shapes=shapes,
                    xaxis=dict(title=dict(text=xlabel), dtick=1 if len(v) <= 32 else None),
                    yaxis=dict(title=dict(text=ylabel))))


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1] -> (N, H, W, 3) uint8."""
    x = images.detach().float().clamp(0, 1).cpu()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    return (x.permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)


def grid(images: torch.Tensor, nrow: int = 8, pad: int = 1, target: int = 0, pad_value: int = 255) -> np.ndarray:
    """Tile images into one picture at their own resolution; the page scales it up crisply (CSS
    ``image-rendering: pixelated``), so a live update encodes a few kB instead of a large PNG.
    ``target``: upscale by an integer factor to about that many px wide (for files: GIFs, downloads)."""
    imgs = to_uint8(images)
    n, h, w, _ = imgs.shape
    ncol = min(nrow, n)
    rows = -(-n // ncol)
    out = np.full((rows * (h + pad) + pad, ncol * (w + pad) + pad, 3), pad_value, np.uint8)
    for i in range(n):
        r, c = divmod(i, ncol)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = imgs[i]
    scale = max(1, target // out.shape[1])
    return np.kron(out, np.ones((scale, scale, 1), np.uint8)) if scale > 1 else out


def _png_b64(img: np.ndarray, scale: int) -> str:
    im = Image.fromarray(img).resize((img.shape[1] * scale, img.shape[0] * scale), Image.NEAREST)
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=False)
    return base64.b64encode(buf.getvalue()).decode()


def thumbnails(images: torch.Tensor, px: int = 84) -> tuple[list[str], int, int]:
    """Base64 PNGs of the images at their own size (the SVG scales them up, pixelated), so the
    page stays light; computed once per run and reused by every update."""
    imgs = to_uint8(images)
    scale = max(1, px // imgs.shape[1])
    return [_png_b64(im, 1) for im in imgs], imgs.shape[2] * scale, imgs.shape[1] * scale


def scatter_html(points: np.ndarray, labels, thumbs: tuple[list[str], int, int] | None, title: str,
                 class_names: list[str] | None = None, size: int = 540) -> str:
    """A scatter coloured by label; hovering a point shows its image (HTML + CSS, no JS).

    ``thumbs`` comes from :func:`thumbnails` (so a live update only moves the points).
    """
    p = np.asarray(points, dtype=np.float64)
    if len(p) == 0:
        return "<p>No points.</p>"
    finite = np.isfinite(p).all(1)
    lo, hi = (p[finite].min(0), p[finite].max(0)) if finite.any() else (np.zeros(2), np.ones(2))
    span = np.where(hi - lo > 1e-9, hi - lo, 1.0)
    xy = np.nan_to_num((p - lo) / span, nan=0.5) * 100          # percent of the box
    labels = None if labels is None else np.asarray(labels)
    b64, tw, th = thumbs if thumbs is not None else (None, 0, 0)
    dots = []
    for i, (x, y) in enumerate(xy):
        lab = int(labels[i]) if labels is not None else 0
        color = PALETTE[lab % len(PALETTE)]
        name = html.escape(class_names[lab]) if class_names and lab < len(class_names) else str(lab)
        pop = ""
        if b64 is not None:
            side = "right:10px" if x > 60 else "left:10px"
            pop = (f'<span class="pop" style="{side}"><img src="data:image/png;base64,{b64[i]}" '
                   f'width="{tw}" height="{th}"><br>label {name}</span>')
        dots.append(f'<i class="pt" style="left:{x:.1f}%;top:{100 - y:.1f}%;background:{color}">{pop}</i>')
    legend = ""
    if labels is not None and class_names:
        items = [f'<span style="color:{PALETTE[i % len(PALETTE)]};font-size:20px">●</span> {html.escape(c)}'
                 for i, c in enumerate(class_names[:20])]
        legend = '<div class="pg-legend">' + " &nbsp; ".join(items) + "</div>"
    return (f'<div class="pg-scatter"><div class="pg-title">{html.escape(title)}</div>'
            f'<div class="pg-box" style="max-width:{size}px"><div class="pg-area">{"".join(dots)}</div></div>'
            f'{legend}</div>')


SCATTER_CSS = """
.pg-scatter .pg-box { position: relative; width: 100%; aspect-ratio: 1; background: #f8fafc;
  border-radius: 8px; }
.pg-scatter .pg-area { position: absolute; inset: 16px; }
.pg-scatter .pt { position: absolute; width: 9px; height: 9px; margin: -4.5px; border-radius: 50%;
  opacity: 0.85; }
.pg-scatter .pt:hover { z-index: 10; opacity: 1; outline: 2px solid #0f172a; transform: scale(1.6); }
.pg-scatter .pop { display: none; position: absolute; bottom: 10px; background: white; padding: 4px;
  border: 1px solid #334155; border-radius: 4px; font-size: 9px; font-style: normal; line-height: 1.2;
  white-space: nowrap; color: #0f172a; }
.pg-scatter .pop img { image-rendering: pixelated; display: block; }
.pg-scatter .pt:hover .pop { display: block; }
.pg-scatter .pg-title { font-weight: 600; font-size: 17px; margin: 4px 0; }
.pg-scatter .pg-legend { font-size: 15px; margin-top: 4px; }
"""
