"""The diffusion tab's latent-diffusion views (Rombach et al. 2022; trainers/diffusion_latent.py holds the math):
the autoencoder's codes beside the diffusion's samples in latent space (one shared PCA), the decoded samples
and reconstructions, and the speed of a latent step against a pixel-space step on the same data."""
from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr
import torch

from trainers.diffusion import Frames, reverse_process
from trainers.diffusion_latent import LatentModel, reconstruct, speed_compare
from trainers.loop import Run
from trainers.metrics import pca_shared

from .. import figures
from ..panel import LivePlot

N_LATENT = 400          # diffusion samples drawn in latent space for the PCA view (20 DDIM steps, same seed)

NOTE = ("**Latent diffusion** (Rombach et al. 2022): tick *latent diffusion (images)*; the run first trains a "
        "small autoencoder on the spot for *autoencoder steps*, then runs DDPM on its d-dimensional codes "
        "(eq. 9–10 with $z_0=(E(x)-m)/s$, the encoder frozen) and decodes every sample, $x=D(s\\,z_0+m)$. "
        "The autoencoder, $(m, s)$ and the codes are stored with the run (export, import and continue keep them). "
        "Not done yet: borrowing your own run from the Autoencoders or VAE tab.")


def is_latent(run: Run) -> bool:
    return isinstance(run.model, LatentModel)


def _scatter(pts, name: str, color: str) -> dict:
    return dict(type="scatter", x=pts[:, 0], y=pts[:, 1], mode="markers", name=name,
                marker=dict(size=5, color=color, opacity=0.6))


def latent_views(run: Run, view: Any) -> dict[str, Any]:
    """The codes E(x) (stored with the run) and N_LATENT diffusion samples in latent space, on one shared PCA
    (two panels with the same axes), the decoded samples and D(E(x)) beside the inputs."""
    m = run.model
    if m.stage == "autoencoder" or int(m.n_codes) == 0:
        note = (f"autoencoder stage: {int(m.ae_trained)} of {m.cfg.ae_steps} steps; the codes and the latent "
                "samples appear when the diffusion stage starts")
        with run.evaluating() as mm:
            rec = reconstruct(mm, run.data.x_test[:8]).cpu()
        pair = torch.cat([run.data.x_test[:8].cpu(), rec])
        return {"latent_codes": None, "latent_samples": None, "latent_note": note,
                "latent_recon": figures.grid(pair, nrow=8)}
    with run.evaluating() as mm:
        codes = mm.stored_codes().cpu()
        z = reverse_process(mm, N_LATENT, mm.sampler("ddim", steps=min(20, run.cfg.T)), seed=1234,
                            keep=False).result.cpu()
        rec = reconstruct(mm, run.data.x_test[:8]).cpu()
    pc, pz = pca_shared(codes, z)
    lo = min(float(pc.min()), float(pz.min())) - 0.3
    hi = max(float(pc.max()), float(pz.max())) + 0.3
    ax = dict(range=[lo, hi])
    layout = lambda title: dict(height=420, title=dict(text=title, font=dict(size=15)),   # noqa: E731
                                xaxis=dict(ax, title=dict(text="PC 1")), yaxis=dict(ax, title=dict(text="PC 2")),
                                margin=dict(l=40, r=10, t=50, b=40), showlegend=False)
    d = codes.shape[1]
    left = figures.fig([_scatter(pc, "codes E(x)", "#94a3b8")],
                       layout(f"{len(codes)} latent codes E(x) of the data (d = {d}, PCA)"))
    right = figures.fig([_scatter(pz, "diffusion samples z₀", "#dc2626")],
                        layout(f"{N_LATENT} diffusion samples in latent space (same PCA), step {run.step}"))
    pair = torch.cat([run.data.x_test[:8].cpu(), rec])
    return {"latent_codes": left, "latent_samples": right, "latent_recon": figures.grid(pair, nrow=8),
            "latent_note": f"diffusion stage: step {int(m.trained_steps)} on the codes (autoencoder: "
                           f"{int(m.ae_trained)} steps, frozen)"}


def decoded_frames(m: LatentModel, fr: Frames) -> Frames:
    """The reverse process with every frame decoded (x_t and x̂₀ through D, in [−1, 1] as the image viewer and the
    GIF expect); ε̂ of a code has no picture, so it shows grey. The clip box stays the codes' (the readout names it)."""
    with torch.no_grad():
        dec = lambda t: torch.stack([m.decode(f.to(m.device)).cpu() * 2 - 1 for f in t])   # noqa: E731
        x, x0 = dec(fr.x), dec(fr.x0) if len(fr.x0) else torch.empty(0)
    return dataclasses.replace(fr, x=x, x0=x0, eps=torch.zeros_like(x0), grid=None, field=None, cg_field=None)


def compare_speed(run: Run, view: Any) -> dict[str, Any]:
    """Steps per second of one latent step against one pixel-space step (the U-Net), same batch, same call."""
    if not is_latent(run):
        raise ValueError("This run diffuses pixels: tick 'latent diffusion (images)' and train to compare speeds.")
    sp = speed_compare(run, steps=10)
    return {"speed": (f"**Training speed, measured now on the same batch of {run.batch_size} images:** latent "
                      f"diffusion {sp['latent']:,.0f} steps/s (an MLP on d = {run.cfg.latent_dim} codes) · "
                      f"pixel-space DDPM {sp['pixel']:,.0f} steps/s (the U-Net, width {run.cfg.width}) · "
                      f"latent is **{sp['ratio']:.1f}×** the pixel rate.")}


def build_views() -> dict[str, Any]:
    """The latent-diffusion sub-tab's components (inside the caller's ``gr.Tab``), and its speed button."""
    gr.Markdown(NOTE, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    note = gr.Markdown("")
    with gr.Row():
        codes = LivePlot(label="Latent codes of the data (PCA)")
        samples = LivePlot(label="Diffusion samples in latent space (same PCA)")
    recon = gr.Image(label="Inputs (top) · autoencoder reconstructions D(E(x)) (bottom)", interactive=False,
                     format="png")
    speed_btn = gr.Button("Compare speed with pixel-space diffusion")
    speed = gr.Markdown("")
    return dict(latent_codes=codes, latent_samples=samples, latent_recon=recon, latent_note=note,
                speed_btn=speed_btn, speed=speed)
