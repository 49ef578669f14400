"""Sliders that answer the keyboard (playground/keys.py): every slider whose release redraws a view also redraws
it on ``input`` (arrow keys, a typed number), with ``trigger_mode="always_last"`` so a drag cannot flood the
server, and without a second API endpoint. The browser half is tests/test_browser_i18n.py."""
from __future__ import annotations

import gradio as gr

from playground import build_app, keys


def _deps(blocks: gr.Blocks, comp: gr.components.Component) -> dict[str, list]:
    out: dict[str, list] = {}
    for fn in blocks.fns.values():
        for block, event in fn.targets:
            if block == comp._id:
                out.setdefault(event, []).append(fn)
    return out


def test_wire_adds_a_quiet_last_only_input_event():
    with gr.Blocks() as demo:
        s, b, out = gr.Slider(0, 10, step=1), gr.Button(), gr.Textbox()
        keys.wire(s.release, lambda v: str(v), [s], [out], api_name="frame", show_progress="hidden")
        keys.wire(b.click, lambda: "x", [], [out])
    release, = _deps(demo, s)["release"]
    inp, = _deps(demo, s)["input"]
    assert release.api_name == "frame"
    assert inp.trigger_mode == "always_last"
    assert inp.api_visibility == "private" and inp.api_name != "frame"
    assert inp.fn is release.fn
    assert keys.KEY_CLASS in s.elem_classes
    assert list(_deps(demo, b)) == ["click"] and keys.KEY_CLASS not in (b.elem_classes or [])


def test_every_view_slider_of_the_app_answers_the_keyboard():
    demo = build_app(delete_cache=None)
    sliders = [c for c in demo.blocks.values() if isinstance(c, gr.Slider)]
    wired = [s for s in sliders if "release" in _deps(demo, s)]
    assert len(wired) >= 15            # VAE traversal/interpolation, AE pairs, diffusion t and frame, VQ, TD-VAE, ...
    for s in wired:
        inputs = _deps(demo, s).get("input", [])
        assert any(fn.trigger_mode == "always_last" for fn in inputs), s.label
        assert keys.KEY_CLASS in s.elem_classes
