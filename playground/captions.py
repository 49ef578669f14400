"""One line under each figure saying what it shows and how to read it, and the page script that gives every
figure a text alternative from that line (issue 15, items 7 and 8).

:data:`CAPTIONS` maps ``(tab, name)`` to the caption: ``name`` is the view's name in the tab's
``panel.wire`` (or ``panel.on`` outputs), ``"curves"`` and ``"pinned"`` for the panel's own figures, or
the figure's English label for the figures a tab builds outside its named views. ``("*", name)`` is shared by
every tab. :func:`install` (called by ``build_app`` inside the Blocks, before ``i18n.install``) puts a small
``gr.Markdown`` right under each figure and marks the pair, so :data:`HEAD`'s script can find them on the page:

- each ``<img>`` of a figure gets ``alt`` = "label: caption" in the page's language (Gradio 6.31 renders
  ``alt=""``), each plot gets ``role="img"`` and an ``aria-label`` with its title and caption;
- a caption hides while its figure is hidden (a 2D-only plot on image data, a tab's image twin).
"""
from __future__ import annotations

import re
from typing import Any, Iterator

import gradio as gr
from gradio.context import get_render_context, set_render_context

from . import references
from .i18n import english
from .liveplot import LivePlot

_LATENT = ("Each dot is one test image placed by its code (PCA, or t-SNE after the button); colour and shape "
           "give its class (legend below). Hover, tap or Tab to a dot to see the image.")
_RECON = "Rows 1 and 3 are test images; the row under each is the model's reconstruction of it: the closer, the better."
_SAMPLES_2D = ("Grey: the training points; red: samples the model draws now. Red covering every grey part "
               "means it learned the whole distribution.")

