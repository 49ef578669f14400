"""The generic half of every family tab: the two-column layout, data, settings form, Train/Stop/Reset,
live curves, status, the equation being trained, presets, export/import, and the streaming of views.

A family tab builds a :class:`Panel`, lays out its views inside ``with panel.layout():``, and calls
:meth:`Panel.wire` with its views **keyed by name** and ``render(run, view) -> {name: value}``; the panel
streams them while training. Extra controls use :meth:`Panel.on` with handlers ``fn(run, view, *inputs)``
that return ``{name: value}`` too. See CONTRIBUTING.md.
"""
from __future__ import annotations

import inspect
import math
import os
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import gradio as gr

from trainers.data import DataError, Dataset, from_upload, load
from trainers.loop import Run

from . import bursts, display, examples, exports, figures, forms, keys, latent, lessons, pins, quality_live, session, zerogpu
from . import press as press_mod
from . import presetnote
from .liveplot import LivePlot
from .press import CURVES, PRESSES, QUIET_WAIT, STATUS, Press
from .session import Session, Timing

UPLOAD = "my images (.zip / .npz)"
WAITING = ("⏳ waiting for a free training slot: other visitors are training (the queue's place shows "
           "here); it starts by itself.")
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]

Render = Callable[[Run, Any], dict[str, Any]]


def as_update(value: Any, to: Any = None) -> Any:
    """Views and curves always go out as update dicts. In Gradio 6.31 an output that gets an update (an
    omitted key, ``gr.skip()``, ``gr.update``) and later a *plain* value leaves a new component in the
    session each time (+1 per cycle, ~1 MB/s while streaming, kept for the session's life); updates
    followed by updates do not (tests/test_streaming.py reproduces both). The status line is in every
    yield of a press, never omitted, so it stays a plain string. ``to``: the output; a LivePlot's show/hide
    update also carries a value (see LivePlot.fold)."""
    update = value if isinstance(value, dict) and value.get("__type__") == "update" else gr.update(value=value)
    return LivePlot.fold(update) if isinstance(to, LivePlot) else update


def _default_loader(name: str, upload: str | None) -> Dataset:
    if name == UPLOAD:
        if not upload:
            raise DataError("Choose a .zip of PNG/JPG images or an .npz file to upload first.")
        return from_upload(upload, cancel=session.should_stop)     # Stop ends a long decode
    return load(name)


