"""The VQ-VAE tab's figures: usage histogram, codebook projection, code maps, the codebook-usage
experiments (keep the top N, switch codes off, edit a cell), the two levels of VQ-VAE-2, the prior."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from trainers.base import global_rng
from trainers.metrics import pca_shared
from trainers.vqvae_codebook import edit_code_map, perplexity, top_n_mask
from trainers.vqvae import Model
from trainers.vqvae_pixelcnn import PixelCNNPrior
from trainers.vqvae_prior import CodePrior

from .. import figures

N_TEST = 256           # held-out images the views use
N_PROJ = 800           # encoder outputs in the projection (subsampled cells)

EQ12 = r"""**Codebook update in use: by the loss (eq. 12).** The VQ term moves each used code $e_k$
towards the encoder outputs assigned to it; gradients reach the encoder by the straight-through copy
$\nabla_{z_e}L \approx \nabla_{z_q}L$:
$$L=\tfrac{1}{CHW}\|x-D(e_k)\|^2+\tfrac{1}{hwD}\|\mathrm{sg}[z_e]-e_k\|^2+\beta\,\tfrac{1}{hwD}\|z_e-\mathrm{sg}[e_k]\|^2$$
(each term a mean over its pixels or code numbers)"""
EQ13 = r"""**Codebook update in use: moving averages (eq. 13).** The VQ term is only watched (curve); each code
becomes the running mean of the encoder outputs it wins ($n_i$ of them in the batch):
$$N_i\leftarrow\gamma N_i+(1-\gamma)\,n_i,\qquad m_i\leftarrow\gamma m_i+(1-\gamma)\textstyle\sum_j z_{i,j}$$
$$e_i=m_i/N_i$$
The loss is $\tfrac{1}{CHW}\|x-D(e_k)\|^2+\beta\,\tfrac{1}{hwD}\|z_e-\mathrm{sg}[e_k]\|^2$ (means over pixels
and code numbers)."""


def equation(m: Model) -> str:
    eq = EQ12 if m.cfg.update == "loss" else EQ13
    restart = (f"Dead-code restart **on**: a code unused for {m.cfg.dead_after} steps jumps onto a random "
               "encoder output." if m.cfg.restart else "Dead-code restart **off**.")
    return f"{eq}\n\n{restart}"


def clip(v: Any, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(v)))


def keep_masks(m: Model, n: int) -> dict[str, torch.Tensor]:
    """The top-N mask of every level (each by its own usage histogram)."""
    n = clip(n, 1, m.cfg.num_codes)
    return {lv: top_n_mask(m.quantizer(lv).usage(), n) for lv in m.levels}


def parse_codes(text: str | None, K: int) -> list[int]:
    """'3, 17 20' -> [3, 17, 20]; a clear ValueError for anything else."""
    out = []
    for tok in (text or "").replace(",", " ").split():
        try:
            k = int(tok)
        except ValueError:
            raise ValueError(f"Codes to switch off must be whole numbers separated by commas; got {tok!r}.") from None
        if not 0 <= k < K:
            raise ValueError(f"Code {k} does not exist: the codebook has codes 0 to {K - 1}.")
        out.append(k)
    if len(set(out)) >= K:
        raise ValueError("At least one code must stay switched on.")
    return sorted(set(out))


# ----------------------------------------------------------------------------- figures
def usage_fig(m: Model) -> Any:
    traces, notes = [], []
    for i, lv in enumerate(m.levels[::-1]):                        # bottom first
        u = m.quantizer(lv).usage().cpu().numpy()
        s = np.sort(u)[::-1]
        dead = int((u == 0).sum())
        colors = [figures.PALETTE[i] if v > 0 else "#cbd5e1" for v in s]
        traces.append(dict(type="bar", x=np.arange(len(s)), y=s, name=lv, marker=dict(color=colors),
                           opacity=1.0 if i == 0 else 0.6))
        notes.append(f"{lv if len(m.levels) > 1 else 'codes'}: perplexity {float(perplexity(torch.tensor(u))):.1f}"
                     f" of K = {len(u)}, {dead} unused")
    return figures.fig(traces, dict(height=330, barmode="overlay", hovermode="closest", bargap=0,
                                    title=dict(text="Code usage over the last epoch, most used first<br><sup>"
                                               + " · ".join(notes) + " (grey = unused)</sup>", font=dict(size=15)),
                                    xaxis=dict(title=dict(text="code rank")),
                                    yaxis=dict(title=dict(text="uses"))))


def projection_fig(m: Model, x: torch.Tensor) -> Any:
    z = m.encoder_outputs(x)                                        # (cells, D)
    if z.shape[0] > N_PROJ:
        z = z[torch.randperm(z.shape[0], generator=torch.Generator().manual_seed(0))[:N_PROJ].to(z.device)]
    e = m.vq_b.embedding.detach()
    pe, pz = pca_shared(e, z)                                       # one basis: (K, 2), (cells, 2)
    used = (m.vq_b.usage() > 0).cpu().numpy()
    ids = np.arange(len(e))
    traces = [dict(type="scatter", x=pz[:, 0], y=pz[:, 1], mode="markers", name="encoder outputs z_e",
                   marker=dict(size=4, color="#94a3b8", opacity=0.45), hoverinfo="skip"),
              dict(type="scatter", x=pe[used, 0], y=pe[used, 1], mode="markers", name="codes in use",
                   text=[f"code {k}" for k in ids[used]], hoverinfo="text",
                   marker=dict(size=10, color=figures.PALETTE[0], line=dict(width=1, color="white"))),
              dict(type="scatter", x=pe[~used, 0], y=pe[~used, 1], mode="markers", name="unused (dead) codes",
                   text=[f"code {k}" for k in ids[~used]], hoverinfo="text",
                   marker=dict(size=10, symbol="x", color=figures.PALETTE[1]))]
    level = " (bottom level)" if len(m.levels) > 1 else ""
    return figures.fig(traces, dict(height=420, hovermode="closest",
                                    title=dict(text=f"Codebook e_k and encoder outputs z_e{level}: one PCA",
                                               font=dict(size=15))))


def codemap_fig(codes: dict[str, torch.Tensor], i: int, row: int | None = None, col: int | None = None,
                title_index: int | None = None) -> Any:
    """Heatmaps of image i's code indices (top beside bottom for VQ-VAE-2); the edited cell is outlined."""
    levels = [lv for lv in ("top", "bottom") if lv in codes]
    n = len(levels)
    traces, layout, shapes = [], {}, []
    for j, lv in enumerate(levels):
        c = codes[lv][i].cpu().numpy()
        xa, ya = ("x", "y") if j == 0 else (f"x{j + 1}", f"y{j + 1}")
        traces.append(dict(type="heatmap", z=c, text=c, texttemplate="%{text}", textfont=dict(size=14),
                           colorscale="Viridis", showscale=False, xaxis=xa, yaxis=ya,
                           hovertemplate="row %{y}, column %{x}: code %{z}<extra></extra>"))
        w = (1 - 0.08 * (n - 1)) / n
        layout["xaxis" if j == 0 else f"xaxis{j + 1}"] = dict(domain=[j * (w + 0.08), j * (w + 0.08) + w],
                                                              anchor=ya, title=dict(text=f"{lv}: column"), dtick=1,
                                                              constrain="domain", showgrid=False)
        layout["yaxis" if j == 0 else f"yaxis{j + 1}"] = dict(anchor=xa, autorange="reversed", dtick=1,
                                                              scaleanchor=xa, constrain="domain", showgrid=False,
                                                              title=dict(text="row"))
        if lv == "bottom" and row is not None and col is not None:
            shapes.append(dict(type="rect", xref=xa, yref=ya, x0=col - 0.5, x1=col + 0.5, y0=row - 0.5,
                               y1=row + 0.5, line=dict(color="#dc2626", width=4)))
    return figures.fig(traces, dict(height=380, hovermode="closest", shapes=shapes,
                                    title=dict(text=f"Code indices of test image #{i if title_index is None else title_index}"
                                               " (red: the cell you edit)",
                                               font=dict(size=15)), **layout))


