"""Generative Models Playground, the Gradio half: tabs, forms, figures. Holds no model math."""
from __future__ import annotations

import importlib
import importlib.util

import gradio as gr

from . import captions, display, forms, i18n, keys, lessons, session
from .figures import SCATTER_CSS
from .press import PRESSES
from .liveplot import HEAD  # noqa: F401  (launch(head=HEAD): LivePlot's script, which loads plotly.js)
HEAD = HEAD + keys.HEAD + i18n.HEAD + display.HEAD + captions.HEAD    # presenter shortcuts; English | 中文; 📽 Projector

# The registry of tabs, one line per family, in the order a course meets them: a name is a module
# of playground/tabs/, or else any importable module (a tab that lives elsewhere, e.g. in a test).
TABS = ["ae", "vae", "vaevariants", "vqvae", "gan", "diffusion", "score", "tdvae", "compare"]

CSS = SCATTER_CSS + display.CSS + captions.CSS + """
.image-frame { width: 100%; }
/* a figure's label gets its own line instead of covering the figure's title; an image's label
   floats over a strip of padding instead of over the top row of pictures */
.block:has(.js-plotly-plot) > [data-testid="block-label"].float { position: relative !important;
  top: 0 !important; left: 0 !important; margin-bottom: 4px; }
.image-container:has(.image-frame) { padding-top: 34px; box-sizing: border-box; }
.image-frame img { image-rendering: pixelated; width: 100% !important; height: 100% !important;
  object-fit: contain; max-height: 640px; }
.pg-status { font-size: 16px; }
.pg-equation { font-size: 16px; }
.pg-train button, button.pg-train { font-size: 18px; }
footer { display: none !important; }
"""

HEADER = """# Generative Models Playground
Pick a family, choose data and hyperparameters, press **▶ Train** and watch it learn.
Models train live on the server that runs this page (a CPU is enough), every visitor with runs of their own; **■ Stop** keeps the model for every view."""


def _module(tab: str) -> str:
    ours = f"playground.tabs.{tab}"
    return ours if importlib.util.find_spec(ours) is not None else tab


def available_tabs() -> list[str]:
    return [t for t in TABS if importlib.util.find_spec(_module(t)) is not None]


def build_app(delete_cache: tuple[int, int] | None = (600, 1800)) -> gr.Blocks:
    """The whole app. ``delete_cache``: yielded images are cached files; sweep them (every, older than) s."""
    with gr.Blocks(title="Generative Models Playground", delete_cache=delete_cache) as demo:
        gr.Markdown(HEADER, elem_id="pg-header")
        lang = i18n.switch()
        projector = display.switch()
        panels: dict[str, object] = {}
        with gr.Tabs(selected="vae", elem_id="pg-tabs") as tabs:
            for name in available_tabs():
                mod = importlib.import_module(_module(name))
                tab = name.rsplit(".", 1)[-1]
                with gr.Tab(mod.TITLE, id=tab):
                    panels[tab] = mod.build()
        captions.install(tabs, panels)   # a line under each figure: what it shows
    lessons.wire(demo, tabs, panels)   # ?tab=…&preset=… opens a lesson
    forms.name_errors(demo)       # a bad value names its field and rule, from the page or the API
    i18n.install(demo, lang)      # 简体中文 beside English: visible strings become gr.I18n keys
    display.on_load(demo, projector)   # ?projector=1, or the last choice

    def left(request: gr.Request) -> None:
        _left(demo, request)
    demo.unload(left)
    return demo


def _left(demo: gr.Blocks, request: gr.Request) -> None:
    """A visitor's page closed: free their runs now and drop their session. Gradio 6.31 would keep a closed
    session's gr.State for an hour (STATE_TTL_WHEN_CLOSED) and its copy of the page's 500-odd components
    until 10,000 sessions exist: bench/load.py saw ~31 MB of runs and ~13 MB of config per visitor stay."""
    holder, sid = demo.state_holder, request.session_hash
    if sid is None:
        return
    holder.delete_state(sid)                     # calls session.free for every gr.State of the page
    PRESSES.forget(sid)
    with holder.lock:
        holder.session_data.pop(sid, None)
        holder.time_last_used.pop(sid, None)
    session.trim()
