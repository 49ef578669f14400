"""LivePlot: a drop-in for ``gr.Plot`` whose page memory stays flat while training streams.

Gradio 6.31's ``gr.Plot`` builds a new Plotly div on every update and never frees the old one: a 90 s
VAE press took the page from 19 MB of JS heap / 4k DOM nodes to 335 MB / 450k nodes (issue #16, item 10).
A LivePlot is a visually hidden textbox that the server fills with the figure's JSON, plus a ``gr.HTML``
holding one fixed div that a JS-only ``.change`` redraws in place with ``Plotly.react``
(static/liveplot.js). Handlers keep returning figures (``figures.fig`` PlotData, ``go.Figure``, a dict
or None); ``gr.update(visible=...)`` shows and hides the plot's block (see :meth:`LivePlot.fold`): the
gr.HTML itself stays visible for Gradio (an invisible one would never mount), the page hides it.

Plotly itself is the ``plotly.min.js`` shipped in the python plotly package, served as a static file
(Gradio loads its own plotly only for a gr.Plot). ``HEAD`` loads static/liveplot.js, which fetches
plotly.js when the first figure arrives: launch with ``head=HEAD`` (app.py does); each plot's gr.HTML
also asks for the script (Gradio loads a src once), so an app launched without it still draws.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import gradio as gr
import plotly
from gradio.components.plot import PlotData
from gradio.context import Context

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
LIVE_JS = Path(__file__).resolve().parent / "static" / "liveplot.js"
HIDDEN = "hidden"       # the value that hides a plot's block (None or "" clear it)

gr.set_static_paths([PLOTLY_JS, LIVE_JS])


def _url(path: Path) -> str:
    return f"gradio_api/file={path.as_posix()}"       # relative: works under a proxy's root path too


# plotly.js (4.6 MB) is fetched when the first figure arrives, not with the page: parsing it at load held a
# busy page's main thread for seconds (the first click on a tab waited 20 s instead of 7 s on a loaded box)
HEAD = f'<script src="{_url(LIVE_JS)}" data-plotly="{_url(PLOTLY_JS)}"></script>'

_keys = itertools.count()


def _shim(call: str, *args: str) -> str:
    """JS that calls pgLive.<call>(...) once static/liveplot.js has loaded, or queues the call until it has."""
    a, q = ", ".join(args), f"q_{call}"
    return (f"const L = (window.pgLive = window.pgLive || {{}}); "
            f"L.{call} ? L.{call}({a}) : (L.{q} = L.{q} || []).push([{a}]);")


class LivePlot(gr.Textbox):
    """Takes what ``gr.Plot`` takes here (label, show_label, visible, elem_classes, height, scale,
    min_width); built inside a Blocks, it first places the gr.HTML with the plot's div, then itself
    (hidden), and wires the JS-only redraw. Gradio re-creates a component for every update it sends
    (``render=False``, outside any Blocks): those copies only postprocess."""

    JS_CALL = "set"                 # pgLive.set(id, json) redraws the plot

    def get_block_name(self) -> str:      # the frontend draws it (hidden) as a textbox; so does gr.load
        return "textbox"

    def get_block_class(self) -> str:
        return "textbox"

    def __init__(self, value: Any = None, *, label: str | None = None, show_label: bool | None = None,
                 visible: bool | str = True, elem_classes: list[str] | str | None = None,
                 elem_id: str | None = None, height: int | None = None, scale: int | None = None,
                 min_width: int = 160, min_height: int | None = None, render: bool = True, **kwargs: Any) -> None:
        self.shown = visible is True
        self.plot_html: gr.HTML | None = None
        self.plot_id = elem_id
        if render and Context.block is not None:
            self.plot_id = elem_id or f"pg-live-{next(_keys)}"
            classes = [elem_classes] if isinstance(elem_classes, str) else list(elem_classes or [])
            height = height or min_height
            style = f' style="min-height: {int(height)}px"' if height else ""
            classes = ["pg-liveplot-block", *classes, *([] if self.shown else ["pg-liveplot-off"])]
            key = json.dumps(self.plot_id)
            self.plot_html = gr.HTML(
                f'<div class="pg-liveplot"{style}></div>', label=label, show_label=show_label is not False,
                elem_id=self.plot_id, elem_classes=classes, container=True, scale=scale, min_width=min_width,
                head=HEAD, js_on_load=_shim("mount", key, "element"))
        super().__init__(value=value, label=label, show_label=False, visible="hidden", render=render,
                         elem_classes=["pg-liveplot-src"], interactive=False, container=False, **kwargs)
        if self.plot_html is not None:
            self.change(None, self, None, js=f"(v) => {{ {_shim(self.JS_CALL, key, 'v')} return []; }}",
                        api_visibility="private", queue=False, show_progress="hidden")

    def preprocess(self, payload: str | None) -> str | None:
        return payload

    def postprocess(self, value: Any) -> str | None:
        """A figure (``figures.fig``'s PlotData, a ``go.Figure``, a figure dict or its JSON) -> its JSON;
        None -> None (clears the plot); on a hidden plot, ``HIDDEN``."""
        if not self.shown:
            return HIDDEN
        if value is None or value == "":
            return None
        if isinstance(value, PlotData):
            return value.plot
        if isinstance(value, str):
            return value
        if hasattr(value, "to_json"):          # plotly.graph_objects.Figure
            return value.to_json()
        if isinstance(value, dict):
            return value["plot"] if isinstance(value.get("plot"), str) else json.dumps(value)
        raise TypeError(f"LivePlot takes a plotly figure, a figure dict or None, not {type(value).__name__}")

    @staticmethod
    def fold(update: dict) -> dict:
        """An update that only shows or hides the plot carries a value too, so the page hears of it: the
        hidden textbox's own visibility never changes, only its value does (see :meth:`postprocess`)."""
        if "visible" in update and "value" not in update:
            return {**update, "value": None}
        return update

