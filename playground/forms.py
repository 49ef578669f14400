"""Config dataclass ⇄ Gradio components: one form per family, generated from the fields' metadata."""
from __future__ import annotations

import dataclasses
import math
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


# ----------------------------------------------------------------------------- errors that name the field
def _label(comp: Any) -> str:
    from .i18n import english       # the page may show the label in Chinese: the message names it in English
    return str(english(comp.label) or comp.elem_id or "this value").replace(" ⟳", "").strip()


def _num(x: float | None) -> str:
    return "∞" if x is None else f"{x:g}"


def _number_preprocess(self: Any, payload: Any) -> Any:
    """Slider and Number: a wrong type or range is refused with the field's name and rule (Gradio's own
    check says "Value -1e+30 is less than minimum value 16", or fails with a bare "Error" on a string)."""
    label, lo, hi = _label(self), self.minimum, self.maximum
    rule = f"a number from {_num(lo)} to {_num(hi)}" if lo is not None or hi is not None else "a number"
    if payload is None:
        if isinstance(self, gr.Number):
            return None              # read_form says which value is missing
        raise gr.Error(f"{label} must be {rule}; got nothing.")
    try:
        if isinstance(payload, (bool, list, dict, tuple)):
            raise TypeError
        num = float(payload)
    except (TypeError, ValueError):
        raise gr.Error(f"{label} must be {rule}; got {str(payload)[:80]!r}.") from None
    if not math.isfinite(num) or (lo is not None and num < lo) or (hi is not None and num > hi):
        raise gr.Error(f"{label} must be {rule}; got {num:g}.")
    return type(self).__mro__[1].preprocess(self, num)


def _choice_preprocess(self: Any, payload: Any) -> Any:
    """Radio and Dropdown: a value outside the choices is refused with the field's name and the choices."""
    if payload is not None:
        values = [v for _, v in self.choices]
        many = getattr(self, "multiselect", False) and isinstance(payload, list)
        for v in payload if many else [payload]:
            if not any(type(v) is type(c) and v == c for c in values):
                shown = ", ".join(repr(c) for c in values[:12]) + (", …" if len(values) > 12 else "")
                raise gr.Error(f"{_label(self)} must be one of {shown}; got {str(v)[:80]!r}.")
    return type(self).__mro__[1].preprocess(self, payload)


def _bool_preprocess(self: Any, payload: Any) -> Any:
    """Checkbox: true or false (Gradio passes anything through; a string would read as true)."""
    if payload is None or isinstance(payload, bool) or (isinstance(payload, int) and payload in (0, 1)):
        return None if payload is None else bool(payload)
    raise gr.Error(f"{_label(self)} must be true or false; got {str(payload)[:80]!r}.")


_NAMED: dict[type, type] = {}


def name_errors(blocks: gr.Blocks) -> int:
    """Give every slider, number, radio, dropdown and checkbox of the app errors that name the field and rule,
    for values from the page and from the API alike (the class keeps its name: the page renders it as
    before). Returns how many components it changed."""
    n = 0
    for comp in list(blocks.blocks.values()):
        cls = type(comp)
        if cls in _NAMED.values():
            continue
        check = _number_preprocess if isinstance(comp, (gr.Slider, gr.Number)) else \
            _choice_preprocess if isinstance(comp, (gr.Radio, gr.Dropdown)) else \
            _bool_preprocess if isinstance(comp, gr.Checkbox) else None
        if check is None:
            continue
        if cls not in _NAMED:       # a subclass of the same name: the page draws it as before
            _NAMED[cls] = type(cls.__name__, (cls,), {"__module__": cls.__module__, "preprocess": check})
        comp.__class__ = _NAMED[cls]
        n += 1
    return n
