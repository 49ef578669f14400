"""Projector mode, dark mode and the presenter layout (issue 15, items 6 and 10).

* **Projector** (the "📽 Projector" switch at the top of the page, ``?projector=1`` in the URL, remembered in
  localStorage): the page's root gets the class ``pg-projector``; the page's fonts grow (CSS below), and the
  live plots are restyled in the browser (static/liveplot.js ``style``): larger fonts, thicker lines, larger
  markers, high-contrast colours. The server still sends one figure JSON per frame whatever the mode, and a
  switch restyles the plots already drawn in place (Plotly.react), without retraining.
* **Dark**: Gradio puts the class ``dark`` on ``<body>`` (``?__theme=dark``, the OS preference, or Settings);
  the live plots take the theme's own colours (its CSS variables) and the latent scatter and image grids
  follow (grids have transparent padding: figures.grid).
* **Presenter layout** (in projector mode): at 1280×720 the first screen shows the curves and the tab's key
  view side by side: the page header hides, the settings column narrows, and the tab's right column becomes
  a two-column grid: curves | key view on top, the equation and every other view below. The key view is the
  first block a tab lays out under the curves that holds an image or a plot (:func:`mark_key`), so no tab
  needed rewriting; a tab may choose its own by giving a block the class ``pg-keyview``.
"""
from __future__ import annotations

from typing import Any, Iterable

import gradio as gr

PROJECTOR = "pg-projector"      # the class on <html> in projector mode
KEY = "pg-keyview"              # the class of a tab's key view (beside the curves in the presenter layout)
LEFT, RIGHT = "pg-left", "pg-right"     # the panel's two columns (playground/panel.py)

CSS = """
/* ---- dark: the latent scatter's box and pop-ups follow Gradio's theme */
.dark .pg-scatter .pg-box { background: var(--background-fill-secondary, #1f2937); }
.dark .pg-scatter .pop { background: var(--block-background-fill, #111827); color: var(--body-text-color, #f3f4f6);
  border-color: var(--border-color-primary, #4b5563); }
.dark .pg-scatter .pt:hover { outline-color: #f8fafc; }

/* ---- projector: larger text everywhere (Gradio's own sizes are CSS variables) */
:root.pg-projector, :root.pg-projector body, :root.pg-projector .gradio-container {
  --text-xxs: 12px; --text-xs: 14px; --text-sm: 17px; --text-md: 20px; --text-lg: 24px; --text-xl: 30px;
  --text-xxl: 34px; --block-label-text-size: 18px; --block-info-text-size: 16px; --block-title-text-size: 20px;
  --section-header-text-size: 20px; --checkbox-label-text-size: 18px; --button-large-text-size: 22px;
  --input-text-size: 19px; }
:root.pg-projector .pg-status, :root.pg-projector .pg-equation { font-size: 20px; }
:root.pg-projector .pg-scatter .pt { width: 13px; height: 13px; margin: -6.5px; opacity: 1; }
:root.pg-projector .pg-scatter .pg-title { font-size: 22px; }
:root.pg-projector .pg-scatter .pg-legend { font-size: 19px; }

/* ---- presenter layout (projector mode): curves and the key view on the first screen */
:root.pg-projector #pg-header { display: none; }
:root.pg-projector #pg-tabs { margin-top: 50px; }      /* the switches sit above the tab names */
:root.pg-projector .pg-left { flex: 0 0 230px !important; min-width: 230px !important; max-width: 230px; }
:root.pg-projector .pg-right { display: grid !important; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
  align-items: start; align-content: start; }
:root.pg-projector .pg-right > * { grid-column: 1 / -1; min-width: 0; }
:root.pg-projector .pg-right > .pg-curves { grid-column: 1; grid-row: 1; }
:root.pg-projector .pg-right > .pg-keyview { grid-column: 2; grid-row: 1; }
:root.pg-projector .pg-right > .pg-keyview.row { flex-direction: column; flex-wrap: nowrap; }
:root.pg-projector .pg-right > .pg-keyview.row > * { width: 100%; min-width: 0 !important; }
:root.pg-projector .pg-right > .pg-keyview .block { height: auto !important; }
:root.pg-projector .pg-right > .pg-keyview .image-container { height: auto; }
:root.pg-projector .pg-right > .pg-keyview .image-frame img { max-height: 210px; height: auto !important; }
:root.pg-projector .pg-right > .pg-keyview [data-testid="block-label"] { white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; max-width: calc(100% - 8px); }
:root.pg-projector .pg-right > .pg-keyview .image-container:has(.image-frame) { padding-top: 42px; }

/* ---- the switch, beside the language switch (playground/i18n.py places #pg-lang at the top right) */
#pg-projector { position: absolute; top: 8px; right: 250px; width: auto; z-index: 5; background: none;
  border: none !important; box-shadow: none !important; padding: 4px 0; }
"""

# Sets the projector class on <html> before the page draws (no flash), from the URL or the last choice;
# pgSetProjector flips it (the live plots restyle themselves: static/liveplot.js watches the class).
HEAD = """
<script>
(() => {
  const root = document.documentElement;
  window.pgSetProjector = (on, remember = true) => {
    on = !!on;
    root.classList.toggle("%(cls)s", on);
    if (remember) { try { localStorage.setItem("pg-projector", on ? "1" : "0"); } catch (e) {} }
    return on;
  };
  window.pgInitProjector = () => {
    let want = new URLSearchParams(location.search).get("projector");
    if (want === null) { try { want = localStorage.getItem("pg-projector"); } catch (e) {} }
    return window.pgSetProjector(want === "1" || want === "true" || want === "on", false);
  };
  window.pgInitProjector();
})();
</script>
""" % {"cls": PROJECTOR}


def switch() -> gr.Checkbox:
    """The "📽 Projector" checkbox at the top of the page (inside ``gr.Blocks``); the page sets its value
    on load from ``?projector=1`` or the last choice (:func:`on_load`)."""
    box = gr.Checkbox(False, label="📽 Projector", container=False, elem_id="pg-projector")
    box.input(None, box, None, js="(v) => { window.pgSetProjector && window.pgSetProjector(v); return []; }")
    return box


def on_load(blocks: gr.Blocks, box: gr.Checkbox) -> None:
    """After the page is up, the checkbox shows the mode the URL or the last choice asked for."""
    with blocks:
        blocks.load(None, None, box, js="() => (window.pgInitProjector ? window.pgInitProjector() : false)")


def _views(block: Any) -> bool:
    """Whether ``block`` is, or holds, a picture or a plot (a gr.Image, a LivePlot's gr.HTML, a scatter)."""
    if isinstance(block, (gr.Image, gr.Gallery)):
        return True
    classes = getattr(block, "elem_classes", None) or []
    if "pg-liveplot-block" in classes:
        return True
    return any(_views(c) for c in getattr(block, "children", []) or [])


def mark_key(children: Iterable[Any]) -> Any:
    """Give the first of a tab's blocks that shows something (an image or a plot) the class ``pg-keyview``,
    unless the tab marked one itself; returns the key block (or None)."""
    children = list(children)
    for c in children:
        if KEY in (getattr(c, "elem_classes", None) or []):
            return c
    for c in children:
        if _views(c) and not isinstance(c, gr.Tabs):
            c.elem_classes = [*(c.elem_classes or []), KEY]
            return c
    return None
