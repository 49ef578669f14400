"""The VAE-variants tab: VAE-GAN beside a plain VAE, the adversarial autoencoder's code plane, and the discrete
VAE with Gumbel-softmax codes (issue #12, items 1–3)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import torch

from trainers.loop import Run
from trainers.vae import kl_normal
from trainers.vaevariants import Config

from .. import figures, latent, quality, ranges
from ..latent import test_subset
from ..panel import LivePlot, Panel
from . import vaevariants_views as views

TITLE = "VAE variants"

EQUATION = r"""
Three relatives of the VAE: VAE-GAN (Larsen et al. 2016), the adversarial autoencoder (Makhzani et al. 2015) and the Gumbel-softmax VAE (Jang et al. 2017), chosen by **variant**; the box below
shows the objective of the one chosen. All three encode and decode the images with MLPs (one hidden layer);
VAE-GAN's encoder and decoder are exactly the VAE tab's, and its plain-VAE twin is the VAE tab's model.
"""

EQUATIONS = {
    "vae-gan": r"""**VAE-GAN** (Larsen et al. 2016, eq. 7–9 and Alg. 1): the reconstruction is measured in the
discriminator's $l$-th layer, a Gaussian in feature space, and the GAN game is played on reconstructions
$\tilde x=\mathrm{Dec}(z),\ z\sim q(z\mid x)$ and on prior samples $x_p=\mathrm{Dec}(z_p),\ z_p\sim\mathcal N(0,I)$:
$$\mathcal L_{\text{prior}}=D_{\mathrm{KL}}\big(q(z\mid x)\,\|\,\mathcal N(0,I)\big)\qquad
\mathcal L^{\mathrm{Dis}_l}_{\text{llike}}=-\mathbb E_{q(z\mid x)}\big[\log\mathcal N\big(\mathrm{Dis}_l(x)\mid
\mathrm{Dis}_l(\tilde x),\sigma^2 I\big)\big]=\frac{\|\mathrm{Dis}_l(x)-\mathrm{Dis}_l(\tilde x)\|^2}{2\sigma^2}+\text{const}$$
$$\mathcal L_{\text{GAN}}=\log \mathrm{Dis}(x)+\log\big(1-\mathrm{Dis}(\tilde x)\big)+\log\big(1-\mathrm{Dis}(x_p)\big)$$
$$\theta_{\mathrm{Enc}}\leftarrow-\nabla(\mathcal L_{\text{prior}}+\mathcal L_{\text{llike}}),\quad
\theta_{\mathrm{Dec}}\leftarrow-\nabla(\gamma\,\mathcal L_{\text{llike}}-\mathcal L_{\text{GAN}}),\quad
\theta_{\mathrm{Dis}}\leftarrow+\nabla\mathcal L_{\text{GAN}}$$
The paper has $\sigma=1$; with this small MLP discriminator that lets the code collapse (KL → 0), so
$\sigma$ is a setting (0.1). The decoder's $-\mathcal L_{\text{GAN}}$ is taken non-saturating, $-\log\mathrm{Dis}(\tilde x)-\log\mathrm{Dis}(x_p)$.
One discriminator batch holds the real, the reconstructed and the prior-sampled images. Curves: KL, feature
recon, GAN (D, G), D's belief per kind, and the plain VAE twin's −ELBO (same batches, same steps).""",
    "aae": r"""**Adversarial autoencoder** (Makhzani et al. 2015, eq. 1 and §2): a deterministic encoder