def edit_view(m: Model, x: torch.Tensor, codes: dict[str, torch.Tensor], i: int, row: int, col: int,
              code: int) -> np.ndarray:
    """Input | reconstruction | decoded after the edit | |difference| (×3), for image i."""
    one = {lv: c[i:i + 1] for lv, c in codes.items()}
    edited = dict(one, bottom=edit_code_map(one["bottom"], row, col, code, m.cfg.num_codes))
    before, after = m.decode_codes(one), m.decode_codes(edited)
    diff = (3 * (after - before).abs()).clamp(0, 1)
    return figures.grid(torch.cat([x[i:i + 1], before, after, diff]), nrow=4, target=520)


def topn_views(m: Model, x: torch.Tensor, n: int) -> tuple[np.ndarray, Any]:
    """Rows: inputs, all codes, only the N most used; and the error as N shrinks."""
    K = m.cfg.num_codes
    n = clip(n, 1, K)
    xs = x[:8]
    full = m.reconstruct(xs)
    kept = m.reconstruct(xs, keep_masks(m, n))
    img = figures.grid(torch.cat([xs, full, kept]), nrow=8, target=560)
    ns = sorted({K, *[k for k in (1, 4, 16, 64, 256) if k < K], n})
    xe = x[:64]
    errs = [float(m.per_image_error(xe, keep_masks(m, k)).mean()) for k in ns]
    now = errs[ns.index(n)]
    fig = figures.fig(
        [dict(type="scatter", x=ns, y=errs, mode="lines+markers", name="error", line=dict(width=3)),
         dict(type="scatter", x=[n], y=[now], mode="markers", name=f"N = {n}",
              marker=dict(size=16, color=figures.PALETTE[1]))],
        dict(height=330, hovermode="closest", showlegend=False,
             title=dict(text=f"Held-out error with only the N most used codes (N = {n}: {now:.4f})",
                        font=dict(size=15)),
             xaxis=dict(type="log", title=dict(text="N codes kept")),
             yaxis=dict(title=dict(text="squared error per pixel"))))
    return img, fig


