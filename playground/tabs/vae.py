"""The VAE tab: VAE, β-VAE, KL warm-up and conditional VAE, trained live."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import torch

from trainers import metrics
from trainers.loop import Run
from trainers.vae import Config, interpolation_codes, manifold_codes, prior_codes, traversal_codes

from .. import figures, latent, quality, ranges
from ..latent import test_subset
from ..panel import LivePlot, Panel

TITLE = "VAE"
WHAT = "latent means μ(x)"      # the points of the latent scatter

EQUATION = r"""
### What it trains (Kingma & Welling 2014, eq. 3 and 10; β-VAE: Higgins et al. 2017, eq. 4)
$$\mathcal{L}(x)=\underbrace{\mathbb{E}_{q_\phi(z\mid x)}\big[-\log p_\theta(x\mid z)\big]}_{\text{recon}}
+\beta_t\,\underbrace{D_{\mathrm{KL}}\big(q_\phi(z\mid x)\,\|\,\mathcal{N}(0,I)\big)}_{\text{KL}}$$
$$D_{\mathrm{KL}}=-\tfrac12\sum_{j=1}^{d}\big(1+\log\sigma_j^2-\mu_j^2-\sigma_j^2\big),\qquad
z=\mu+\sigma\odot\epsilon,\ \epsilon\sim\mathcal{N}(0,I)$$
$$\beta_t=\beta\cdot\min\!\big(1,\ \text{epoch}/\text{warm-up}\big)$$
recon + KL is the negative ELBO (exactly, in nats, for BCE and for a Gaussian decoder with σ **unit** or
**learned**; see below for MSE); β = 1 is the VAE, β > 1 the β-VAE. The conditional VAE puts the label $y$
beside $x$ in $q_\phi(z\mid x,y)$ and beside $z$ in $p_\theta(x\mid z,y)$; with the **standard** prior its prior
stays $p(z\mid y)=\mathcal{N}(0,I)$ for every label (the KL above is unchanged, and samples draw
$z\sim\mathcal{N}(0,I)$); with the **learned** prior a small network gives $p_\psi(z\mid y)$ (the formula under
this box follows the settings).