class Panel:
    def __init__(self, family: str, config_cls: type, *, datasets: list[str], equation: str,
                 curve_groups: list[list[str]], curve_titles: list[str] | None = None,
                 load_data: Callable[..., Dataset] = _default_loader,
                 upload_choice: str | None = UPLOAD, upload_types: list[str] | None = None,
                 presets: dict[str, tuple[str, dict[str, Any], str]] | None = None,
                 default_steps: int = 3000, exclude: tuple[str, ...] = (),
                 view_state: type = session.NoView,
                 equation_for: tuple[Callable[..., str], list[str]] | None = None) -> None:
        """``view_state``: the tab's view-state dataclass (a fresh one per run). ``equation_for``:
        ``(fn, [field, ...])``, a second equation above the curves that follows those settings."""
        self.family, self.config_cls = family, config_cls
        self.datasets = list(datasets) + ([upload_choice] if upload_choice else [])
        self.upload_choice = upload_choice
        self.upload_types = upload_types or [".zip", ".npz"]
        self.equation, self.equation_for = equation, equation_for
        self.curve_groups, self.curve_titles = curve_groups, curve_titles
        self.load_data = load_data
        self.presets = presets or {}
        self.default_steps = default_steps
        self.exclude = exclude
        self.view_state, self.extras = view_state, {}    # extras: name → component, Train inputs set on the view
        self.views: dict[str, gr.components.Component] = {}
        self._render: Render = lambda run, view: {}

    # ------------------------------------------------------------------ layout
    @contextmanager
    def layout(self, curves: str = "top") -> Iterator[None]:
        """The tab's skeleton: controls on the left (``panel.left`` takes more later), the equation and
        the curves on the right, then whatever the tab builds inside the ``with`` (or above the curves
        when ``curves="bottom"``)."""
        with gr.Row():
            with gr.Column(scale=1, min_width=340, elem_classes=[display.LEFT]) as self.left:
                self.build_controls()
            with gr.Column(scale=3, elem_classes=[display.RIGHT]) as self.right:
                if curves == "top":
                    self.build_curves()
                n = len(self.right.children)
                yield
                display.mark_key(self.right.children[n:])       # beside the curves in the presenter layout
                if curves == "bottom":
                    self.build_curves()

    def build_controls(self) -> None:
        self.state = gr.State(None, time_to_live=session.STATE_TTL, delete_callback=session.free)
        with gr.Row():
            self.train_btn = gr.Button("▶ Train", variant="primary", elem_classes=["pg-train"])
            self.stop_btn = gr.Button("■ Stop", variant="stop", elem_classes=["pg-stop"])
            self.reset_btn = gr.Button("↺ Reset", elem_classes=["pg-reset"])
        pins.build_buttons(self)
        self.status = gr.Markdown("Press **▶ Train** to start.", elem_classes=["pg-status"])
        if self.presets:
            with gr.Group():
                self.preset = gr.Dropdown(["—"] + list(self.presets), value="—", label="Teaching presets",
                                          info="Sets data and hyperparameters to show one phenomenon.")
                self.preset_note = gr.Markdown("")
        examples.build(self)          # "Start from a trained example"; 🔗 Copy link
        self.data = gr.Dropdown(self.datasets, value=self.datasets[0], label="Data")
        self.upload = gr.File(label="Your data", file_types=self.upload_types, visible=False, type="filepath")
        self.steps = gr.Slider(1, 100_000, value=self.default_steps, step=10, label="Steps per Train press")
        self.form = forms.build_form(self.config_cls, exclude=self.exclude)
        with gr.Accordion("Export / import the run", open=False):
            self.export_btn = gr.Button("Export weights + config + metrics")
            self.export_file = gr.File(label="Run (.zip: safetensors, config.json, metrics.csv)", interactive=False)
            self.import_file = gr.File(label="Import a run (.zip exported here)", file_types=[".zip"], type="filepath")

    def build_curves(self) -> None:
        with gr.Accordion("The equation it trains", open=True):
            gr.Markdown(self.equation, latex_delimiters=LATEX, elem_classes=["pg-equation"])
        self.equation_now = None
        if self.equation_for:
            fn, fields = self.equation_for
            default = self.config_cls()
            self.equation_now = gr.Markdown(fn(*[getattr(default, f) for f in fields]), latex_delimiters=LATEX,
                                            elem_classes=["pg-equation"])
        self.curves = LivePlot(label="Loss terms: lines per step, dots per epoch", elem_classes=["pg-curves"],
                               show_label=False)
        pins.build_gallery(self)

    # ------------------------------------------------------------------ events
    def wire(self, views: dict[str, gr.components.Component], render: Render) -> None:
        """Stream ``render(run, view) -> {name: value}`` into ``views`` while training, and hook up the
        panel's own buttons. The train endpoint takes data, steps, every setting in the Config's
        declaration order, then the optional upload."""
        self.views, self._render = dict(views), render
        bursts.PANELS[self.family] = self             # a GPU burst (a forked child) finds the tab here
        outs = [self.status, self.curves, *self.views.values()]
        fields = list(self.form)
        if self.upload_choice:
            self.data.change(lambda d: gr.update(visible=d == self.upload_choice), self.data, self.upload,
                             api_visibility="private")
        # Train is greyed out while its press runs (a second press would queue a whole second run);
        # the end of the press, Stop and Reset bring it back
        enable = dict(fn=lambda: gr.update(interactive=True), inputs=None, outputs=self.train_btn,
                      api_visibility="private", show_progress="hidden", queue=False)
        self.train_event = self.train_btn.click(
            lambda: (gr.update(interactive=False), WAITING), None, [self.train_btn, self.status],
            api_visibility="private", show_progress="hidden", queue=False).then(
            self._train_handler(fields), [self.state, self.data, self.steps, *self.form.values(), self.upload,
                                  *self.extras.values()],
            [self.state, *outs], concurrency_limit=session.TRAIN_SLOTS, concurrency_id="train",
            api_name=f"{self.family}_train",
            # a queued visitor sees Gradio's "queue: 2/3" on the status line (and nowhere else); once the
            # press runs, the status line itself says "step k of N · ~t s left"
            show_progress="full", show_progress_on=[self.status])
        self.train_event.then(**enable)
        self.stop_btn.click(None, None, None, cancels=[self.train_event], api_visibility="private").then(
            self._stopped, self.state, outs, api_visibility="private", show_progress="hidden").then(**enable)
        self.reset_btn.click(self._reset, self.state, [self.state, *outs], cancels=[self.train_event],
                             api_name=f"{self.family}_reset").then(**enable)
        self.export_btn.click(self._export, self.state, self.export_file, api_name=f"{self.family}_export")
        self.import_event = self.import_file.upload(self._import, [self.state, self.data, self.upload, self.import_file],
                                [self.state, *outs, self.data, *self.form.values()], api_name=f"{self.family}_import",
                                concurrency_limit=session.TRAIN_SLOTS, concurrency_id="train").then(  # costs like a press
            lambda s: pins.gallery_update(s.pins if s else []), self.state, self.pinned, api_visibility="private")
        pins.wire(self)
        if self.presets:
            self.preset.change(self._preset, self.preset, [self.preset_note, self.data, *self.form.values()],
                               api_visibility="private")
            presetnote.wire(self)         # a setting changed away from the preset: its note says so
        examples.wire(self)
        if self.equation_for and self.equation_now is not None:
            fn, names = self.equation_for
            for name in names:
                self.form[name].change(fn, [self.form[n] for n in names], self.equation_now,
                                       api_visibility="private", show_progress="hidden")

    def render(self, run: Run, view: Any) -> dict[str, Any]:
        """The tab's views for ``run`` (what a view control returns after changing the view state)."""
        return self._render(run, view)

    def on(self, trigger: Any, fn: Callable[..., dict[str, Any]], inputs: list[Any] | None = None,
           outputs: dict[str, gr.components.Component] | None = None, train: bool = False, **kw: Any) -> Any:
        """``trigger(handler)`` for a view control: ``fn(run, view, *inputs) -> {name: value}``, where a
        name is one of ``outputs`` (default: the live views). No run yet, or a ValueError, becomes a
        clear message on the page; ``api_name=`` makes it an API endpoint, else it stays private.
        ``train=True``: ``fn`` trains something (a comparison model): it waits for a training slot like
        a Train press, and Stop or Reset end it (``fn`` passes ``cancel=session.should_stop``)."""
        outputs = self.views if outputs is None else outputs

        def handler(s: Session | None, *args: Any) -> dict[Any, Any]:
            if s is None or s.run is None or s.run.model is None:
                raise gr.Error("Train a model first: press ▶ Train.")
            try:
                if train:
                    with session.training(s):
                        values = fn(s.run, s.view, *args)
                else:
                    values = fn(s.run, s.view, *args)
            except (ValueError, DataError) as e:
                raise gr.Error(str(e)) from None
            # only its own outputs: a control that can fail names just the views it changes, so an error
            # badges those and leaves the rest of the page as it was
            return {outputs[k]: as_update(figures.themed(v), outputs[k]) for k, v in values.items()
                    if k in outputs and v is not figures.SAME}

        handler.__name__ = getattr(fn, "__name__", "view")
        # the API names its parameters after fn's (after run and view): /diffusion_sample takes sampler=, ...
        P = inspect.Parameter
        rest = list(inspect.signature(fn).parameters.values())[2:]
        if all(p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD) for p in rest):
            handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
                [P("session", P.POSITIONAL_OR_KEYWORD), *(p.replace(default=P.empty) for p in rest)])
        if train:
            kw.update(concurrency_limit=session.TRAIN_SLOTS, concurrency_id="train")
        if "api_name" not in kw:            # slider moves and the like: private, and quiet
            kw.setdefault("api_visibility", "private")
            kw.setdefault("show_progress", "hidden")
        return keys.wire(trigger, handler, [self.state, *(inputs or [])], list(outputs.values()), **kw)

    def _train_handler(self, fields: list[str]) -> Callable[..., Any]:
        """A generator whose signature names every setting, so the API reads `beta=`, not `param_4=`."""
        def train_fn(*args: Any):
            *args, request = args                       # Gradio hands the page's request in last
            yield from self._train(fields, PRESSES.begin(PRESSES.key(request, self.family)), *args)
        P = inspect.Parameter
        params = [P(n, P.POSITIONAL_OR_KEYWORD) for n in ["session", "data", "steps", *fields]]
        params += [P(n, P.POSITIONAL_OR_KEYWORD, default=None) for n in ["upload", *self.extras]]
        params.append(P("request", P.POSITIONAL_OR_KEYWORD, default=None, annotation=gr.Request))
        train_fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        train_fn.__annotations__ = {"request": gr.Request}
        return train_fn

    # ------------------------------------------------------------------ streaming
    def named(self, run: Run, view: Any, message: str, timing: Timing | None = None) -> dict[str, Any]:
        """Status, curves and every view the tab's render returns, keyed by *name* (``STATUS``, ``CURVES``
        and the tab's views): what a GPU burst sends back to this process, which holds the components."""
        out = {STATUS: self._status(run, timing, message),
               CURVES: quality_live.curves(self, run, view)}      # the loss curves (+ live scores, issue 14)
        out.update({k: figures.themed(v) for k, v in self._render(run, view).items() if v is not figures.SAME})
        return out

    def components(self, named: dict[str, Any]) -> dict[Any, Any]:
        """:meth:`named` keyed by component: the status as text, curves and views as updates."""
        comps = {STATUS: self.status, CURVES: self.curves, **self.views}
        return {comps[k]: v if k == STATUS else as_update(v, comps[k]) for k, v in named.items()}

    def frame(self, s: Session, message: str, timing: Timing | None = None) -> dict[Any, Any]:
        s.view.pins = s.pins                      # the pinned runs' faint curves travel with the view
        return self.components(self.named(s.run, s.view, message, timing))

    def frames(self, run: Run, view: Any, steps: int, live: Callable[[], bool], seconds: float,
               press: tuple[int, int] | None = None) -> Iterator[tuple[str, Any]]:
        """Train ``run`` as name-keyed frames (:func:`playground.press.frames`)."""
        return press_mod.frames(self, run, view, steps, live, seconds, press)

    def stream(self, s: Session, steps: int, page: Callable[[], bool] = lambda: True) -> Iterator[dict[Any, Any]]:
        """Train ``s.run`` for ``steps`` steps, streaming :meth:`frames`: here, or on ZeroGPU (and its
        stand-in) as a sequence of GPU bursts in forked children (playground/bursts.py). ``page()``: is this
        still the page's live press (:class:`playground.press.Ledger`)?"""
        token = s.begin()
        s.view.pins = s.pins
        live = lambda: s.live(token) and page()           # noqa: E731
        source = bursts.press(self, s, steps, live) if zerogpu.mode() != "off" else \
            self.frames(s.run, s.view, steps, live, session.MAX_SECONDS)
        for kind, body in source:
            if not live():
                return
            yield {self.status: body} if kind == "tick" else self.components(body)

    def _status(self, run: Run, timing: Timing | None, message: str) -> str:
        share = f" · drawing {100 * timing.render_share:.0f}% of the time" if timing else ""
        return (f"**{run.device.type}** · step {run.step:,} · epoch {run.epoch_progress:.1f}"
                f" · {run.steps_per_s:,.0f} steps/s{share}  \n{message}")

    # ------------------------------------------------------------------ handlers
    def _train(self, fields: list[str], press: Press, s: Session | None, data_name: str, steps: float,
               *values: Any):
        try:
            yield from self._press(fields, press.live, s, data_name, steps, *values)
        finally:                # returned, failed, or closed by Gradio's cancel: it will say nothing more
            press.done()

    def _press(self, fields: list[str], page: Callable[[], bool], s: Session | None, data_name: str,
               steps: float, *values: Any):
        *settings, upload = values[:len(fields) + 1]
        try:
            if isinstance(steps, bool) or not isinstance(steps, (int, float)) or not math.isfinite(steps) \
                    or steps != int(steps):
                raise ValueError(f"Steps per Train press must be a whole number; got {steps!r}.")
            steps = int(steps)
            if not 1 <= steps <= 100_000:
                raise ValueError(f"Steps per Train press must be between 1 and 100,000; got {steps}.")
            cfg = forms.read_form(self.config_cls, fields, settings)
        except (ValueError, DataError, TypeError) as e:
            yield {self.status: f"⚠️ {e}"}      # not the "waiting for a slot" line: the message, then the error
            raise gr.Error(str(e)) from None
        box: dict[str, Any] = {}
        try:
            for waited in session.in_worker(lambda: box.update(out=self._prepare(s, cfg, data_name, upload))):
                if not page():          # Reset/Stop while the data was read: the worker stops, the page stays
                    return
                yield {self.status: f"reading the data and building the model… {waited:.0f} s"}
        except gr.Error as e:
            if page():
                yield {self.status: f"⚠️ {e.message}"}
            raise
        if not page():
            return
        s, note = box["out"]
        vars(s.view).update(zip(self.extras, values[len(fields) + 1:]))    # e.g. score_every, read by the frames
        yield {self.state: s, self.status: self._status(s.run, None, note)}
        yield from self.stream(s, steps, page)

    def _prepare(self, s: Session | None, cfg: Any, data_name: str, upload: str | None) -> tuple[Session, str]:
        """Continue the current run if only live settings changed; otherwise start a new one."""
        if data_name not in self.datasets:
            raise ValueError(f"Unknown data {data_name!r}; choose one of: {', '.join(self.datasets)}.")
        key = (data_name, upload if data_name == self.upload_choice else None)
        run = s.run if s is not None else None
        if run is not None and run.model is not None and s.data_key == key:
            live, other = run.live_changes(cfg)
            if not other:
                if "batch_size" in live:
                    session.check_budget(self.family, cfg, run.data)
                if live:
                    run.update_config(cfg)
                    return s, f"continuing; now using {', '.join(live)} from the form."
                return s, "continuing where it stopped."
            note = f"new run (changed: {', '.join(other)})."
        else:
            note = "new run." if run is None else "new run (new data)."
        t0 = time.perf_counter()
        data = self._load(data_name, upload, cfg)
        session.check_budget(self.family, cfg, data)
        run = Run(self.family, cfg, data, device=zerogpu.host_device())
        return Session(run, self.view_state(), key, pins=s.pins if s else []), f"{note} {data.note} (ready in {time.perf_counter() - t0:.1f} s)"

    def _load(self, data_name: str, upload: str | None, cfg: Any) -> Dataset:
        """``load_data(name, upload)``, or ``load_data(name, upload, cfg)`` for data shaped by the settings."""
        if len(inspect.signature(self.load_data).parameters) >= 3:
            return self.load_data(data_name, upload, cfg)
        return self.load_data(data_name, upload)

    def _stopped(self, s: Session | None, request: gr.Request = None) -> dict[Any, Any]:
        PRESSES.retire(PRESSES.key(request, self.family), wait=QUIET_WAIT)
        if s is not None:
            s.halt()
        if s is None or s.run is None or s.run.model is None:
            return {}
        latent.redraw_all(s.view)
        return self.frame(s, "stopped: press **Train** to continue.")

    def _reset(self, s: Session | None = None, request: gr.Request = None) -> dict[Any, Any]:
        # a press still reading its data ends too; and its last frame is on the page before this reply
        PRESSES.retire(PRESSES.key(request, self.family), wait=QUIET_WAIT)
        if s is not None:
            s.halt()                  # the discarded run stops training now, not at its step budget
        keep = Session(pins=s.pins) if s is not None and s.pins else None      # pins outlive a Reset
        return {self.state: keep, self.status: "Reset: press **Train** to start a new run.",
                self.curves: as_update(None), **{v: as_update(None) for v in self.views.values()}}

    def _export(self, s: Session | None) -> str:
        if s is None or s.run is None or s.run.model is None:
            raise gr.Error("Nothing to export yet: train a model first.")
        path = exports.write(s.run)      # Gradio copies it into its own cache (swept by delete_cache)
        pins.add_to_zip(path, s.pins)
        return path

    def _import(self, s: Session | None, data: str, upload: str | None, path: str | None):
        """Import an exported run (API: data, upload, path); uploaded data must be chosen again first."""
        if not path:
            raise gr.Error("Choose a .zip exported from this playground.")
        return examples.open_run(self, s, path, data, upload,   # shared with the trained examples
                                 "imported a run at step {step}: press **Train** to continue.")

    def _preset(self, name: str):
        if name not in self.presets:
            return [gr.skip()] * (2 + len(self.form))
        data_name, overrides, explanation = self.presets[name]
        values = forms.form_updates(self.config_cls, list(self.form), overrides)
        link = f"\n\n🔗 [Link to this lesson]({lessons.link(self.family, name)})"   # one per slide
        return [f"**What to watch:** {explanation}{link}", data_name, *values]