def off_views(m: Model, x: torch.Tensor, off: list[int]) -> tuple[np.ndarray | None, str]:
    """The 8 held-out images that suffer most when ``off`` codes are switched off (bottom level)."""
    if not off:
        return None, "Type codes to switch off (e.g. the most used ones from the histogram), then press Enter."
    mask = torch.ones(m.cfg.num_codes, dtype=torch.bool, device=x.device)
    mask[off] = False
    allowed = {"bottom": mask}
    before = m.per_image_error(x)
    after = m.per_image_error(x, allowed)
    worst = torch.argsort(after - before, descending=True)[:8]
    img = figures.grid(torch.cat([x[worst], m.reconstruct(x[worst]), m.reconstruct(x[worst], allowed)]),
                       nrow=8, target=560)
    share = float(torch.isin(m.codes(x)["bottom"], torch.tensor(off, device=x.device)).float().mean())
    hit = int(((after - before) > 1e-6).sum())
    return img, (f"Codes {', '.join(map(str, off[:20]))}{' …' if len(off) > 20 else ''} switched off: they held "
                 f"**{100 * share:.1f}%** of the cells; **{hit}** of {len(x)} held-out images change. Mean error "
                 f"{float(before.mean()):.4f} → **{float(after.mean()):.4f}**.")


def levels_view(m: Model, x: torch.Tensor, codes: dict[str, torch.Tensor]) -> np.ndarray | None:
    """VQ-VAE-2: rows = input, both levels, top zeroed, top redrawn, bottom zeroed, bottom redrawn."""
    if len(m.levels) < 2:
        return None
    one = {lv: c[:8] for lv, c in codes.items()}
    with global_rng(0):                         # the same redraw at every refresh, nobody else's RNG touched
        rows = [x[:8], m.decode_codes(one)] + [m.decode_codes(one, {lv: how}) for lv in ("top", "bottom")
                                               for how in ("zero", "random")]
    return figures.grid(torch.cat(rows), nrow=8, target=560)


