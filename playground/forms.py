"""Config dataclass ⇄ Gradio components: one form per family, generated from the fields' metadata."""
from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr


def build_form(config_cls: type, values: dict[str, Any] | None = None,
               exclude: tuple[str, ...] = ()) -> dict[str, gr.components.Component]:
    """One component per config field; advanced ones in an accordion. The dict is in the Config's
    declaration order (the train endpoint's parameter order), whatever the layout."""
    values = values or {}
    comps: dict[str, gr.components.Component] = {}
    fields = [f for f in dataclasses.fields(config_cls) if f.name not in exclude]
    basic = [f for f in fields if not f.metadata.get("advanced")]
    advanced = [f for f in fields if f.metadata.get("advanced")]
    for f in basic:
        comps[f.name] = _component(f, values.get(f.name, f.default))
    if advanced:
        with gr.Accordion("Advanced settings", open=False):
            for f in advanced:
                comps[f.name] = _component(f, values.get(f.name, f.default))
    return {f.name: comps[f.name] for f in fields}


def _component(f: dataclasses.Field, value: Any) -> gr.components.Component:
    m = f.metadata
    label = m.get("label") or f.name.replace("_", " ")
    if m.get("live"):
        label += " ⟳"        # changes apply to the running model at the next Train press
    info = m.get("help")
    if m.get("choices"):
        choices = list(m["choices"])
        if len(choices) <= 3 and all(len(str(c)) <= 12 for c in choices):
            return gr.Radio(choices, value=value, label=label, info=info)
        return gr.Dropdown(choices, value=value, label=label, info=info)
    if isinstance(f.default, bool):
        return gr.Checkbox(value=value, label=label, info=info)
    lo, hi = m.get("lo"), m.get("hi")
    if lo is not None and hi is not None and not m.get("log") and hi - lo <= 100_000:
        step = m.get("step") or (1 if isinstance(f.default, int) else (hi - lo) / 100)
        return gr.Slider(lo, hi, value=value, step=step, label=label, info=info)
    return gr.Number(value=value, minimum=lo, maximum=hi, label=label, info=info,
                     precision=0 if isinstance(f.default, int) and not isinstance(f.default, bool) else None)


def read_form(config_cls: type, names: list[str], values: list[Any], fixed: dict[str, Any] | None = None):
    """Build and validate a Config from the form's values (raises ValueError with a clear sentence)."""
    kw = dict(fixed or {})
    for name, v in zip(names, values):
        if v is None:
            raise ValueError(f"Please give a value for {name.replace('_', ' ')}.")
        kw[name] = v
    return config_cls(**kw)


def form_updates(config_cls: type, names: list[str], overrides: dict[str, Any]) -> list[Any]:
    """Values to set on the form's components for a preset (defaults for fields it doesn't name)."""
    defaults = {f.name: f.default for f in dataclasses.fields(config_cls)}
    return [overrides.get(n, defaults[n]) for n in names]