**Reconstruction loss.** BCE: $-\log p_\theta(x\mid z)$ for Bernoulli pixels with means $\hat x$.
MSE: a Gaussian with $\sigma=1$, written without its constant,
$$\tfrac12\|x-\hat x\|^2=-\log\mathcal{N}(x;\hat x,I)-\tfrac{D}{2}\log 2\pi\qquad(D=\text{pixels})$$
so in MSE mode (Gaussian decoder σ = **mse**) the "−ELBO" curve is the negative ELBO up to that constant: add
$\tfrac{D}{2}\log 2\pi$ (58.8 for 8×8 digits, 720.4 for 28×28 MNIST) for the true value. Gaussian decoder σ
**unit** or **learned** keeps the constant (and, learned, one $\sigma$ for all pixels), so "−ELBO" is exact.
"""

def equation_for(conditional: bool, prior: str, recon: str, gaussian: str) -> str:
    """The KL and the reconstruction term the current settings train (issue 12, items 4–5)."""
    if conditional and prior == "learned":
        kl = (r"$$D_{\mathrm{KL}}\big(q_\phi(z\mid x,y)\,\|\,p_\psi(z\mid y)\big)=\tfrac12\sum_{j=1}^{d}\Big(\log\sigma_{p,j}^2"
              r"-\log\sigma_j^2+\frac{\sigma_j^2+(\mu_j-\mu_{p,j})^2}{\sigma_{p,j}^2}-1\Big)$$"
              "\n**Learned prior** $p_\\psi(z\\mid y)=\\mathcal{N}\\big(\\mu_p(y),\\operatorname{diag}\\sigma_p^2(y)\\big)$, "
              "a small network of the one-hot label (it starts at N(0, I)); samples draw "
              "$z=\\mu_p(y)+\\sigma_p(y)\\odot\\epsilon$, one column per class.")
    else:
        kl = (r"$$D_{\mathrm{KL}}\big(q_\phi(z\mid x" + (",y" if conditional else "") +
              r")\,\|\,\mathcal{N}(0,I)\big)$$" + "\n**Standard prior** N(0, I)" +
              (" for every label." if conditional else "."))
    if recon == "bce":
        rec = r"$$-\log p_\theta(x\mid z)=-\sum_i\big[x_i\log\hat x_i+(1-x_i)\log(1-\hat x_i)\big]$$"
    elif gaussian == "mse":
        rec = (r"$$\tfrac12\|x-\hat x\|^2=-\log\mathcal{N}(x;\hat x,I)-\tfrac{D}{2}\log 2\pi$$"
               "\n−ELBO is exact **up to** the constant $\\tfrac{D}{2}\\log 2\\pi$.")
    else:
        rec = (r"$$-\log\mathcal{N}(x;\hat x,\sigma^2I)=\frac{\|x-\hat x\|^2}{2\sigma^2}+D\log\sigma+\tfrac{D}{2}\log 2\pi$$"
               if gaussian == "learned" else
               r"$$-\log\mathcal{N}(x;\hat x,I)=\tfrac12\|x-\hat x\|^2+\tfrac{D}{2}\log 2\pi$$")
        rec += ("\n−ELBO = recon + KL exactly, in nats" +
               (": one learned $\\sigma$ for all pixels (curve); its best value is the RMS error per pixel."
                if gaussian == "learned" else " (σ = 1)."))
    return f"**Now training:**\n{kl}\n\n{rec}"


PRESETS = {
    "Posterior collapse (β = 8 on digits)": (
        "digits", dict(beta=8.0, latent_dim=16),
        "with β = 8 every KL bar drops to grey within ~100 steps (0 of 16 units active, KL ≈ 0): the code "
        "carries nothing about the image, and every sample is the same blurry average digit. Lower β to 1 and "
        "press Train: the units come back at once (about 15 active 100 steps later), then settle to about 5 "
        "that carry the digit (KL ≈ 3.5 nats after 3000 more steps) and the samples differ again."),
    "2D latent space (manifold)": (
        "mnist", dict(latent_dim=2),
        "real 28×28 MNIST digits with a 2-D code: the '2D manifold' tab decodes a 15×15 grid of z (as in Kingma "
        "& Welling's Fig. 4). By step 300 it shows 9 of the 10 digits, by step 1000 all 10, arranged in regions "
        "and changing smoothly from cell to cell. The press's 3,000 steps take ≈ 40 s of one core (300 steps "
        "≈ 4 s; CPU time measured on a busy 2-core box, on the built-in 10,000 test images)."),
    "KL warm-up": (
        "digits", dict(beta=1.0, warmup_epochs=20, latent_dim=16),
        "β grows from 0 to 1 over 20 epochs (240 steps on digits): while β ≈ 0 the KL shoots up (≈ 14 nats "
        "in epoch 1: an autoencoder), then is squeezed as β grows, to ≈ 3 nats at epoch 20; it creeps back "
        "to ≈ 3.5 later."),
    "Disentangling sprites (β-VAE)": (
        "sprites", dict(beta=4.0, latent_dim=10, arch="conv"),
        "β = 4 on sprites with known factors (x, y, scale, rotation, shape): after a few hundred steps all but "
        "4 of the 10 KL bars go grey. In the traversal, one of those 4 rows moves the sprite sideways, one up "
        "and down (about 14 px over −3 … 3), the other two along a diagonal while it grows. So this is only "
        "partly disentangled: position is coded almost perfectly, size partly and tangled with position, "
        "rotation and shape not at all (at β = 4 the code keeps what costs the most pixels to get wrong)."
        " ⏱ A whole press (3,000 steps) takes about 7 minutes of one CPU core (bench/presets.py); "
        "the KL bars go grey after about 500 steps, a little over a minute."),
    "CVAE with a learned prior p(z|y)": (
        "digits", dict(conditional=True, prior="learned", latent_dim=8),
        "the prior network moves each label's mean μ_p(y) away from 0 (|μ_p(y)| ≈ 3.4 on average at step 600; "
        "it starts at 0) and the posterior means follow: in the t-SNE/PCA scatter the codes now gather by label (the nearest "
        "class mean names the label of ≈ 78% of test codes at step 600, against ≈ 28% with the standard prior, "
        "where the label is left to the decoder). Samples: one column per class, z drawn from p(z|y)."),
    "Gaussian decoder with a learned σ": (
        "digits", dict(recon="mse", gaussian="learned", latent_dim=8),
        "the learned σ falls from 1 to ≈ 0.12 within 600 steps (σ curve), the KL climbs to ≈ 14 nats and the "
        "reconstructions are sharp (RMS error ≈ 0.12 per pixel); −ELBO, now exact, goes below 0 (a density, not a "
        "probability: ≈ −31 nats). Set Gaussian decoder σ to 'unit' and train anew: with σ = 1 on pixels in [0, 1] "
        "the likelihood is too weak to pay for any code, the KL collapses to ≈ 0 and every reconstruction is the "
        "average digit (RMS error ≈ 0.27)."),
}


@dataclass
class View:
    trav_idx: int = 0                      # the test image the traversal starts from
    interp: tuple[int, int] = (0, 1)       # the two test images of the interpolation
    latent: latent.LatentView = field(default_factory=latent.LatentView)


def render(run: Run, view: View) -> dict[str, Any]:
    """All live views of the VAE tab, from the current model: one encoder and one decoder call."""
    with run.evaluating() as m:
        x, y = test_subset(run)
        mu, logvar = m.encode(x, y)                                  # (N, d) each
        kl_dims = m.kl_terms(mu, logvar, y).mean(0)                  # (d,) to N(0, I) or to p(z|y)
        k = max(1, run.data.num_classes) if m.n_cond else 8
        n_samples = k * (8 if k <= 10 else 4)
        # every latent code the views decode, gathered so the decoder runs once
        parts = {"recon": (mu[:16], None if y is None else y[:16]),
                 "samples": prior_codes(m, n_samples),
                 "trav": _traversal_codes(view, mu, kl_dims, y),
                 "interp": _interpolation_codes(view, mu, y)}
        if run.cfg.latent_dim == 2:
            parts["manifold"] = _manifold_codes(run, m)
        z = torch.cat([p[0] for p in parts.values()])
        yy = None if not m.n_cond else torch.cat([p[1] for p in parts.values()])
        imgs = dict(zip(parts, m.decode(z, yy).split([p[0].shape[0] for p in parts.values()])))
    a, b = _pair(view, mu.shape[0])
    recon_img = figures.grid(torch.cat([x[:8], imgs["recon"][:8], x[8:16], imgs["recon"][8:16]]), nrow=8)
    samples_img = figures.grid(imgs["samples"], nrow=k)
    kl_fig = figures.bars(kl_dims.cpu().numpy(), f"KL per latent dimension: {metrics.active_units(kl_dims)} of "
                          f"{len(kl_dims)} active (grey = collapsed, < 0.01 nats)", threshold=0.01)
    trav = figures.grid(imgs["trav"], nrow=9)
    interp = figures.grid(torch.cat([x[a:a + 1], imgs["interp"], x[b:b + 1]]), nrow=10)
    manifold = figures.grid(imgs["manifold"], nrow=15, pad=0) if "manifold" in imgs else None
    return {"recon": recon_img, "samples": samples_img, "kl": kl_fig, "latent": latent.scatter(run, latent.chosen(view), mu, y, WHAT),
            "traversal": trav, "interpolation": interp, "manifold": manifold}


def _traversal_codes(view: View, mu: torch.Tensor, kl_dims: torch.Tensor, y: torch.Tensor | None):
    """The chosen image's traversal: its 10 most informative dimensions (most KL first), 9 values −3 … 3."""
    i = min(int(view.trav_idx), mu.shape[0] - 1)
    dims = torch.argsort(kl_dims, descending=True)[:10]
    z = traversal_codes(mu[i], dims, torch.linspace(-3, 3, 9, device=mu.device))
    return z, None if y is None else y[i].repeat(z.shape[0])