def no_prior_samples(m: Model, n: int = 16) -> np.ndarray:
    """Every cell drawn on its own from the usage histogram (same draw at each refresh)."""
    with global_rng(0):
        return figures.grid(m.sample(n), nrow=8)


def prior_curve(losses: list[float]) -> Any:
    y = np.asarray(losses, dtype=np.float64)
    return figures.fig([dict(type="scatter", x=np.arange(1, len(y) + 1), y=y, mode="lines", name="prior NLL",
                             line=dict(width=2))],
                       dict(height=300, showlegend=False,
                            title=dict(text="Prior loss: −log p(k_t | k_<t), nats per code", font=dict(size=15)),
                            xaxis=dict(title=dict(text="prior step")), yaxis=dict(title=dict(text="nats"))))


# ----------------------------------------------------------------------------- the two priors
PRIOR_KINDS = {"transformer": ("prior", CodePrior), "gated PixelCNN": ("pixelcnn", PixelCNNPrior)}


def prior_kind(kind: Any) -> tuple[str, type]:
    """The View attribute and class of a prior choice; a ValueError naming the field for anything else."""
    if kind not in PRIOR_KINDS:
        raise ValueError(f"prior must be one of {', '.join(repr(k) for k in PRIOR_KINDS)}; got {kind!r}.")
    return PRIOR_KINDS[kind]


def shown_prior(extras: dict[str, Any], kind: str) -> tuple[str, CodePrior | None]:
    """The prior the views show: ``kind``'s if it is trained, else the other one (after an import), else None."""
    for k in [kind] + [k for k in PRIOR_KINDS if k != kind]:
        p = extras.get(PRIOR_KINDS[k][0]) if k in PRIOR_KINDS else None
        if p is not None and p.losses:
            return k, p
    return kind, None


def stale(prior: CodePrior, m: Model) -> bool:
    """Whether the VQ-VAE trained on after the prior was fitted to its code maps."""
    return prior.vq_steps != int(m.steps_done)


def prior_token(kind: str, prior: CodePrior, m: Model) -> tuple:
    """What the prior's views depend on: a change redraws them."""
    return kind, id(prior), len(prior.losses), prior.vq_steps, stale(prior, m)


def prior_message(prior: CodePrior, kind: str, m: Model) -> str:
    warn = " ⚠️ the VQ-VAE trained on since: press Train prior again to follow its new codes." \
        if stale(prior, m) else ""
    return (f"{kind} prior: {len(prior.losses):,} steps, last loss {prior.losses[-1]:.3f} nats per code "
            f"(uniform would be {np.log(prior.K):.2f}).{warn}")


def prior_curves(extras: dict[str, Any], kind: str) -> Any:
    """The loss curve of the prior in use ("prior NLL"), with the other prior's in grey once it is trained."""
    mine = extras[prior_kind(kind)[0]]
    others = [(k, extras.get(a)) for k, (a, _) in PRIOR_KINDS.items() if k != kind]
    others = [(k, p) for k, p in others if p is not None and p.losses]
    if not others:
        return prior_curve(mine.losses)
    traces = []
    for name, losses, color in [("prior NLL", mine.losses, figures.PALETTE[0])] + \
            [(f"{k} NLL", p.losses, "#94a3b8") for k, p in others]:
        y = np.asarray(losses, dtype=np.float64)
        traces.append(dict(type="scatter", x=np.arange(1, len(y) + 1), y=y, mode="lines", name=name,
                           line=dict(width=2, color=color)))
    return figures.fig(traces, dict(height=300, showlegend=False,
                                    title=dict(text=f"Prior loss, nats per code<br><sup>{kind} (blue) vs "
                                               f"{others[0][0]} (grey)</sup>", font=dict(size=15)),
                                    xaxis=dict(title=dict(text="prior step")), yaxis=dict(title=dict(text="nats"))))
