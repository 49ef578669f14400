"""Pinned runs: "what did changing β do?" in one glance (issue 14, item 2).

📌 Pin keeps a copy of the run's curves and a grid of its samples. A pinned run's curves stay on the plot
as faint lines under the live run's, and its samples stay in a row under the curves, while the visitor
changes a setting and trains again. A tab keeps up to :data:`MAX_PINS`; they belong to the visitor's
session (they survive new runs and Reset, not the page) and travel in the export zip
(``pins/<n>/metrics.csv``, ``label.txt``, ``samples.png``), so an import brings them back.

Where they live: on the :class:`~playground.session.Session` (``s.pins``), and, for drawing, on the view
state (``view.pins``), which travels with a GPU burst to the process that draws the frames.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainers.history import History

from . import figures

MAX_PINS = 3
MAX_PIN_PIXELS = 1024 * 1024          # a pinned sample grid read back from a zip, at most


@dataclass
class Pin:
    label: str                          # "📌1 · step 3,000 · beta=4"
    history: History                    # a copy: the live run goes on
    image: np.ndarray | None = None     # its samples when pinned (H×W×3 uint8), for image data
    number: int = 0                     # 📌n: counts on past unpinned ones


def _copy(h: History) -> History:
    out = History()
    out.steps = type(h.steps)(h.steps.typecode, h.steps)
    out.terms = {k: type(c)(c.typecode, c) for k, c in h.terms.items()}
    out.epochs = [dict(e) for e in h.epochs]
    return out


def describe(run: Any) -> str:
    """The settings that differ from the defaults, e.g. "beta=4 · latent_dim=2"."""
    try:
        now, base = run.cfg.to_dict(), type(run.cfg)().to_dict()
    except (TypeError, ValueError, AttributeError):
        return ""
    diff = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in now.items()
            if k != "seed" and base.get(k) != v]
    return " · ".join(diff[:4]) or "defaults"


def samples(run: Any, n: int = 16) -> np.ndarray | None:
    """A grid of ``n`` samples for image data (None for 2D points, sequences, or a model without them)."""
    from trainers.base import global_rng
    if len(getattr(run.data, "shape", ())) != 3:
        return None
    try:
        with run.evaluating() as m, global_rng(0):
            x = m.sample(n)
    except (NotImplementedError, AttributeError, TypeError, ValueError, RuntimeError):
        return None
    if not hasattr(x, "dim") or x.dim() != 4:
        return None
    return figures.grid(x.float().cpu(), nrow=8)


def pin(s: Any) -> Pin:
    """Pin the session's run (the oldest pin goes when there are :data:`MAX_PINS`)."""
    run = s.run
    number = max([p.number for p in s.pins], default=0) + 1
    p = Pin(f"📌{number} · step {run.step:,} · {describe(run)}", _copy(run.history), samples(run), number)
    s.pins = (s.pins + [p])[-MAX_PINS:]
    return p


def gallery(pins: list[Pin]) -> list[tuple[np.ndarray, str]]:
    return [(p.image, p.label) for p in pins if p.image is not None]


# ---------------------------------------------------------------- export / import
def add_to_zip(path: str, pins: list[Pin]) -> None:
    """Append the pins to an exported run's zip."""
    from PIL import Image
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        for i, p in enumerate(pins, start=1):
            z.writestr(f"pins/{i}/label.txt", p.label)
            z.writestr(f"pins/{i}/metrics.csv", p.history.to_csv())
            z.writestr(f"pins/{i}/epochs.csv", p.history.epochs_csv())
            if p.image is not None:
                buf = io.BytesIO()
                Image.fromarray(p.image).save(buf, format="PNG")
                z.writestr(f"pins/{i}/samples.png", buf.getvalue())


def read_zip(path: str) -> list[Pin]:
    """The pins of an exported run (none in older exports). Sizes are checked before anything is decoded;
    a malformed pin is left out, never an error: the run itself is what the import is for."""
    from PIL import Image
    from trainers.checkpoint import _parse_history
    out: list[Pin] = []
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        for i in range(1, MAX_PINS + 1):
            base = f"pins/{i}/"
            if base + "metrics.csv" not in names:
                continue
            try:
                if any(z.getinfo(base + f).file_size > 32 * 2**20 for f in ("metrics.csv", "epochs.csv")
                       if base + f in names):
                    continue
                label = z.read(base + "label.txt").decode("utf-8")[:200] if base + "label.txt" in names else f"📌{i}"
                epochs = z.read(base + "epochs.csv") if base + "epochs.csv" in names else b""
                history = _parse_history(z.read(base + "metrics.csv"), epochs)
                image = None
                if base + "samples.png" in names and z.getinfo(base + "samples.png").file_size < 4 * 2**20:
                    with Image.open(io.BytesIO(z.read(base + "samples.png"))) as im:
                        if im.format == "PNG" and im.width * im.height <= MAX_PIN_PIXELS:
                            image = np.asarray(im.convert("RGB"))
                out.append(Pin(label, history, image, i))
            except (ValueError, KeyError, OSError, UnicodeDecodeError, zipfile.BadZipFile, Image.DecompressionBombError):
                continue
    return out


# ---------------------------------------------------------------- the panel's part
def build_buttons(panel: Any) -> None:
    import gradio as gr
    with gr.Row():
        panel.pin_btn = gr.Button("📌 Pin this run", size="sm", elem_classes=["pg-pin"])
        panel.unpin_btn = gr.Button("Unpin all", size="sm", elem_classes=["pg-unpin"])


def build_gallery(panel: Any) -> None:
    import gradio as gr
    panel.pinned = gr.Gallery(label="Pinned runs: their samples when pinned (their curves are the faint lines)",
                              visible=False, columns=MAX_PINS, height=260, object_fit="contain", format="png",
                              interactive=False, elem_classes=["pg-pinned"])


def gallery_update(pins: list[Pin]) -> Any:
    import gradio as gr
    items = gallery(pins)
    return gr.update(value=items or None, visible=bool(items))


def wire(panel: Any) -> None:
    """📌 Pin / Unpin all (``/<family>_pin``, ``/<family>_unpin``), and the gallery after an import."""
    import gradio as gr

    def redraw(s: Any) -> dict[Any, Any]:
        out = {panel.state: s, panel.pinned: gallery_update(s.pins)}
        if s.run is not None and s.run.model is not None:
            s.view.pins = s.pins
            named = panel.named(s.run, s.view, "")
            out[panel.curves] = panel.components({"__curves__": named["__curves__"]})[panel.curves]
        return out

    def do_pin(s: Any) -> dict[Any, Any]:
        if s is None or s.run is None or s.run.model is None:
            raise gr.Error("Train a model first: there is no run to pin.")
        pin(s)
        return redraw(s)

    def unpin(s: Any) -> dict[Any, Any]:
        if s is None:
            return {panel.pinned: gallery_update([])}
        s.pins = []
        return redraw(s)

    outs = [panel.state, panel.curves, panel.pinned]
    panel.pin_btn.click(do_pin, panel.state, outs, api_name=f"{panel.family}_pin", show_progress="hidden")
    panel.unpin_btn.click(unpin, panel.state, outs, api_name=f"{panel.family}_unpin", show_progress="hidden")
    return None
