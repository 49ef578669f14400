"""The generic half of every family tab: data, settings form, Train/Stop/Reset, live curves,
status, the equation being trained, presets, and export/import of a run.

A family tab builds a :class:`Panel`, lays out its own views beside it, and calls :meth:`Panel.wire`
with a ``render(run) -> list`` that fills those views; the panel streams them while training.
"""
from __future__ import annotations

import functools
import inspect
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import gradio as gr

from trainers.data import DataError, Dataset, from_upload, load
from trainers.loop import Run

from . import figures, forms, runs

UPLOAD = "my images (.zip / .npz)"


def _default_loader(name: str, upload: str | None) -> Dataset:
    if name == UPLOAD:
        if not upload:
            raise DataError("Choose a .zip of PNG/JPG images or an .npz file to upload first.")
        return from_upload(upload)
    return load(name)


class Panel:
    def __init__(self, family: str, config_cls: type, *, datasets: list[str], equation: str,
                 curve_groups: list[list[str]], curve_titles: list[str] | None = None,
                 load_data: Callable[..., Dataset] = _default_loader,
                 upload_choice: str | None = UPLOAD, upload_types: list[str] | None = None,
                 presets: dict[str, tuple[str, dict[str, Any], str]] | None = None,
                 default_steps: int = 3000, exclude: tuple[str, ...] = ()) -> None:
        self.family, self.config_cls = family, config_cls
        self.datasets = list(datasets) + ([upload_choice] if upload_choice else [])
        self.upload_choice = upload_choice
        self.upload_types = upload_types or [".zip", ".npz"]
        self.equation = equation
        self.curve_groups, self.curve_titles = curve_groups, curve_titles
        self.load_data = load_data
        self.presets = presets or {}
        self.default_steps = default_steps
        self.exclude = exclude
        self.views: list[gr.components.Component] = []

    # ------------------------------------------------------------------ layout
    def build_controls(self) -> None:
        """The left column: call inside a ``gr.Column``."""
        self.state = gr.State(None, time_to_live=runs.STATE_TTL, delete_callback=runs.free_run)
        with gr.Row():
            self.train_btn = gr.Button("▶ Train", variant="primary", elem_classes=["pg-train"])
            self.stop_btn = gr.Button("■ Stop", variant="stop", elem_classes=["pg-stop"])
            self.reset_btn = gr.Button("↺ Reset", elem_classes=["pg-reset"])
        self.status = gr.Markdown("Press **▶ Train** to start.", elem_classes=["pg-status"])
        if self.presets:
            with gr.Group():
                self.preset = gr.Dropdown(["—"] + list(self.presets), value="—", label="Teaching presets",
                                          info="Sets data and hyperparameters to show one phenomenon.")
                self.preset_note = gr.Markdown("")
        self.data = gr.Dropdown(self.datasets, value=self.datasets[0], label="Data")
        self.upload = gr.File(label="Your data", file_types=self.upload_types, visible=False, type="filepath")
        self.steps = gr.Slider(1, 100_000, value=self.default_steps, step=10, label="Steps per Train press")
        self.form = forms.build_form(self.config_cls, exclude=self.exclude)
        with gr.Accordion("Export / import the run", open=False):
            self.export_btn = gr.Button("Export weights + config + metrics")
            self.export_file = gr.File(label="Run (.zip: safetensors, config.json, metrics.csv)", interactive=False)
            self.import_file = gr.File(label="Import a run (.zip exported here)", file_types=[".zip"], type="filepath")

    def build_curves(self) -> gr.Plot:
        """The top of the right column: the equation being trained, then the live loss curves."""
        with gr.Accordion("The equation it trains", open=True):
            gr.Markdown(self.equation, latex_delimiters=[{"left": "$$", "right": "$$", "display": True},
                                                         {"left": "$", "right": "$", "display": False}],
                        elem_classes=["pg-equation"])
        self.curves = gr.Plot(label="Loss terms: lines per step, dots per epoch", elem_classes=["pg-curves"],
                              show_label=False)
        return self.curves

    # ------------------------------------------------------------------ events
    def wire(self, views: list[gr.components.Component], render: Callable[[Run], list[Any]]) -> None:
        self.views, self._render = list(views), render
        names = list(self.form)
        outs = [self.status, self.curves, *self.views]
        if self.upload_choice:
            self.data.change(lambda d: gr.update(visible=d == self.upload_choice), self.data, self.upload,
                             api_visibility="private")
        self.train_event = self.train_btn.click(
            self._train_handler(names), [self.state, self.data, self.upload, self.steps, *self.form.values()],
            [self.state, *outs], concurrency_limit=runs.TRAIN_SLOTS, concurrency_id="train",
            api_name=f"{self.family}_train", show_progress="hidden")    # the status line says "training…"
        self.stop_btn.click(None, None, None, cancels=[self.train_event], api_visibility="private").then(
            self.refresh, self.state, outs, api_visibility="private", show_progress="hidden")
        self.reset_btn.click(self._reset, None, [self.state, *outs], cancels=[self.train_event],
                             api_name=f"{self.family}_reset")
        self.export_btn.click(self._export, self.state, self.export_file, api_name=f"{self.family}_export")
        self.import_file.upload(self._import, [self.state, self.data, self.upload, self.import_file],
                                [self.state, *outs], api_name=f"{self.family}_import")
        if self.presets:
            self.preset.change(self._preset, self.preset, [self.preset_note, self.data, *self.form.values()],
                               api_visibility="private")

    def _train_handler(self, names: list[str]) -> Callable[..., Any]:
        """A generator whose signature names every setting, so the API reads `beta=`, not `param_4=`."""
        def train(*args: Any):
            yield from self._train(names, *args)
        params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                  for n in ["run", "data", "upload", "steps", *names]]
        train.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        return train

    def view(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a view handler ``fn(run, *args)``: no run yet or a bad value -> a clear message."""
        @functools.wraps(fn)
        def handler(run: Run | None, *args: Any) -> Any:
            if run is None or run.model is None:
                raise gr.Error("Train a model first: press ▶ Train.")
            try:
                return fn(run, *args)
            except (ValueError, DataError) as e:
                raise gr.Error(str(e)) from None
        return handler

    def refresh(self, run: Run | None) -> list[Any]:
        if run is None or run.model is None:
            return [gr.skip()] * (2 + len(self.views))
        return [self._status(run, None, "stopped: press **Train** to continue."), *self._render_all(run)]

    # ------------------------------------------------------------------ handlers
    def _render_all(self, run: Run) -> list[Any]:
        curves = figures.curves(run.history, self.curve_groups, self.curve_titles)
        return [curves, *self._render(run)]

    def _status(self, run: Run, timing: runs.Timing | None, message: str) -> str:
        share = f" · drawing {100 * timing.render_share:.0f}% of the time" if timing else ""
        return (f"**{run.device.type}** · step {run.step:,} · epoch {run.epoch + run._pos / max(1, len(run.data)):.1f}"
                f" · {run.steps_per_s:,.0f} steps/s{share}  \n{message}")

    def _train(self, names: list[str], run: Run | None, data_name: str, upload: str | None, steps: float,
               *values: Any):
        try:
            steps = int(steps)
            if not 1 <= steps <= 100_000:
                raise ValueError(f"Steps per Train press must be between 1 and 100,000; got {steps}.")
            cfg = forms.read_form(self.config_cls, names, list(values))
            run, note = self._prepare(run, cfg, data_name, upload)
        except (ValueError, DataError, TypeError) as e:
            raise gr.Error(str(e)) from None
        yield [run, self._status(run, None, note), *([gr.skip()] * (1 + len(self.views)))]
        for outs in runs.stream(run, steps, self._render_all, self._status):
            yield [gr.skip(), *outs]

    def _prepare(self, run: Run | None, cfg: Any, data_name: str, upload: str | None) -> tuple[Run, str]:
        """Continue the current run if only live settings changed; otherwise start a new one."""
        if data_name not in self.datasets:
            raise ValueError(f"Unknown data {data_name!r}; choose one of: {', '.join(self.datasets)}.")
        key = (data_name, upload if data_name == self.upload_choice else None)
        if run is not None and run.model is not None and run.ui.get("data_key") == key:
            live, other = run.live_changes(cfg)
            if not other:
                if live:
                    run.update_config(cfg)
                    return run, f"continuing; now using {', '.join(live)} from the form."
                return run, "continuing where it stopped."
            note = f"new run (changed: {', '.join(other)})."
        else:
            note = "new run." if run is None else "new run (new data)."
        t0 = time.perf_counter()
        data = self._load(data_name, upload, cfg)
        run = Run(self.family, cfg, data, device=os.environ.get("PLAYGROUND_DEVICE", "auto"))
        run.ui["data_key"] = key
        return run, f"{note} {data.note} (ready in {time.perf_counter() - t0:.1f} s)"

    def _load(self, data_name: str, upload: str | None, cfg: Any) -> Dataset:
        """``load_data(name, upload)``, or ``load_data(name, upload, cfg)`` for data shaped by the settings."""
        if len(inspect.signature(self.load_data).parameters) >= 3:
            return self.load_data(data_name, upload, cfg)
        return self.load_data(data_name, upload)

    def _reset(self):
        return [None, "Reset: press **Train** to start a new run.", None, *([None] * len(self.views))]

    def _export(self, run: Run | None) -> str:
        if run is None or run.model is None:
            raise gr.Error("Nothing to export yet: train a model first.")
        from trainers import checkpoint
        with run.lock:
            blob = checkpoint.save(run)
        path = Path(tempfile.mkdtemp(prefix="run-")) / checkpoint.filename(run)
        path.write_bytes(blob)
        return str(path)

    def _import(self, run: Run | None, data_name: str, upload: str | None, path: str | None):
        if not path:
            raise gr.Error("Choose a .zip exported from this playground.")
        from trainers import checkpoint
        try:
            data = self._load(data_name, upload, None) if data_name == self.upload_choice else None
            new = checkpoint.load(path, data=data, device=os.environ.get("PLAYGROUND_DEVICE", "auto"))
        except (ValueError, DataError) as e:
            raise gr.Error(str(e)) from None
        if new.family != self.family:
            raise gr.Error(f"That file holds a {new.family} run; open it in the {new.family} tab.")
        new.ui["data_key"] = (new.data.name, None) if not new.data.name.startswith("upload:") else \
            (data_name, upload)
        return [new, self._status(new, None, f"imported a run at step {new.step}: press **Train** to continue."),
                *self._render_all(new)]

    def _preset(self, name: str):
        if name not in self.presets:
            return [gr.skip()] * (2 + len(self.form))
        data_name, overrides, explanation = self.presets[name]
        values = forms.form_updates(self.config_cls, list(self.form), overrides)
        return [f"**What to watch:** {explanation}", data_name, *values]