$z=q(x)$; its aggregate posterior $q(z)=\int q(z\mid x)\,p_d(x)\,dx$ is matched to the prior $p(z)$ by a
discriminator on codes. Each minibatch: (1) reconstruction, $\min_{q,\,\mathrm{Dec}}\ -\log p(x\mid q(x))$ (BCE);
(2) regularisation, the GAN game with prior samples as the real data:
$$\min_{\mathrm{Enc}}\max_{D}\ \mathbb E_{z'\sim p(z)}\big[\log D(z')\big]+\mathbb E_{x\sim p_d}\big[\log\big(1-D(q(x))\big)\big]$$
(the encoder's step non-saturating, $-\log D(q(x))$). Priors: $\mathcal N(0,I)$; 10 Gaussians on a ring;
the ring with component $y$ for a labelled example of class $y$, the one-hot $y$ also given to $D$ (the
semi-supervised layout, §2.3); a uniform square. The MMD² curve: a kernel distance between the batch's codes
and prior samples (falls as $q(z)$ matches $p(z)$).""",
    "gumbel": r"""**Discrete VAE with Gumbel-softmax** (Jang et al. 2017, eq. 2; Maddison et al. 2017): $N$ categorical
variables of $K$ categories, $\pi=\mathrm{softmax}(\text{encoder}(x))$ per variable, relaxed samples
$$y_k=\frac{\exp\big((\log\pi_k+g_k)/\tau\big)}{\sum_{j=1}^K\exp\big((\log\pi_j+g_j)/\tau\big)},\qquad
g_k=-\log(-\log u_k),\ u_k\sim U(0,1)$$
$$\mathcal L(x)=\mathbb E\big[-\log p(x\mid y)\big]+\sum_{n=1}^{N}D_{\mathrm{KL}}\big(\mathrm{Cat}(\pi_n)\,\|\,
\mathrm{Uniform}(K)\big),\qquad D_{\mathrm{KL}}=\sum_k\pi_k\log(K\pi_k)$$
$$\tau=\max\big(\tau_{\min},\ \tau_0\,e^{-r\cdot\text{step}}\big)$$
As $\tau\to0$, $y$ becomes the one-hot of $\arg\max_k(\log\pi_k+g_k)$, an exact sample of $\mathrm{Cat}(\pi)$.
Straight-through (Jang et al. §2.2): the decoder sees $\mathrm{one\_hot}(\arg\max y)$, the gradient is $y$'s.""",
}

PRESETS = {
    "VAE-GAN vs plain VAE (digits)": (
        "digits", dict(variant="vae-gan", latent_dim=8, gamma=0.02, feature_sigma=0.1, feature_layer=1, twin=True),
        "by step 1,000 of a press (16 s of one CPU core, measured) both sample grids decode the same 64 codes "
        "z ~ N(0, I). The plain VAE twin's digits are smooth and blurry (grey strokes); VAE-GAN's are sharp, "
        "near-black and white strokes, at the price of some odd shapes, while its reconstructions stay "
        "recognisable (KL ≈ 20 nats). D's belief curves show the game: D(real) stays above D(recon) and "
        "D(prior). Set feature σ to 1 (the paper's value; a new run): KL stays below 0.5 nats and most "
        "reconstructions are the same blurry shape, whatever the input: the code has collapsed."),
    "AAE: codes onto a ring of 10 Gaussians": (
        "digits", dict(variant="aae", latent_dim=2, prior="mixture"),
        "the codes start as a small blob at the origin; in one press (2,000 steps, 23 s of one CPU core, "
        "measured) the encoder spreads them onto the ring of grey prior samples, most digits gathered on one "
        "arm each (a few codes stay inside the ring). Behind them, D's map: purple where it sees codes (the "
        "middle, at first everywhere), green on arms that still lack codes; the MMD² curve falls from ≈ 0.25."),
    "AAE semi-supervised: one arm per digit": (
        "digits", dict(variant="aae", latent_dim=2, prior="mixture_by_label"),
        "each labelled digit is pushed to the ring component of its class, and D also sees the label: after one "
        "press (2,000 steps, 23 s of one CPU core, measured) nearly every colour (and marker shape) sits on its "
        "own arm, and each column of the samples (one per class) decodes to that class's digit. The map shows, "
        "for each point, the largest D(z, y) over the classes."),
    "Gumbel: annealed τ, 20 variables × 10 categories": (
        "digits", dict(variant="gumbel", n_vars=20, categories=10, tau0=1.0, tau_min=0.5, anneal_rate=1e-3),
        "τ anneals from 1 to 0.5 in ~700 steps (the τ curve; 2,000 steps take 11 s of one CPU core, measured). "
        "Open 'Temperature' and move τ: at τ = 10 every row of the heatmap is nearly flat, at τ = 0.1 every "
        "row is one-hot; the strip shows the decoder's image sharpening as τ falls. The KL stays small (≈ 2 "
        "nats): most variables stay close to uniform. 'Flip a variable' names the image's surest variables; "
        "flipping one of those changes the decoded image more than flipping the others."),
    "Gumbel straight-through (hard)": (
        "digits", dict(variant="gumbel", hard=True),
        "the decoder only ever sees one-hot codes, so the hard reconstructions match the training ones; the "
        "loss falls a bit slower than the relaxed version's (the straight-through gradient is biased)."),
}


PRETTY = {"d_loss": "D loss", "g_loss": "G loss", "llike": "L_llike", "d_real": "D(real)", "d_recon": "D(recon)", "d_prior": "D(prior)",
          "twin_neg_elbo": "twin −ELBO", "mmd": "MMD²", "tau": "τ"}