CAPTIONS: dict[tuple[str, str], str] = {
    # every tab
    ("*", "curves"): ("Each loss term against training steps: thin lines every few steps, dots at each epoch's "
                      "end; faint lines are pinned runs."),
    ("*", "pinned"): "One row of samples per pinned run, made when it was pinned: compare them with the live samples.",
    ("*", "Scores against steps and training time"): (
        "FID against steps and against training seconds, then precision (solid) and recall (dashed) against "
        "steps: FID lower is better, precision and recall higher."),
    ("*", "Real vs generated in the classifier's feature space (PCA)"): (
        "Real test images (dots) and generated samples (crosses) in the classifier's features: samples that "
        "cover the real cloud have high recall, samples inside it high precision."),
    # Autoencoders
    ("ae", "recon"): ("Top row: inputs (noisy ones for the denoising AE); middle: the AE's outputs; bottom (DAE): "
                      "the clean images it should recover."),
    ("ae", "latent"): _LATENT,
    ("ae", "activations"): "How often each code value occurs over the test images: a tall bar at 0 means a sparse code.",
    ("ae", "rho"): "Mean activation ρ̂ⱼ of each code unit over the test images (KL sparsity: the dashed line is the target ρ).",
    ("ae", "sensitivity"): ("How far the code moves when the input is nudged by ε: a flatter curve means a more "
                            "contractive (robust) code."),
    ("ae", "holes"): ("Four rows of decoded codes: a straight line from image a to b (AE, then VAE), then random "
                      "codes (AE, then VAE); blurry or broken digits show holes in the code space."),
    ("ae", "Reconstruction errors: normal vs held-out"): (
        "Histograms of reconstruction error for digits seen in training and for held-out digits: the less they "
        "overlap (higher ROC AUC), the better the error flags anomalies."),
    # VAE
    ("vae", "recon"): _RECON,
    ("vae", "samples"): "Images decoded from codes drawn from the prior: what the model generates (one column per class for a CVAE).",
    ("vae", "kl"): ("KL of each latent dimension, averaged over test images: dimensions near 0 are unused "
                    "(collapsed to the prior); grey bars fall under the threshold."),
    ("vae", "latent"): _LATENT,
    ("vae", "traversal"): ("Each row: one latent dimension swept from −3 to 3 while the others stay at a test "
                           "image's code; a row that changes one feature is a disentangled dimension."),
    ("vae", "interpolation"): "Left to right: images decoded along a straight line in z from test image a to test image b.",
    ("vae", "manifold"): ("Images decoded on a 15×15 grid of a 2-D code z (Gaussian quantiles; z₁ grows to the right, z₂ "
                          "upwards): neighbouring cells should change smoothly."),
    # VAE variants
    ("vaevariants", "recon"): _RECON,
    ("vaevariants", "samples"): "Images decoded from codes drawn from the prior: what the chosen variant generates.",
    ("vaevariants", "twin"): "The same codes decoded by a plain VAE trained beside it: compare sharpness with the VAE-GAN's samples.",
    ("vaevariants", "codes"): ("Codes of test images (coloured and shaped by class) over samples of the prior (grey), "
                               "with the discriminator's verdict behind: codes should fill the prior's shape."),
    ("vaevariants", "latent"): _LATENT,
    ("vaevariants", "traversal"): "Each row: one code dimension swept across the prior's range while the others stay fixed.",
    ("vaevariants", "interpolation"): "Left to right: images decoded along a straight line in the code from test image a to test image b.",
    ("vaevariants", "tau_heat"): ("Each row is one categorical variable, each column a category; deeper blue means more "
                                  "probability: at low τ each row is nearly one-hot."),
    ("vaevariants", "tau_img"): "An input, its decoding at the chosen τ, then at τ from 0.05 to 10 with the same noise: low τ is sharp and discrete.",
    ("vaevariants", "flip"): ("Top: an input, the image decoded from its code, and from the code with one variable flipped; "
                              "bottom: that variable set to each category in turn."),
    # VQ-VAE
    ("vqvae", "recon"): _RECON,
    ("vqvae", "usage"): "How often each code was chosen in the last epoch, most used first; grey bars are dead codes (never chosen).",
    ("vqvae", "projection"): ("Codes in use (large dots), dead codes (crosses) and encoder outputs (small grey dots) on one "
                              "PCA: a dead code lies away from the outputs, so nothing picks it."),
    ("vqvae", "codemap"): "The grid of code indices for one test image: each cell is the codebook entry chosen there.",
    ("vqvae", "edit"): "The input, its reconstruction, the image decoded after changing one cell's code, and the change ×3.",
    ("vqvae", "topn_img"): "Test images, decoded with all codes, then with each cell's code replaced by the nearest of the N most used.",
    ("vqvae", "topn_fig"): "Held-out reconstruction error as fewer codes are kept: where it starts to rise, the rarer codes matter.",
    ("vqvae", "off_img"): "The 8 test images hurt most by switching the chosen codes off: inputs, before, after.",
    ("vqvae", "levels"): "VQ-VAE-2: an image decoded with the top or bottom level zeroed or redrawn, to see what each level carries.",
    ("vqvae", "no_prior"): "Images decoded from code maps drawn cell by cell, independently: what sampling looks like without a prior.",
    ("vqvae", "prior_curve"): "The prior's loss, −log p of each code given the codes before it, in nats per code: lower means it predicts codes better.",
    ("vqvae", "prior_img"): "Images decoded from code maps sampled from the trained prior, one code at a time.",
    # GAN
    ("gan", "lab"): ("Background: D's verdict (green: looks real, purple: looks fake); green dots: real data; "
                     "purple crosses: G's samples; arrows: where G's loss pushes each sample."),
    ("gan", "grid"): "G's images from the same fixed noise every frame: watch the same samples sharpen as training goes on.",
    ("gan", "scores"): "Histograms of D's scores on real and generated samples: well apart, D wins; on top of each other, G fools D.",
    # Diffusion
    ("diffusion", "samples_plot"): _SAMPLES_2D,
    ("diffusion", "samples_img"): "Images the model generates now (20 DDIM steps from the same noise each time).",
    ("diffusion", "schedules"): ("β_t, ᾱ_t and the signal-to-noise ratio against t for both schedules; thick lines: the "
                                 "schedule in use; the marker: the forward-process slider's t."),
    ("diffusion", "forward_plot"): "The data after t steps of noise (eq. 9): by the last t it is indistinguishable from a Gaussian.",
    ("diffusion", "forward_img"): "Images after t steps of noise (eq. 9): by the last t nothing of the digit is left.",
    ("diffusion", "latent_codes"): "The autoencoder's codes of the data, on the first two principal components.",
    ("diffusion", "latent_samples"): "Codes sampled by the diffusion model, on the same axes: they should cover the data's codes.",
    ("diffusion", "latent_recon"): "Top: inputs; bottom: the autoencoder's reconstructions D(E(x)), the best latent diffusion can do.",
    ("diffusion", "x_t (red) and the ε̂ field (arrows)"): (
        "One reverse step: the points x_t (red) and, as arrows, the noise ε̂ the network predicts there (or "
        "the score, ∝ −ε̂, if chosen)."),
    ("diffusion", "predicted clean x̂₀ (blue)"): "Where each point would land if the predicted noise were removed at once: x̂₀ from eq. 9.",
    ("diffusion", "x_t"): "The images x_t at this reverse step: noise at the start, digits at the end.",
    ("diffusion", "predicted noise ε̂ (grey = 0)"): "The noise the network predicts in each image at this step (grey is zero).",
    ("diffusion", "predicted clean x̂₀"): "The clean images the network guesses from x_t at this step: they sharpen as t falls.",
    ("diffusion", "Spread and fidelity against the guidance scale"): (
        "Against the guidance scale w: spread of the samples (mean pairwise distance) and their Chamfer distance "
        "to the data: more guidance, less variety."),
    # Score & flow
    ("score", "samples_plot"): _SAMPLES_2D,
    ("score", "field_plot"): "The learned score s_θ at this noise level: arrows point towards more likely data.",
    ("score", "true_plot"): "The true score of the noised data at this level, for comparison: the closer the two fields, the better.",
    ("score", "x_t (red) and the field it follows (arrows)"): "One step of the sampler: the points (red) and the field that moves them.",
    ("score", "where each point is headed (blue)"): "The clean point each sample is heading to, estimated from the score at this step.",
    ("score", "Chamfer distance against snr"): (
        "Distance of the samples from held-out data for each corrector setting: lower is better; each line is a "
        "number of Langevin corrector steps."),
    ("score", "sample paths from the same noise"): ("Paths from the same starting noise to samples: flow matching "
                                                    "(straight) against the score model's probability-flow ODE (curved)."),
    # TD-VAE
    ("tdvae", "strip"): "The test sequence, frame by frame: the model sees the frames up to t and predicts the rest.",
    ("tdvae", "futures"): ("Top row: frame t, then the true frames at t + jump, t + 2·jump, …; each row below: one future the "
                          "model rolls out from its belief at t."),
    ("tdvae", "plot"): ("Blue: the values seen up to t; orange diamonds: the truth after t; purple: possible futures jumped to "
                       "from the belief at t (band: mean ± 2 std)."),
    # Compare
    ("compare", "Samples, one family each"): "Samples of each raced family after its budget, side by side.",
    ("compare", "FID against training time"): "Each family's FID against training seconds: lower is better; the lowest curve at the right wins.",
}

