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

    Every term has its own colour and a legend entry below the panels (issue 15, item 9: past a few
    thousand points a dashed line looks solid); dashes still tell a panel's terms apart without colour.
    ``ghosts``: pinned runs (``.label``, ``.history``), drawn as faint thin lines under the live ones.
    """
    titles = titles or [_group_title(g) for g in groups]
    keep = list(range(len(groups)))
    order: dict[str, int] = {}          # a term keeps its colour: its place among all the groups' terms
    for k in (k for g in groups for k in g):
        order.setdefault(k, len(order))
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
            color, name = PALETTE[order[k] % len(PALETTE)], PRETTY.get(k, k)
            for g in ghosts:
                if k in g.history.terms:
                    gx, gy = g.history.series(k, max_points=500)
                    traces.append(dict(type="scatter", x=gx, y=gy, mode="lines", opacity=0.35, xaxis=xa, yaxis=ya,
                                       name=f"{g.label} · {name}", showlegend=False, legendgroup=k,
                                       line=dict(width=1.5, color=color, dash=DASHES[j % len(DASHES)])))
            traces.append(dict(type="scatter", x=x, y=y, mode="lines", name=name, xaxis=xa, yaxis=ya, legendgroup=k,
                               line=dict(width=2, color=color, dash=DASHES[j % len(DASHES)]), showlegend=True))
            if history.epochs and k in history.epochs[0]:
                ex = np.array([e["step"] for e in history.epochs[-500:]], dtype=np.float64)
                ey = np.array([e[k] for e in history.epochs[-500:]], dtype=np.float64)
                traces.append(dict(type="scatter", x=ex, y=ey, mode="markers", name=f"{name} (epoch)",
                                   xaxis=xa, yaxis=ya, showlegend=False, legendgroup=k,
                                   marker=dict(size=7 if len(ex) <= 60 else 4, color=color,
                                               line=dict(width=1 if len(ex) <= 60 else 0, color="white"))))
        lo = i * (width + gap)
        layout[_axis(i, "xaxis")] = dict(domain=[lo, lo + width], anchor=ya, title=dict(text="step"))
        layout[_axis(i, "yaxis")] = dict(anchor=xa, gridcolor="#e2e8f0")
    # long titles wrap to the panel's width (about 1000 px shared by n panels, ~9 px a character)
    wrapped = ["<br>".join(textwrap.wrap(t, max(18, 110 // n))) for t in titles]
    lines = max([w.count("<br>") + 1 for w in wrapped] or [1])
    anns = [dict(text=f"<b>{t}</b>", x=i * (width + gap) + width / 2, y=1.0, xref="paper", yref="paper",
                 xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=15))
            for i, t in enumerate(wrapped)]
    # the legend sits under the panels, across the figure; the page rewraps a subplot title that would overprint
    # its neighbour to its panel's real width (static/liveplot.js fitTitles)
    legend = dict(orientation="h", x=0, xanchor="left", yref="container", y=0, yanchor="bottom",
                  bgcolor="rgba(0,0,0,0)", itemclick="toggle", itemdoubleclick="toggleothers")
    return fig(traces, dict(height=height + 30 + 20 * (lines - 1), annotations=anns, legend=legend,
                            margin=dict(t=40 + 20 * lines, b=80), **layout))


def _group_title(keys: list[str]) -> str:
    if len(keys) == 1:
        return PRETTY.get(keys[0], keys[0])
    return " · ".join(PRETTY.get(k, k) for k in keys)       # the legend names them, with their dash


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


class Grid(np.ndarray):
    """What :func:`grid` returns: an RGB picture (a plain ndarray to every caller) that knows where its
    padding is (``pad_mask``), so :func:`themed` can make the padding transparent for the page."""
    pad_mask: np.ndarray | None = None


def grid(images: torch.Tensor, nrow: int = 8, pad: int = 1, target: int = 0, pad_value: int = 255) -> np.ndarray:
    """Tile images into one picture at their own resolution; the page scales it up crisply (CSS
    ``image-rendering: pixelated``), so a live update encodes a few kB instead of a large PNG.
    ``target``: upscale by an integer factor to about that many px wide (for files: GIFs, downloads)."""
    imgs = to_uint8(images)
    n, h, w, _ = imgs.shape
    ncol = min(nrow, n)
    rows = -(-n // ncol)
    out = np.full((rows * (h + pad) + pad, ncol * (w + pad) + pad, 3), pad_value, np.uint8)
    mask = np.ones(out.shape[:2], bool)
    for i in range(n):
        r, c = divmod(i, ncol)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = imgs[i]
        mask[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = False
    scale = max(1, target // out.shape[1])
    if scale > 1:
        out, mask = np.kron(out, np.ones((scale, scale, 1), np.uint8)), np.kron(mask, np.ones((scale, scale), bool))
    picture = out.view(Grid)
    picture.pad_mask = mask
    return picture


def themed(value):
    """A view's value as the page gets it: a :func:`grid` picture becomes RGBA with transparent padding, so
    the page's own background shows between the images, light or dark (playground/display.py); a
    ``gr.update`` carrying one has it swapped; anything else passes unchanged."""
    if isinstance(value, dict) and value.get("__type__") == "update" and isinstance(value.get("value"), Grid):
        return {**value, "value": themed(value["value"])}
    mask = getattr(value, "pad_mask", None)
    if not isinstance(value, Grid) or mask is None or value.ndim != 3 or value.shape[2] != 3 \
            or value.shape[:2] != mask.shape:
        return value
    alpha = np.where(mask, 0, 255).astype(np.uint8)[..., None]
    return np.concatenate([np.asarray(value), alpha], axis=-1)


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
    """A scatter coloured *and shaped* by label (:data:`SHAPES`, so classes differ by more than colour);
    hovering, tapping or tabbing to a point shows its image (HTML + CSS ``:hover``/``:focus``, no JS).

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
                   f'width="{tw}" height="{th}" alt="test image {i}, label {name}"><br>label {name}</span>')
        # tabindex: a tap or click focuses the point, and :focus shows its image as :hover does
        dots.append(f'<i class="pt s{lab % len(SHAPES)}" tabindex="0" style="left:{x:.1f}%;top:{100 - y:.1f}%;'
                    f'color:{color}">{pop}</i>')
    legend = ""
    if labels is not None and class_names:
        items = [f'<i class="mk s{i % len(SHAPES)}" style="color:{PALETTE[i % len(PALETTE)]}"></i> {html.escape(c)}'
                 for i, c in enumerate(class_names[:20])]
        legend = '<div class="pg-legend">' + " &nbsp; ".join(items) + "</div>"
    return (f'<div class="pg-scatter"><div class="pg-title">{html.escape(title)}</div>'
            f'<div class="pg-box" style="max-width:{size}px"><div class="pg-area">{"".join(dots)}</div></div>'
            f'{legend}</div>')