for _k, _v in PRETTY.items():
    figures.PRETTY.setdefault(_k, _v)     # additive: names for the curve legends


def equation_for(variant: str) -> str:
    return EQUATIONS.get(variant, "")


@dataclass
class View:
    trav_idx: int = 0
    interp: tuple[int, int] = (0, 1)
    tau: float = 1.0
    tau_idx: int = 0
    flip: tuple[int, int, int] = (0, 0, 1)        # test image, variable, category
    latent: latent.LatentView = field(default_factory=latent.LatentView)


def render(run: Run, view: View) -> dict[str, Any]:
    """Every live view of the chosen variant (the others' views are cleared)."""
    variant = run.cfg.variant
    out: dict[str, Any] = dict(twin=gr.update(value=None, visible=False), codes=None, traversal=None, tau_heat=None, tau_img=None, flip=None,
                               flip_note="")
    with run.evaluating() as m:
        x, y = test_subset(run)
        z = m.latents(x, y)                                                # (n, d) or (n, N·K)
        recon = m.reconstruct(x[:16])
        g = views.view_generator()
        if variant == "vae-gan":
            samples = m.decode(m.z_fixed)
            if m.twin is not None:
                out["twin"] = gr.update(value=figures.grid(m.twin.decode(m.z_fixed), nrow=8), visible=True)
            dims = torch.argsort(kl_normal(*m.encode(x)).mean(0), descending=True)[:10]   # most KL first
            trav, interp = views.continuous_codes(z, dims, 3.0, view.trav_idx, view.interp)
        elif variant == "aae":
            yk = torch.arange(8 * m.k, device=m.device) % m.k if m.by_label else None
            samples = m.decode(m.draw_prior(8 * m.k if m.by_label else 64, yk, g))
            out["codes"] = views.aae_code_plot(m, z, y, run.data.classes)
            dims = torch.arange(min(10, z.shape[1]), device=z.device)
            lim = views.code_limit(m.cfg.prior) - 0.5
            trav, interp = views.continuous_codes(z, dims, lim, view.trav_idx, view.interp)
        else:
            samples = m.decode(m.prior_codes(64, g))
            trav, interp = None, views.gumbel_interpolation(m, x, view.interp)
            i = min(view.tau_idx, len(x) - 1)
            out["tau_heat"], out["tau_img"] = views.tau_view(m, x[i], view.tau)
            j, var, cat = view.flip
            out["flip"], out["flip_note"] = views.flip_view(m, x[min(j, len(x) - 1)], var, cat)
        dec = m.decode(trav) if trav is not None else None
        interp_img = m.decode(interp)
    a, b = (min(int(v), len(x) - 1) for v in view.interp)
    nrow = m.k if variant == "aae" and m.by_label else 8
    out.update(recon=figures.grid(torch.cat([x[:8], recon[:8], x[8:16], recon[8:16]]), nrow=8),
               samples=figures.grid(samples, nrow=nrow),
               latent=latent.scatter(run, latent.chosen(view), z, y, "codes" if variant != "gumbel" else "code probabilities q(y|x)"),
               interpolation=figures.grid(torch.cat([x[a:a + 1], interp_img, x[b:b + 1]]), nrow=10))
    if dec is not None:
        out["traversal"] = figures.grid(dec, nrow=9)
    return out


