"""View sliders whose range follows the run: VQ-VAE's "keep the N most used codes" runs to the codebook's K,
TD-VAE's time t to the sequences' last frame, diffusion's t and DDIM steps to T, a "test image #" to the
test set's size.

A tab calls :func:`wire` with its sliders by name and ``limits(run) -> {name: (lo, hi)}``. The ranges are
sent when a press ends or is stopped and when a run is imported: the run's settings are fixed by then. The
value is kept inside the new range (a slider left at its old maximum, 1024 codes, moves to the new one, 64),
which changes no view: a programmatic value change fires neither ``release`` nor ``input``.
"""
from __future__ import annotations

from typing import Any, Callable

import gradio as gr

from trainers.loop import Run

from .session import Session

Limits = Callable[[Run], dict[str, tuple[float, float]]]


def updates(run: Run | None, sliders: dict[str, gr.Slider], limits: Limits, values: list[Any]) -> list[Any]:
    """One update per slider (in order): its range from ``limits(run)`` and its value clamped into it."""
    got = limits(run) if run is not None and run.model is not None else {}
    out = []
    for name, value in zip(sliders, values):
        if name not in got:
            out.append(gr.update())
            continue
        lo, hi = got[name]
        hi = max(lo, hi)
        v = hi if value is None else min(max(value, lo), hi)
        out.append(gr.update(minimum=lo, maximum=hi, value=v))
    return out


def wire(panel: Any, sliders: dict[str, gr.Slider], limits: Limits) -> None:
    """Keep ``sliders``' ranges on the panel's run: after a press, a Stop and an import."""
    comps = list(sliders.values())

    def handler(s: Session | None, *values: Any) -> list[Any]:
        return updates(s.run if s is not None else None, sliders, limits, list(values))

    kw = dict(fn=handler, inputs=[panel.state, *comps], outputs=comps, api_visibility="private",
              show_progress="hidden", queue=False)
    panel.train_event.then(**kw)
    panel.stop_btn.click(**kw)
    if getattr(panel, "import_event", None) is not None:
        panel.import_event.then(**kw)


def image_index(run: Run, shown: int) -> tuple[int, int]:
    """(0, last index) of a "test image #" slider over the first ``shown`` test images."""
    return 0, min(int(run.data.x_test.shape[0]), shown) - 1
