"""A teaching preset's note stops claiming to describe the run once a setting is changed away from it.

A preset sets the data and the settings form and shows "What to watch: …" measured with exactly those
settings. When the visitor then changes the data or a setting to something the preset did not set, the note
is replaced by :data:`CHANGED` and the preset menu goes back to "—" (so choosing the preset again restores
it). Only the visitor's own edits count: this listens to ``.input``, which a preset's (or an import's)
programmatic update of the form does not fire; setting a value back to the preset's changes nothing.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr

NONE = "—"
CHANGED = ("✏️ *You changed a setting the preset had set, so its note no longer describes this run. "
           "Choose the preset again to restore its settings.*")


def differs(config_cls: type, preset: tuple[str, dict[str, Any], str], names: list[str], data: str,
            values: list[Any]) -> list[str]:
    """The fields (and "data") whose value is not what the preset set (its overrides over the defaults)."""
    data_name, overrides, _ = preset
    defaults = {f.name: f.default for f in dataclasses.fields(config_cls)}
    out = ["data"] if data != data_name else []
    for name, v in zip(names, values):
        want = overrides.get(name, defaults[name])
        numbers = isinstance(want, (int, float)) and isinstance(v, (int, float)) and not isinstance(want, bool)
        same = v == want or (numbers and abs(float(v) - float(want)) <= 1e-9 * max(1.0, abs(want)))
        if not same:
            out.append(name)
    return out


def wire(panel: Any) -> None:
    """On the visitor's edit of the data or any setting: the note and the menu leave a preset no longer in force."""
    if not panel.presets:
        return
    names = list(panel.form)
    comps = [panel.data, *panel.form.values()]

    def edited(preset: str, data: str, *values: Any) -> tuple[Any, Any]:
        if preset not in panel.presets or not differs(panel.config_cls, panel.presets[preset], names, data,
                                                      list(values)):
            return gr.skip(), gr.skip()
        return CHANGED, NONE

    gr.on([c.input for c in comps if hasattr(c, "input")], edited, [panel.preset, *comps],
          [panel.preset_note, panel.preset], api_visibility="private", show_progress="hidden", queue=False)
