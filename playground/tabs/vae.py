"""The VAE tab: VAE, β-VAE, KL warm-up and conditional VAE, trained live."""
from __future__ import annotations

from typing import Any

import gradio as gr
import torch

from trainers import metrics
from trainers.loop import Run
from trainers.vae import Config, kl_normal

from .. import figures, latent
from ..latent import test_subset
from ..panel import Panel

TITLE = "VAE"
WHAT = "latent means μ(x)"      # the points of the latent scatter

EQUATION = r"""
$$\mathcal{L}(x)=\underbrace{\mathbb{E}_{q_\phi(z\mid x)}\big[-\log p_\theta(x\mid z)\big]}_{\text{recon}}
+\beta_t\,\underbrace{D_{\mathrm{KL}}\big(q_\phi(z\mid x)\,\|\,\mathcal{N}(0,I)\big)}_{\text{KL}}$$
$$D_{\mathrm{KL}}=-\tfrac12\sum_{j=1}^{d}\big(1+\log\sigma_j^2-\mu_j^2-\sigma_j^2\big),\qquad
z=\mu+\sigma\odot\epsilon,\ \epsilon\sim\mathcal{N}(0,I)$$
$$\beta_t=\beta\cdot\min\!\big(1,\ \text{epoch}/\text{warm-up}\big)$$
recon + KL is the negative ELBO; β = 1 is the VAE, β > 1 the β-VAE. The conditional VAE puts the label $y$
beside $x$ in $q_\phi(z\mid x,y)$ and beside $z$ in $p_\theta(x\mid z,y)$.
"""

PRESETS = {
    "Posterior collapse (β = 8 on digits)": (
        "digits", dict(beta=8.0, latent_dim=16),
        "with β = 8 most KL bars drop to grey (collapsed units): those dimensions carry no information, "
        "samples turn into a blurry average digit. Lower β to 1 and press Train: units come back."),
    "2D latent space (manifold)": (
        "digits", dict(latent_dim=2),
        "with a 2-D code, the '2D manifold' tab decodes a grid of z: watch the digits arrange themselves."),
    "KL warm-up": (
        "digits", dict(beta=1.0, warmup_epochs=20, latent_dim=16),
        "β grows from 0 to 1 over 20 epochs: KL first shoots up (an autoencoder), then is squeezed."),
    "Disentangling sprites (β-VAE)": (
        "sprites", dict(beta=4.0, latent_dim=10, arch="conv"),
        "β = 4 on sprites with known factors: in the traversal, a few rows move one factor "
        "(x, y, scale, rotation) each; the others collapse."),
}


def render(run: Run) -> list[Any]:
    """All live views of the VAE tab, from the current model: one encoder and one decoder call."""
    with run.evaluating() as m:
        x, y = test_subset(run)
        mu, logvar = m.encode(x, y)                                  # (N, d) each
        kl_dims = kl_normal(mu, logvar).mean(0)                      # (d,)
        k = max(1, run.data.num_classes) if m.n_cond else 8
        n_samples = k * (8 if k <= 10 else 4)
        # every latent code the views decode, gathered so the decoder runs once
        parts = {"recon": (mu[:16], None if y is None else y[:16]),
                 "samples": _prior(m, n_samples),
                 "trav": _traversal_codes(run, mu, kl_dims, y),
                 "interp": _interpolation_codes(run, mu, y)}
        if run.cfg.latent_dim == 2:
            parts["manifold"] = _manifold_codes(run, m)
        z = torch.cat([p[0] for p in parts.values()])
        yy = None if not m.n_cond else torch.cat([p[1] for p in parts.values()])
        imgs = dict(zip(parts, m.decode(z, yy).split([p[0].shape[0] for p in parts.values()])))
    a, b = _pair(run, mu.shape[0])
    recon_img = figures.grid(torch.cat([x[:8], imgs["recon"][:8], x[8:16], imgs["recon"][8:16]]), nrow=8)
    samples_img = figures.grid(imgs["samples"], nrow=k)
    kl_fig = figures.bars(kl_dims.cpu().numpy(), f"KL per latent dimension: {metrics.active_units(kl_dims)} of "
                          f"{len(kl_dims)} active (grey = collapsed, < 0.01 nats)", threshold=0.01)
    trav = figures.grid(imgs["trav"], nrow=9)
    interp = figures.grid(torch.cat([x[a:a + 1], imgs["interp"], x[b:b + 1]]), nrow=10)
    manifold = figures.grid(imgs["manifold"], nrow=15, pad=0) if "manifold" in imgs else None
    return [recon_img, samples_img, kl_fig, latent.scatter(run, mu, y, WHAT), trav, interp, manifold]


