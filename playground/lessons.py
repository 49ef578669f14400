"""Links that open a lesson (issue 15, item 5): ``?tab=diffusion&preset=<name>`` opens the page on that tab
with that teaching preset set (its data and settings in the form, its "what to watch" note shown), so a
teacher can put one link per slide; ``&lang=zh`` picks the language (playground/i18n.py);
``&example=<name>`` loads that trained example; ``&set=…`` (each tab's 🔗 Copy link) carries the tab's data
and settings (playground/examples.py).

Each preset's note carries its own link (relative, so it works on any host): pick a preset, copy the link.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import gradio as gr

from . import examples


def link(family: str, preset: str) -> str:
    """The query that opens ``family``'s tab with ``preset`` set."""
    return f"?tab={quote(family)}&preset={quote(preset)}"


def choose(query: Any, tabs: dict[str, Any]) -> tuple[str | None, str | None]:
    """(tab id, preset name) asked for by the query, each None when absent or unknown.

    ``tabs``: tab id → its Panel (or None for a tab without presets)."""
    tab, preset = query.get("tab"), query.get("preset")
    if tab not in tabs:
        return None, None
    panel = tabs[tab]
    presets = getattr(panel, "presets", None) or {}
    return tab, (preset if preset in presets else None)


def wire(demo: gr.Blocks, tabs_block: gr.Tabs, tabs: dict[str, Any]) -> None:
    """On page load, select the tab and set the preset the URL names (a no-op without a query)."""
    with_presets = {t: p for t, p in tabs.items() if p is not None and getattr(p, "presets", None)}
    with_examples = {t: p for t, p in tabs.items() if getattr(p, "example", None) is not None}
    outputs = [tabs_block, *(p.preset for p in with_presets.values()), *(p.example for p in with_examples.values())]

    def open_lesson(request: gr.Request) -> list[Any]:
        query = getattr(request, "query_params", None) or {}
        tab, preset = choose(query, tabs)
        preset = None if query.get("set") else preset     # a link's own settings win over a preset's
        out: list[Any] = [gr.Tabs(selected=tab) if tab else gr.update()]
        # a preset dropdown that changes runs its .change: the form and the note follow, as if picked
        out += [gr.update(value=preset) if t == tab and preset else gr.update() for t in with_presets]
        example = query.get("example")            # a trained example: its dropdown's change loads it
        out += [gr.update(value=example) if t == tab and example in p.example_names else gr.update()
                for t, p in with_examples.items()]
        return out

    with_forms = {t: p for t, p in tabs.items() if p is not None and getattr(p, "form", None)}

    def open_settings(request: gr.Request) -> list[Any]:    # ?tab=…&set=… (playground/examples.py)
        query = getattr(request, "query_params", None) or {}
        return examples.open_link(query, choose(query, tabs)[0], with_forms)

    with demo:
        demo.load(open_lesson, None, outputs, api_visibility="private", show_progress="hidden", queue=False)
        # queued, so that a refused link's warning reaches the page
        demo.load(open_settings, None, examples.link_outputs(with_forms), api_visibility="private",
                  show_progress="hidden")
