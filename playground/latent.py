"""The latent-space scatter shared by the tabs whose models encode: PCA live while training, t-SNE on
demand (too slow to redo every frame), coloured by label, with each point's image on hover."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from trainers import metrics
from trainers.loop import Run

from . import figures

N_POINTS = 500            # test images in the scatter (and in the tabs' other per-image views)


def test_subset(run: Run, n: int = N_POINTS) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The first ``n`` test images and their labels (None for unlabelled data)."""
    d = run.data
    n = min(n, d.x_test.shape[0])
    return d.x_test[:n], None if d.y_test is None else d.y_test[:n]


@dataclass
class LatentView:
    """The scatter's view state: the projection shown, the last t-SNE, the hover thumbnails (cached)."""
    proj: str = "PCA"
    tsne: np.ndarray | None = None
    tsne_step: int | None = None
    thumbs: tuple[list[str], int, int] | None = None


def scatter(run: Run, view: LatentView, z: torch.Tensor, y: torch.Tensor | None, what: str) -> str:
    """HTML of the points ``z`` (N, d) of :func:`test_subset`: the stored t-SNE if chosen, else PCA.
    ``what`` names the points in the title, e.g. "latent means μ(x)" or "codes h(x)"."""
    if view.thumbs is None:
        view.thumbs = figures.thumbnails(run.data.x_test[:z.shape[0]])
    if view.proj == "t-SNE" and view.tsne is not None:
        pts, title = view.tsne, f"t-SNE of the {what} (computed at step {view.tsne_step})"
    else:
        pts = metrics.pca(z)
        title = what[0].upper() + what[1:] + ("" if z.shape[1] == 2 else " — first two principal components")
    labels = None if y is None else y.cpu().numpy()
    return figures.scatter_html(pts, labels, view.thumbs, title + " · hover a point to see its image",
                                run.data.classes)


class ScatterControls:
    """The scatter's components: the HTML, the PCA/t-SNE choice and the t-SNE button. Build it inside
    the tab's layout, then :meth:`wire` it once the tab's views and render function exist."""

    def __init__(self) -> None:
        with gr.Column():
            self.html = gr.HTML(label="Latent space", min_height=560)
            with gr.Row():
                self.proj = gr.Radio(["PCA", "t-SNE"], value="PCA", label="Projection", scale=2)
                self.tsne_btn = gr.Button("Compute t-SNE now", scale=1)

    def wire(self, panel: Any, api_name: str) -> None:
        """Switching projection redraws; the button computes a t-SNE of the current model's latents.
        The tab's view state has a ``latent`` field holding a :class:`LatentView`."""
        def choose(run: Run, view: Any, proj: str):
            view.latent.proj = proj
            return panel.render(run, view)

        def compute_tsne(run: Run, view: Any):
            with run.evaluating() as m:
                x, y = test_subset(run)
                z = m.latents(x, y)
            lv = view.latent
            lv.tsne, lv.tsne_step, lv.proj = metrics.tsne(z.cpu(), seed=0), run.step, "t-SNE"
            return {"proj": "t-SNE", **panel.render(run, view)}

        mine = {k: v for k, v in panel.views.items() if v is self.html}     # only the scatter it changes
        panel.on(self.proj.change, choose, [self.proj], outputs=mine)
        panel.on(self.tsne_btn.click, compute_tsne, outputs={"proj": self.proj, **mine}, api_name=api_name)