def build() -> Panel:
    panel = Panel("vaevariants", Config, datasets=["digits", "sprites", "mnist", "fashion-mnist"], equation=EQUATION,
                  curve_groups=[["kl"], ["llike"], ["d_loss", "g_loss"], ["d_real", "d_recon", "d_prior"],
                                ["twin_neg_elbo"], ["recon", "neg_elbo"], ["mmd"], ["tau"]],
                  curve_titles=["prior KL", "feature recon", "GAN: D · G (dash)",
                                "D: real · recon (dash) · prior (dot)", "plain VAE twin −ELBO",
                                "recon · −ELBO (dashed)", "MMD² codes vs prior", "temperature τ"],
                  presets=PRESETS, view_state=View, default_steps=2000, equation_for=(equation_for, ["variant"]))
    with panel.layout():
        with gr.Row():
            recon = gr.Image(label="Test inputs (rows 1, 3), reconstructions (2, 4)", interactive=False,
                             format="png", height=300)
            samples = gr.Image(label="Samples from the prior (VAE-GAN: the same 64 codes as the twin)",
                               interactive=False, format="png", height=300)
            twin = gr.Image(label="VAE-GAN only: the plain VAE twin's samples (same codes, data, steps)",
                            interactive=False, format="png", height=300)
        with gr.Tabs():
            with gr.Tab("Codes vs prior (AAE)"):
                codes = LivePlot(label="AAE: codes vs prior samples, D's decision map behind")
            with gr.Tab("Temperature (Gumbel)"):
                with gr.Row():
                    tau = gr.Slider(0.05, 10, value=1.0, step=0.05, label="τ for this view")
                    tau_idx = gr.Slider(0, 499, value=0, step=1, label="Test image #")
                tau_heat = LivePlot(label="How soft the code is at τ")
                tau_img = gr.Image(label="Input · decoded at the chosen τ · decoded at τ = 0.05, 0.1, 0.2, 0.5, 1, 2, "
                                   "5, 10 (the same Gumbel noise)", interactive=False, format="png", height=120)
            with gr.Tab("Flip a variable (Gumbel)"):
                with gr.Row():
                    flip_idx = gr.Slider(0, 499, value=0, step=1, label="Test image #")
                    flip_var = gr.Slider(0, 63, value=0, step=1, label="Variable n")
                    flip_cat = gr.Slider(0, 63, value=1, step=1, label="Category k")
                flip_note = gr.Markdown("")
                flip = gr.Image(label="Top: input · decoded code · flipped; bottom: the variable through every category",
                                interactive=False, format="png", height=200)
            with gr.Tab("Latent space"):
                lat = latent.ScatterControls(panel)
            with gr.Tab("Traversal (VAE-GAN, AAE)"):
                trav_idx = gr.Slider(0, 499, value=0, step=1, label="Start from test image #")
                trav = gr.Image(label="Rows: latent dimensions (VAE-GAN: most KL first); columns: values across "
                                "the prior's range", interactive=False, format="png", height=480)
            with gr.Tab("Interpolation"):
                with gr.Row():
                    ia = gr.Slider(0, 499, value=0, step=1, label="From test image #")
                    ib = gr.Slider(0, 499, value=1, step=1, label="To test image #")
                interp = gr.Image(label="From image a to image b along a straight line in the code (Gumbel: in q(y|x))",
                                  interactive=False, format="png", height=160)
    quality.section(panel)          # FID, KID, precision & recall of model.sample(n) (issue 14)
    panel.wire(dict(recon=recon, samples=samples, twin=twin, codes=codes, latent=lat.html, traversal=trav,
                    interpolation=interp, tau_heat=tau_heat, tau_img=tau_img, flip=flip, flip_note=flip_note),
               render)


    def set_tau(run: Run, view: View, tau: float, image: float):
        if run.cfg.variant != "gumbel":
            raise ValueError("The temperature view is for the gumbel variant: choose it and press Train.")
        if not tau or float(tau) <= 0:
            raise ValueError(f"τ for this view must be greater than 0; got {tau}.")
        view.tau, view.tau_idx = float(tau), int(image)
        return render(run, view)

    def set_flip(run: Run, view: View, image: float, variable: float, category: float):
        if run.cfg.variant != "gumbel":
            raise ValueError("Flipping a variable is for the gumbel variant: choose it and press Train.")
        old = view.flip
        view.flip = (int(image), int(variable), int(category))
        try:
            return render(run, view)
        except ValueError:
            view.flip = old
            raise

    latent.wire_walks(panel, trav_idx, trav, (ia, ib), interp)
    taus, flips = dict(tau_heat=tau_heat, tau_img=tau_img), dict(flip=flip, flip_note=flip_note)   # their own views
    panel.on(tau.release, set_tau, [tau, tau_idx], outputs=taus, api_name="vaevariants_tau")
    panel.on(tau_idx.release, set_tau, [tau, tau_idx], outputs=taus)
    panel.on(flip_cat.release, set_flip, [flip_idx, flip_var, flip_cat], outputs=flips, api_name="vaevariants_flip")
    for s in (flip_idx, flip_var):
        panel.on(s.release, set_flip, [flip_idx, flip_var, flip_cat], outputs=flips)
    lat.wire(panel, api_name="vaevariants_tsne")
    ranges.wire(panel, dict(flip_var=flip_var, flip_cat=flip_cat, tau_idx=tau_idx, flip_idx=flip_idx,
                            trav_idx=trav_idx, ia=ia, ib=ib),
                lambda run: dict(flip_var=(0, run.cfg.n_vars - 1), flip_cat=(0, run.cfg.categories - 1),
                                 **dict.fromkeys(["tau_idx", "flip_idx", "trav_idx", "ia", "ib"],
                                                 ranges.image_index(run, latent.N_POINTS))))
    return panel