def _prior(m, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    z = torch.randn(n, m.cfg.latent_dim, device=m.device)
    y = torch.arange(n, device=m.device) % m.n_cond if m.n_cond else None
    return z, y


def _traversal_codes(run: Run, mu: torch.Tensor, kl_dims: torch.Tensor, y: torch.Tensor | None):
    """One row per latent dimension (most informative first): vary it from −3 to 3, keep the rest."""
    i = min(int(run.ui.get("trav_idx", 0)), mu.shape[0] - 1)
    dims = torch.argsort(kl_dims, descending=True)[:10]
    vals = torch.linspace(-3, 3, 9, device=mu.device)
    z = mu[i].repeat(len(dims) * len(vals), 1)
    for r, d in enumerate(dims):
        z[r * len(vals):(r + 1) * len(vals), d] = vals
    return z, None if y is None else y[i].repeat(z.shape[0])


def _pair(run: Run, n: int) -> tuple[int, int]:
    a, b = run.ui.get("interp", (0, 1))
    return min(int(a), n - 1), min(int(b), n - 1)


def _interpolation_codes(run: Run, mu: torch.Tensor, y: torch.Tensor | None):
    """A straight line between the codes of two chosen images (the endpoints are shown as inputs)."""
    a, b = _pair(run, mu.shape[0])
    t = torch.linspace(0, 1, 8, device=mu.device)[:, None]
    z = (1 - t) * mu[a] + t * mu[b]
    return z, None if y is None else torch.where(t[:, 0] < 0.5, y[a], y[b])


def _manifold_codes(run: Run, m):
    """With a 2-D code: a 15×15 grid of z at Gaussian quantiles (Kingma & Welling, fig. 4)."""
    q = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.04, 0.96, 15))
    zz = torch.cartesian_prod(q.flip(0), q)[:, [1, 0]].to(run.device)
    return zz, torch.zeros(zz.shape[0], dtype=torch.long, device=run.device) if m.n_cond else None


def build() -> Panel:
    panel = Panel("vae", Config, datasets=["digits", "sprites", "mnist", "fashion-mnist"], equation=EQUATION,
                  curve_groups=[["total", "neg_elbo"], ["recon"], ["kl"]],
                  curve_titles=["total (solid) · −ELBO (dashed)", "reconstruction", "KL"], presets=PRESETS)
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            panel.build_controls()
        with gr.Column(scale=3):
            panel.build_curves()
            with gr.Row():
                recon = gr.Image(label="Test inputs (rows 1, 3), reconstructions (2, 4)",
                                 interactive=False, format="png", height=360)
                samples = gr.Image(label="Samples from the prior z ~ N(0, I)",
                                   interactive=False, format="png", height=360)
            with gr.Row():
                kl = gr.Plot(label="KL per latent dimension")
                lat = latent.ScatterControls()
            with gr.Tabs():
                with gr.Tab("Traversal"):
                    trav_idx = gr.Slider(0, 499, value=0, step=1, label="Start from test image #")
                    trav = gr.Image(label="Rows: latent dimensions (most KL first); columns: value −3 … 3",
                                    interactive=False, format="png", height=560)
                with gr.Tab("Interpolation"):
                    with gr.Row():
                        ia = gr.Slider(0, 499, value=0, step=1, label="From test image #")
                        ib = gr.Slider(0, 499, value=1, step=1, label="To test image #")
                    interp = gr.Image(label="From image a to image b along a straight line in z",
                                      interactive=False, format="png", height=160)
                with gr.Tab("2D manifold"):
                    gr.Markdown("Set **latent size = 2** to decode the whole latent plane.")
                    manifold = gr.Image(label="Decoded grid of z (Gaussian quantiles)", interactive=False,
                                        format="png", height=560)
    panel.wire([recon, samples, kl, lat.html, trav, interp, manifold], render)

    def set_ui(key, value):
        def fn(run: Run, *v):
            run.ui[key] = v if len(v) > 1 else v[0]
            return render(run)
        return fn

    views = [recon, samples, kl, lat.html, trav, interp, manifold]
    quiet = dict(api_visibility="private", show_progress="hidden")
    trav_idx.release(panel.view(set_ui("trav_idx", None)), [panel.state, trav_idx], views, **quiet)
    for s in (ia, ib):
        s.release(panel.view(set_ui("interp", None)), [panel.state, ia, ib], views, **quiet)
    lat.wire(panel, views, render, api_name="vae_tsne")
    return panel
