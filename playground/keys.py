"""Sliders that answer the keyboard, and a presenter's shortcuts.

A view control wired with ``panel.on(slider.release, ...)`` listens to the end of a drag only: arrow keys and
typing into the slider's number box change the value but fire no ``release`` until the box loses focus.
:func:`wire` (called by :meth:`Panel.on` for every view control) also hooks the slider's ``input`` event,
which Chromium fires for an arrow key, a typed number and each step of a drag alike, with
``trigger_mode="always_last"``: while a redraw runs, the moves that arrive collapse into the latest one, so
a drag sends a bounded number of requests (one running, one waiting), never one per pixel.

:data:`HEAD` is the page's keyboard script for a presenter: ``t`` trains, ``s`` stops (not Esc: that closes
Gradio's popups), ``.``/``]`` and ``,``/``[`` step the slider last used (else the first visible view slider)
by one step, as an arrow key would. Keys typed into a text or number field, or with Ctrl/Alt/Meta held,
are left alone.
"""
from __future__ import annotations

from typing import Any, Callable

import gradio as gr

KEY_CLASS = "pg-key"          # on every slider that drives a view: the shortcuts step these


def wire(trigger: Any, handler: Callable[..., Any], inputs: list[Any], outputs: list[Any], **kw: Any) -> Any:
    """``trigger(handler, inputs, outputs, **kw)``, and for a slider's ``release`` the same handler on its
    ``input`` too (private: an ``api_name`` stays on the release event alone)."""
    dep = trigger(handler, inputs, outputs, **kw)
    slider = getattr(trigger, "__self__", None)
    if isinstance(slider, gr.Slider) and getattr(trigger, "event_name", None) == "release":
        quiet = {k: v for k, v in kw.items() if k not in ("api_name", "api_visibility", "trigger_mode")}
        quiet.setdefault("show_progress", "hidden")
        slider.input(handler, inputs, outputs, trigger_mode="always_last", api_visibility="private", **quiet)
        classes = slider.elem_classes if isinstance(slider.elem_classes, list) else \
            [slider.elem_classes] if slider.elem_classes else []
        if KEY_CLASS not in classes:
            slider.elem_classes = [*classes, KEY_CLASS]
    return dep


HEAD = """
<script>
(() => {
  let last = null;                                    // the view slider last touched
  const shown = (el) => el && el.offsetParent !== null;
  const typing = (el) => el && (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
    (el.tagName === "INPUT" && !["range", "checkbox", "radio", "button"].includes(el.type)));
  document.addEventListener("focusin", (e) => {
    const block = e.target.closest && e.target.closest(".pg-key");
    if (block) last = block;
  });
  const click = (sel) => {
    const b = [...document.querySelectorAll(sel)].find((x) => shown(x) && !x.disabled);
    if (b) b.click();
    return !!b;
  };
  const step = (dir) => {
    const block = shown(last) ? last : [...document.querySelectorAll(".pg-key")].find(shown);
    const r = block && block.querySelector("input[type=range]");
    if (!r) return false;
    const s = parseFloat(r.step) || 1, lo = parseFloat(r.min), hi = parseFloat(r.max);
    const v = Math.min(hi, Math.max(lo, parseFloat(r.value) + dir * s));
    if (v === parseFloat(r.value)) return true;
    r.value = String(v);
    r.dispatchEvent(new Event("input", { bubbles: true }));   // what an arrow key sends: the view follows
    last = block;
    return true;
  };
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || typing(e.target)) return;
    let done = false;
    if (e.key === "t") done = click("button.pg-train, .pg-train button");
    else if (e.key === "s") done = click("button.pg-stop, .pg-stop button");
    else if (e.key === "." || e.key === "]") done = step(1);
    else if (e.key === "," || e.key === "[") done = step(-1);
    if (done) e.preventDefault();
  });
})();
</script>
"""
