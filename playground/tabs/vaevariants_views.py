"""The VAE-variants tab's own views: the AAE's code plane (codes vs prior samples over D's decision map), the
Gumbel codes' temperature view and the flip of one categorical variable. Pure functions of a model."""
from __future__ import annotations

import numpy as np
import torch

from trainers import metrics
from trainers.vae import interpolation_codes, traversal_codes
from trainers.vaevariants_aae import RING_RADIUS, UNIFORM_HALF, decision_map
from trainers.vaevariants_gumbel import flip, gumbel_softmax, kl_uniform

from .. import figures

SYMBOLS = ["circle", "square", "diamond", "cross", "x", "triangle-up", "triangle-down", "star", "pentagon",
           "hexagram"]
HEAT = [[0.0, "#7c3aed"], [0.5, "#f8fafc"], [1.0, "#16a34a"]]     # D: purple = "a code", green = "the prior"
TAUS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)                  # the decoded strip of the τ view
N_PRIOR_POINTS = 500


def view_generator(seed: int = 0) -> torch.Generator:
    """A fixed generator for what views draw, so successive frames are comparable and training is untouched."""
    return torch.Generator().manual_seed(seed)


def code_limit(prior: str) -> float:
    """Half the side of the AAE's code plane: where the chosen prior's mass is, with a margin."""
    return {"gaussian": 3.5, "uniform": UNIFORM_HALF * 1.4}.get(prior, RING_RADIUS + 2.0)


def aae_code_plot(m, z: torch.Tensor, y: torch.Tensor | None, classes: list[str]):
    """The AAE's codes of the test images (coloured and shaped by label) against prior samples, with
    D's decision map behind (2-D codes); PCA of both, and no map, when the code has more dimensions."""
    g = view_generator()
    labels = y if y is not None else None
    yp = torch.arange(N_PRIOR_POINTS, device=m.device) % m.k if m.by_label else None
    zp = m.draw_prior(N_PRIOR_POINTS, yp, g)
    traces = []
    if z.shape[1] == 2:
        lim = code_limit(m.cfg.prior)
        xs, ys, v = decision_map(m, (-lim, lim), n=30 if m.by_label else 60)   # by label: D runs once per class
        traces.append(dict(type="heatmap", x=xs, y=ys, z=v, colorscale=HEAT, zmin=0, zmax=1, opacity=0.75,
                           zsmooth="best", hoverinfo="skip", colorbar=dict(title=dict(text="D(z)"), thickness=14)))
        pz, pp = z.cpu().numpy(), zp.cpu().numpy()
        title = ("codes q(x) of 500 test images vs prior samples (grey) · behind: D(z), green = 'from the prior', "
                 "purple = 'a code'" + (" (the largest over classes)" if m.by_label else ""))
        axes = dict(xaxis=dict(range=[-lim, lim], constrain="domain", title=dict(text="z₁")),
                    yaxis=dict(range=[-lim, lim], scaleanchor="x", scaleratio=1, title=dict(text="z₂")))
    else:
        pz, pp = metrics.pca_shared(z, zp)
        title = f"codes q(x) vs prior samples (grey): first two principal components of the {z.shape[1]}-D codes"
        axes = dict(xaxis=dict(title=dict(text="PC 1")), yaxis=dict(title=dict(text="PC 2"), scaleanchor="x"))
    traces.append(dict(type="scatter", x=pp[:, 0], y=pp[:, 1], mode="markers", name="prior samples",
                       marker=dict(size=4, color="#64748b", opacity=0.5)))
    groups = [(None, np.arange(len(pz)))] if labels is None else \
        [(c, np.flatnonzero(labels.cpu().numpy() == c)) for c in range(max(1, len(classes)))]
    for c, idx in groups:
        name = "codes" if c is None else f"codes of {classes[c] if c < len(classes) else c}"
        k = 0 if c is None else c
        traces.append(dict(type="scatter", x=pz[idx, 0], y=pz[idx, 1], mode="markers", name=name,
                           marker=dict(size=7, color=figures.PALETTE[k % len(figures.PALETTE)],
                                       symbol=SYMBOLS[k % len(SYMBOLS)], line=dict(width=0.5, color="white"))))
    return figures.fig(traces, dict(height=620, hovermode="closest", title=dict(text=title, font=dict(size=14)),
                                    margin=dict(l=50, r=10, t=50, b=40), legend=dict(orientation="h", x=0, xanchor="left",
                                                                        y=-0.1, yanchor="top"), **axes))