def _pair(view: View, n: int) -> tuple[int, int]:
    a, b = view.interp
    return min(int(a), n - 1), min(int(b), n - 1)


def _interpolation_codes(view: View, mu: torch.Tensor, y: torch.Tensor | None):
    """8 codes between the two chosen images (shown beside them as inputs); a CVAE takes the nearer one's label."""
    a, b = _pair(view, mu.shape[0])
    z, t = interpolation_codes(mu[a], mu[b], 8)
    return z, None if y is None else torch.where(t < 0.5, y[a], y[b])


def _manifold_codes(run: Run, m):
    """With a 2-D code: the 15×15 grid of the decoded latent plane (class 0 for a CVAE, around p(z|0) if learned)."""
    zz = manifold_codes(15, run.device)
    y0 = torch.zeros(zz.shape[0], dtype=torch.long, device=run.device) if m.n_cond else None
    if m.prior_net is not None:            # learned prior: the same quantiles of p(z | y = 0)
        mu_p, logvar_p = m.prior_net(m._onehot(y0[:1], 1, run.device))
        zz = mu_p + torch.exp(0.5 * logvar_p) * zz
    return zz, y0


def build() -> Panel:
    panel = Panel("vae", Config, datasets=["digits", "sprites", "mnist", "fashion-mnist"], equation=EQUATION,
                  curve_groups=[["total", "neg_elbo"], ["recon"], ["kl"], ["sigma"]],
                  curve_titles=["total (solid) · −ELBO (dashed)", "reconstruction", "KL", "decoder σ (learned)"],
                  presets=PRESETS, view_state=View,
                  equation_for=(equation_for, ["conditional", "prior", "recon", "gaussian"]))
    with panel.layout():
        with gr.Row():
            recon = gr.Image(label="Test inputs (rows 1, 3), reconstructions (2, 4)",
                             interactive=False, format="png", height=360)
            samples = gr.Image(label="Samples from the prior: z ~ N(0, I), or z ~ p(z|y) with the learned prior "
                               "(CVAE: one column per class)",
                               interactive=False, format="png", height=360)
        with gr.Row():
            kl = LivePlot(label="KL per latent dimension")
            lat = latent.ScatterControls(panel)
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
    quality.section(panel)          # FID, KID, precision & recall of model.sample(n) (issue 14)
    panel.wire(dict(recon=recon, samples=samples, kl=kl, latent=lat.html, traversal=trav, interpolation=interp,
                    manifold=manifold), render)

    latent.wire_walks(panel, trav_idx, trav, (ia, ib), interp)
    lat.wire(panel, api_name="vae_tsne")
    ranges.wire(panel, dict(trav_idx=trav_idx, ia=ia, ib=ib),
                lambda run: dict.fromkeys(["trav_idx", "ia", "ib"], ranges.image_index(run, latent.N_POINTS)))
    return panel