# one marker shape per class (CSS clip-paths, drawn by ::before so the image pop-up is not clipped)
SHAPES = ["circle(50%)", "inset(8%)", "polygon(50% 0, 100% 100%, 0 100%)", "polygon(50% 0, 100% 50%, 50% 100%, 0 50%)",
          "polygon(0 0, 100% 0, 50% 100%)", "polygon(35% 0, 65% 0, 65% 35%, 100% 35%, 100% 65%, 65% 65%, 65% 100%, "
          "35% 100%, 35% 65%, 0 65%, 0 35%, 35% 35%)", "polygon(50% 0, 61% 35%, 98% 35%, 68% 57%, 79% 91%, 50% 70%, "
          "21% 91%, 32% 57%, 2% 35%, 39% 35%)", "polygon(50% 0, 100% 38%, 82% 100%, 18% 100%, 0 38%)",
          "polygon(25% 0, 75% 0, 100% 50%, 75% 100%, 25% 100%, 0 50%)", "polygon(20% 0, 50% 30%, 80% 0, 100% 20%, 70% 50%, 100% 80%, 80% 100%, 50% 70%, 20% 100%, 0 80%, "
          "30% 50%, 0 20%)"]
SCATTER_CSS = "".join(f".pg-scatter .s{i}::before {{ clip-path: {s}; }}\n" for i, s in enumerate(SHAPES)) + """
.pg-scatter .pt::before, .pg-scatter .mk::before { content: ""; position: absolute; inset: 0;
  background: currentColor; }
.pg-scatter .mk { position: relative; display: inline-block; width: 13px; height: 13px; vertical-align: -1px; }
.pg-scatter .pt:focus { z-index: 10; opacity: 1; outline: 2px solid #0f172a; transform: scale(1.6); }
.pg-scatter .pt:focus .pop { display: block; }
.pg-scatter .pg-box { position: relative; width: 100%; aspect-ratio: 1; background: #f8fafc;
  border-radius: 8px; }
.pg-scatter .pg-area { position: absolute; inset: 16px; }
.pg-scatter .pt { position: absolute; width: 10px; height: 10px; margin: -5px; opacity: 0.85; cursor: pointer; }
.pg-scatter .pt:hover { z-index: 10; opacity: 1; outline: 2px solid #0f172a; transform: scale(1.6); }
.pg-scatter .pop { display: none; position: absolute; bottom: 10px; background: white; padding: 4px;
  border: 1px solid #334155; border-radius: 4px; font-size: 9px; font-style: normal; line-height: 1.2;
  white-space: nowrap; color: #0f172a; }
.pg-scatter .pop img { image-rendering: pixelated; display: block; }
.pg-scatter .pt:hover .pop { display: block; }
.pg-scatter .pg-title { font-weight: 600; font-size: 17px; margin: 4px 0; }
.pg-scatter .pg-legend { font-size: 15px; margin-top: 4px; }
"""
