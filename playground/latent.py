"""The latent-space scatter shared by the tabs whose models encode: PCA live while training, t-SNE on
demand (too slow to redo every frame), coloured and shaped by label, with each point's image on hover or tap."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from trainers import metrics
from trainers.loop import Run

from . import figures

N_POINTS = 500            # test images in the scatter (and in the tabs' other per-image views)
# seconds between redraws of the scatter while it looks the same way: it is ~2,000 page elements and 500
# hover images, and the browser could not collect the old ones as fast as a 0.5 s redraw made them
# (bench/browser_soak.py: 11k → 181k DOM nodes in 6 min). A new projection or t-SNE draws at once.
SCATTER_EVERY = 5.0


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
    drawn: tuple[Any, float] | None = None      # (what was shown, when)


def redraw_all(view: Any) -> None:
    """The last frame of a press shows every view as it is now: the scatter draws even if it just did."""
    lv = getattr(view, "latent", None)
    if isinstance(lv, LatentView):
        lv.drawn = None


def chosen(view: Any) -> LatentView:
    """The tab view's LatentView, on the projection the page's radio showed at the last Train press (the panel
    sets ``view.projection`` from it, see :class:`ScatterControls`): a new run's view would otherwise start on
    PCA while the radio still says t-SNE. Taken once, so a later radio change wins."""
    lv = view.latent
    proj = vars(view).pop("projection", None)
    if proj in ("PCA", "t-SNE"):
        lv.proj = proj
    return lv


def scatter(run: Run, view: LatentView, z: torch.Tensor, y: torch.Tensor | None, what: str) -> str:
    """HTML of the points ``z`` (N, d) of :func:`test_subset`: the stored t-SNE if chosen, else PCA.
    ``what`` names the points in the title, e.g. "latent means μ(x)" or "codes h(x)". ``figures.SAME``
    (send nothing) when it was drawn the same way less than ``SCATTER_EVERY`` seconds ago."""
    shown, now = (view.proj, view.tsne_step, z.shape[1]), time.monotonic()
    if view.drawn is not None and view.drawn[0] == shown and now - view.drawn[1] < SCATTER_EVERY:
        return figures.SAME
    view.drawn = (shown, now)
    if view.thumbs is None:
        view.thumbs = figures.thumbnails(run.data.x_test[:z.shape[0]])
    if view.proj == "t-SNE" and view.tsne is not None:
        pts, title = view.tsne, f"t-SNE of the {what} (computed at step {view.tsne_step})"
    else:
        pts = metrics.pca(z)
        title = what[0].upper() + what[1:] + ("" if z.shape[1] == 2 else " — first two principal components")
        if view.proj == "t-SNE":
            title += " (t-SNE chosen: press Compute t-SNE now for this run)"
    labels = None if y is None else y.cpu().numpy()
    return figures.scatter_html(pts, labels, view.thumbs, title + " · hover or tap a point to see its image",
                                run.data.classes)


class ScatterControls:
    """The scatter's components: the HTML, the PCA/t-SNE choice and the t-SNE button. Build it inside
    the tab's layout, then :meth:`wire` it once the tab's views and render function exist."""

    def __init__(self, panel: Any = None) -> None:
        with gr.Column():
            self.html = gr.HTML(label="Latent space", min_height=560)
            with gr.Row():
                self.proj = gr.Radio(["PCA", "t-SNE"], value="PCA", label="Projection", scale=2)
                self.tsne_btn = gr.Button("Compute t-SNE now", scale=1)
        if panel is not None:           # a Train press hands the radio's choice to the run's view (see chosen)
            panel.extras["projection"] = self.proj

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


def wire_walks(panel: Any, trav_idx: Any, trav: Any, pair: tuple[Any, Any], interp: Any) -> None:
    """The traversal slider and the two interpolation sliders of a VAE-like tab (its view state has
    ``trav_idx`` and ``interp``): each redraws its own view only."""
    def set_traversal(run: Run, view: Any, i: float):
        view.trav_idx = int(i)
        return panel.render(run, view)

    def set_pair(run: Run, view: Any, a: float, b: float):
        view.interp = (int(a), int(b))
        return panel.render(run, view)

    panel.on(trav_idx.release, set_traversal, [trav_idx], outputs=dict(traversal=trav))
    for s in pair:
        panel.on(s.release, set_pair, list(pair), outputs=dict(interpolation=interp))