def continuous_codes(mu: torch.Tensor, dims: torch.Tensor, lim: float, trav_idx: int, interp: tuple[int, int]):
    """Traversal codes of test image ``trav_idx`` (rows: ``dims``; 9 values from −lim to lim) and the 8
    interpolation codes between two test images, with the VAE tab's helpers."""
    i = min(int(trav_idx), mu.shape[0] - 1)
    trav = traversal_codes(mu[i], dims, torch.linspace(-lim, lim, 9, device=mu.device))
    a, b = (min(int(v), mu.shape[0] - 1) for v in interp)
    return trav, interpolation_codes(mu[a], mu[b], 8)[0]


def gumbel_interpolation(m, x: torch.Tensor, interp: tuple[int, int]) -> torch.Tensor:
    """8 relaxed codes on the straight line between two images' q(y|x) (the decoder takes relaxed codes)."""
    a, b = (min(int(v), x.shape[0] - 1) for v in interp)
    q = torch.softmax(m.logits(x[[a, b]]), -1).flatten(1)                 # (2, N·K)
    return interpolation_codes(q[0], q[1], 8)[0].view(8, m.N, m.K)


def tau_view(m, x: torch.Tensor, tau: float):
    """One image's relaxed code at temperature τ (fixed Gumbel noise): the N×K heatmap, and the image with
    what the decoder makes of the code at τ, then at each of TAUS (the same noise)."""
    logits = m.logits(x[None])[0]                                          # (N, K)
    u = torch.rand(logits.shape, generator=view_generator()).to(logits.device)
    taus = (tau, *TAUS)
    ys = torch.stack([gumbel_softmax(logits, t, u) for t in taus])         # (1 + T, N, K)
    y = ys[0].cpu().numpy()
    heat = figures.fig(
        [dict(type="heatmap", z=y, zmin=0, zmax=1, colorscale=[[0, "#f8fafc"], [1, "#1d4ed8"]], colorbar=dict(thickness=14),
              x=np.arange(m.K), y=np.arange(m.N), hovertemplate="variable %{y}, category %{x}: %{z:.2f}<extra></extra>")],
        dict(height=max(300, 22 * m.N + 120), hovermode="closest",
             title=dict(text=f"softmax((log π + g)/τ) at τ = {tau:g} (training now: τ = {m.tau:.3g}); "
                        f"max per row: {y.max(1).mean():.2f} on average", font=dict(size=14)),
             xaxis=dict(title=dict(text="category k"), dtick=1), yaxis=dict(title=dict(text="variable n"),
                                                                            autorange="reversed", dtick=1)))
    imgs = torch.cat([x[None], m.decode(ys)])
    return heat, figures.grid(imgs, nrow=len(imgs))


def flip_view(m, x: torch.Tensor, var: int, cat: int):
    """The image, its decoded argmax code, that code with variable ``var`` set to ``cat``; below, ``var``
    through every category. Returns the grid and a sentence saying what changed."""
    logits = m.logits(x[None])[0]                                          # (N, K)
    code = m.hard_code(x[None])[0]                                         # (N, K)
    top = torch.argsort(kl_uniform(logits), descending=True)[:3].tolist()  # the variables q(y|x) is surest of
    was = int(code[var].argmax()) if 0 <= var < m.N else -1
    flipped = flip(code, var, cat)                                         # ValueError names the bad index
    row = torch.stack([flip(code, var, k) for k in range(m.K)])            # (K, N, K)
    dec = m.decode(torch.cat([code[None], flipped[None], row]))
    blank = torch.ones_like(x)[None].expand(max(0, m.K - 3), *x.shape)
    top = torch.cat([x[None], dec[:2], blank])[:max(3, m.K)]
    img = figures.grid(torch.cat([top, dec[2:]]), nrow=max(3, m.K))
    note = (f"Variable **{var}** is category **{was}** in this image's code; flipped to **{cat}** "
            f"(top row: input · decoded code · flipped). Bottom row: variable {var} set to each of its {m.K} "
            f"categories, the other {m.N - 1} variables kept. The variables this image's q(y|x) is surest of "
            f"(largest KL to uniform): {', '.join(map(str, top))} — flipping those changes the most.")
    return img, note