FIGURES = (gr.Image, gr.Gallery, LivePlot)


def caption(tab: str, name: str) -> str | None:
    """The caption of figure ``name`` on tab ``tab`` (the shared one if the tab has none)."""
    return CAPTIONS.get((tab, name)) or CAPTIONS.get(("*", name))


def _descendants(block: Any) -> Iterator[Any]:
    for child in getattr(block, "children", []) or []:
        yield child
        yield from _descendants(child)


def _slug(tab: str, name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{tab}-{name}".lower()).strip("-")


def figures_of(tab: str, block: Any, panel: Any = None) -> list[tuple[str, Any]]:
    """(name, component) of every figure in a tab: images, galleries, plots and the latent scatter."""
    names = {id(c): n for n, c in (getattr(panel, "views", None) or {}).items()}
    for n in ("curves", "pinned"):
        if getattr(panel, n, None) is not None:
            names[id(getattr(panel, n))] = n
    out = []
    for c in _descendants(block):
        if isinstance(c, FIGURES) or id(c) in names and isinstance(c, gr.HTML):
            out.append((names.get(id(c)) or str(english(c.label)), c))
    return out


def _render_into(parent: Any, block: Any) -> None:
    """Render ``block`` (made with ``render=False``) as ``parent``'s last child (we are inside the Blocks)."""
    saved = get_render_context()
    set_render_context(parent)
    try:
        block.render()
    finally:
        set_render_context(saved)


def _place_under(comp: Any, md: gr.Markdown) -> None:
    """Put ``md`` right under the figure ``comp``. In a Row the two (with a LivePlot's plot block) first go
    into a Column of their own where the figure was, so the caption sits under it, not beside it."""
    parent = comp.parent
    _render_into(parent, md)
    parent.children.remove(md)
    if not isinstance(parent, gr.Row):
        parent.children.insert(parent.children.index(comp) + 1, md)
        return
    fig = [b for b in (getattr(comp, "plot_html", None), comp) if b is not None and b.parent is parent]
    col = gr.Column(scale=getattr(comp, "scale", None) or 1, min_width=getattr(comp, "min_width", None) or 160,
                    elem_classes=["pg-fig-col"], render=False)
    _render_into(parent, col)
    parent.children.remove(col)
    parent.children.insert(parent.children.index(fig[0]), col)
    for b in fig:
        parent.children.remove(b)
    col.children = [*fig, md]
    for b in col.children:
        b.parent = col


def install(tabs: gr.Tabs, panels: dict[str, Any]) -> int:
    """Put each figure's caption under it, and the papers the tabs cite in an accordion under the tabs (call it
    inside ``gr.Blocks``, right after the tabs, before ``i18n.install``); returns how many captions."""
    with gr.Accordion(references.TITLE, open=False, elem_id="pg-references"):
        gr.Markdown(references.markdown().strip())
    n, used = 0, set()
    for tab_block in list(getattr(tabs, "children", [])):
        tab = getattr(tab_block, "id", None)
        for name, comp in figures_of(str(tab), tab_block, panels.get(tab)):
            text = caption(str(tab), name)
            if text is None or comp.parent is None:
                continue
            slug = base = _slug(str(tab), name)
            while slug in used:                    # labels that differ only in symbols ("x̂₀") stay apart
                slug = f"{base}-{len(used)}"
            used.add(slug)
            target = comp.plot_html if isinstance(comp, LivePlot) and comp.plot_html is not None else comp
            target.elem_classes = [*(target.elem_classes or []), "pg-fig", f"pg-fig-{slug}"]
            _place_under(comp, gr.Markdown(text, elem_id=f"pg-cap-{slug}", elem_classes=["pg-caption"], render=False))
            n += 1
    return n


CSS = """
.pg-caption { margin-top: -6px !important; }
.pg-caption p { font-size: 14px; color: var(--body-text-color-subdued); margin: 0; }
.pg-caption.pg-cap-off { display: none !important; }
.pg-fig-col:has(.pg-caption.pg-cap-off) { display: none !important; }   /* a hidden figure frees its place in a row */
"""

# The text alternatives, kept up to date as figures redraw, tabs open and the language changes: a throttled
# MutationObserver; each caption (elem_id pg-cap-<slug>) names its figure (class pg-fig-<slug>).
HEAD = """
<script>
(() => {
  const clean = (s) => (s || "").replace(/<[^>]*>/g, " ").replace(/\\s+/g, " ").trim();
  function sync() {
    for (const cap of document.querySelectorAll(".pg-caption[id^='pg-cap-']")) {
      const fig = document.querySelector(".pg-fig-" + cap.id.slice(7));
      const shown = !!fig && getComputedStyle(fig).display !== "none" && !fig.classList.contains("pg-liveplot-off")
        && !fig.classList.contains("hidden");
      cap.classList.toggle("pg-cap-off", !shown);
      if (!fig) continue;
      const label = clean((fig.querySelector("[data-testid='block-label']") || {}).textContent);
      const text = clean(cap.textContent);
      const alt = label && text ? label + ": " + text : label || text;
      fig.querySelectorAll("img").forEach((img, i) => {
        const want = img.closest(".pg-scatter") ? img.alt : (fig.querySelectorAll("img").length > 1 ? alt + " (" + (i + 1) + ")" : alt);
        if (want && img.alt !== want) img.alt = want;
      });
      const plot = fig.querySelector(".pg-liveplot");
      if (plot) {
        const title = clean(plot.layout && plot.layout.title && (plot.layout.title.text || plot.layout.title));
        const aria = [label, title, text].filter(Boolean).join(". ");
        if (plot.getAttribute("role") !== "img") plot.setAttribute("role", "img");
        if (plot.getAttribute("aria-label") !== aria) plot.setAttribute("aria-label", aria);
      }
    }
  }
  let due = false;
  const soon = () => { if (!due) { due = true; setTimeout(() => { due = false; sync(); }, 250); } };
  window.pgCaptionsSync = sync;
  const start = () => { new MutationObserver(soon).observe(document.body, { childList: true, subtree: true,
    attributes: true, attributeFilter: ["src", "class", "style"] }); soon(); };
  document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", start) : start();
})();
</script>
"""
