"""Lessons that start trained (issue 15, item 4), and links that carry a tab's settings (item 5).

**Trained examples.** ``assets/examples/<family>--<preset slug>.zip`` are runs exported with the same
``trainers.checkpoint.save`` as the Export button (``bench/make_examples.py`` trains them: fixed seed, fixed
steps). Each tab offers its own in a "Start from a trained example" dropdown (and ``/<family>_example``): the
zip goes through :func:`open_run`, the very code an Import runs, so the views, curves and status fill at
once and **▶ Train** continues the run. Only files in that folder can be named: a visitor picks a label,
never a path.

**Links with settings.** ``?tab=vae&set=<base64url JSON>`` opens a tab with its data and settings: the JSON
holds the fields that differ from their defaults (and ``data``), built in the browser by the tab's
"🔗 Copy link" button (a JS-only handler: nothing reaches the server). On load :func:`settings` reads it
back through the family's validated ``Config`` (a bad value: the usual field-named sentence); it is plain
JSON (never unpickled) and at most :data:`MAX_SET` characters.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr

from . import zerogpu as _zerogpu

FOLDER = Path(__file__).resolve().parents[1] / "assets" / "examples"
NONE = "—"
LABEL = "Start from a trained example"
INFO = "A run trained here beforehand: it loads at once, ready to explore or to train further."
MAX_SET = 2048            # characters of ``set=`` a link may carry (a tab's settings need a few hundred)


# ----------------------------------------------------------------------------- the shipped runs
def slug(preset: str) -> str:
    """A file-name-safe form of a preset's name: ``"KL warm-up"`` → ``"kl-warm-up"`` (Greek letters kept as
    their names: β → beta)."""
    greek = {"β": "beta", "ρ": "rho", "τ": "tau", "σ": "sigma", "λ": "lambda", "×": "x"}
    text = "".join(greek.get(c, c) for c in preset)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "example"


def filename(family: str, preset: str) -> str:
    return f"{family}--{slug(preset)}.zip"


def available(family: str, presets: dict[str, Any] | None = None, folder: Path | None = None) -> dict[str, Path]:
    """The shipped examples of ``family``, label → zip (in the order of its presets, then any others): the
    label is the preset a file was trained from (its slug matches), else the slug itself."""
    folder = FOLDER if folder is None else folder
    files = sorted(folder.glob(f"{family}--*.zip")) if folder.is_dir() else []
    by_slug = {p.name[len(family) + 2:-4]: p for p in files}
    out: dict[str, Path] = {}
    for name in presets or {}:
        if slug(name) in by_slug:
            out[name] = by_slug.pop(slug(name))
    out.update(by_slug)
    return out


def path_of(family: str, name: Any, presets: dict[str, Any] | None = None) -> Path:
    """The zip of the example called ``name``, or a ValueError naming the field and the choices."""
    shipped = available(family, presets)
    if not isinstance(name, str) or name not in shipped:
        shown = ", ".join(repr(n) for n in shipped) or "none for this tab"
        raise ValueError(f"{LABEL} must be one of {shown}; got {str(name)[:80]!r}.")
    return shipped[name]


def fingerprint(run: Any, n: int = 16) -> Any:
    """``n`` samples of the run's model from a fixed seed: what ``bench/make_examples.py`` keeps beside each
    example (``<name>.samples.safetensors``) from the model it trained, for the test that a loaded example
    samples the same. A short deterministic sampler where the tab's default is a long chain."""
    import torch
    with run.evaluating() as m, torch.random.fork_rng():
        torch.manual_seed(0)
        if run.family == "diffusion":
            return m.sample(n, seed=0, sampler="ddim", steps=20).cpu()
        if run.family == "score":
            return m.sample(n, seed=0, steps=20).cpu()
        if run.family == "tdvae":         # its sample() starts from the sequences seen last (not saved)
            return m.reconstruct(run.data.x[:n].to(m.device)).cpu()
        return m.sample(n).cpu()


def open_run(panel: Any, s: Any, path: str | os.PathLike, data_name: str, upload: str | None,
             message: str) -> dict[Any, Any]:
    """Load the exported run at ``path`` into a fresh session of ``panel``'s tab: the body of the panel's
    Import, shared with the trained examples. Returns the outputs keyed by component: the state, the data
    and every setting in the form (so **Train** continues the run instead of starting afresh), the status
    (``message`` with ``{step}`` filled in), curves and views. ValueError and DataError become gr.Error."""
    from trainers import checkpoint
    from trainers.data import DataError
    from . import pins, session
    from .panel import as_update
    try:
        given = panel._load(data_name, upload, None) if data_name == panel.upload_choice else None
        new = checkpoint.load(path, data=given, device=_zerogpu.host_device(),
                              check=session.check_budget)
    except (ValueError, DataError) as e:
        raise gr.Error(str(e)) from None
    if new.family != panel.family:
        raise gr.Error(f"That file holds a {new.family} run; open it in the {new.family} tab.")
    key = (new.data.name, None) if not new.data.name.startswith("upload:") else (data_name, upload)
    s = session.Session(new, panel.view_state(), key, pins=pins.read_zip(str(path)) or (s.pins if s else []))
    form = {panel.form[f]: as_update(getattr(new.cfg, f)) for f in panel.form}
    return {panel.state: s, panel.data: as_update(key[0]), **form,
            **panel.frame(s, message.format(step=new.step))}


def build(panel: Any) -> None:
    """The dropdown (beside the presets) and the copy-link button with its textbox."""
    shipped = panel.example_names = list(available(panel.family, panel.presets))
    panel.example = gr.Dropdown([NONE, *shipped], value=NONE, label=LABEL, info=INFO, visible=bool(shipped),
                                elem_classes=["pg-example"])
    with gr.Row(equal_height=True):
        panel.copy_btn = gr.Button("🔗 Copy link", size="sm", scale=0, min_width=120, elem_classes=["pg-copy"])
        panel.link_box = gr.Textbox(label="Link to this tab", show_label=False, placeholder="a link to this tab and these settings",
                                    max_lines=1, scale=1, container=False, elem_classes=["pg-link"])


def wire(panel: Any) -> None:
    """``/<family>_example(example)``: load a shipped run, as an Import does; the copy-link button."""
    from . import pins, session
    outs = [panel.state, panel.status, panel.curves, *panel.views.values(), panel.data, *panel.form.values()]
    note = [panel.preset_note] if panel.presets else []

    def load_example(s: Any, example: str) -> dict[Any, Any]:
        if example == NONE:
            return {}
        try:
            path = path_of(panel.family, example, panel.presets)
        except ValueError as e:
            raise gr.Error(str(e)) from None
        out = open_run(panel, s, path, "", None,
                       f"loaded the trained example “{example}” at step {{step}}: press **▶ Train** to go on.")
        if panel.presets:                 # the preset's note, and a link that opens the page with this run
            watch = f"**What to watch:** {panel.presets[example][2]}\n\n" if example in panel.presets else ""
            link = f"?tab={quote(panel.family)}&example={quote(example)}"
            out[panel.preset_note] = f"{watch}🔗 [Link to this trained example]({link})"
        return out

    load_example.__name__ = f"{panel.family}_example"
    # .change, not .input: a lesson link (?tab=…&example=…) sets the dropdown on load and so loads the run.
    # loading costs like a press (as an Import does): it waits for a training slot
    panel.example.change(load_example, [panel.state, panel.example], [*outs, *note],
                        api_name=f"{panel.family}_example", concurrency_limit=session.TRAIN_SLOTS,
                        concurrency_id="train").then(
        lambda s: pins.gallery_update(s.pins if s else []), panel.state, panel.pinned, api_visibility="private")
    panel.copy_btn.click(None, [panel.data, *panel.form.values()], panel.link_box, js=copy_js(panel),
                         api_visibility="private")


# ----------------------------------------------------------------------------- links with settings
def defaults(config_cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(config_cls)}


def copy_js(panel: Any) -> str:
    """The browser half of "🔗 Copy link": ``?tab=…&set=…`` from the form's values that differ from the
    defaults, copied to the clipboard, and shown in the textbox beside the button (where copying is not
    allowed, e.g. a page served over plain http from another machine, the visitor copies it from there)."""
    names = json.dumps(["data", *panel.form])
    base = json.dumps({"data": panel.datasets[0], **{k: v for k, v in defaults(panel.config_cls).items()
                                                     if k in panel.form}})
    return f"""(...vals) => {{
  const names = {names}, base = {base}, diff = {{}};
  names.forEach((n, i) => {{ const v = vals[i];
    if (v !== null && v !== undefined && JSON.stringify(v) !== JSON.stringify(base[n])) diff[n] = v; }});
  const q = new URLSearchParams(window.location.search), out = new URLSearchParams();
  out.set("tab", {json.dumps(panel.family)});
  if (q.get("lang")) out.set("lang", q.get("lang"));
  if (Object.keys(diff).length) {{
    const bytes = new TextEncoder().encode(JSON.stringify(diff));
    let bin = ""; bytes.forEach(b => bin += String.fromCharCode(b));
    out.set("set", btoa(bin).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, ""));
  }}
  const url = window.location.origin + window.location.pathname + "?" + out.toString();
  try {{ navigator.clipboard.writeText(url).catch(() => {{}}); }} catch (e) {{}}
  return url;
}}"""


def encode(settings: dict[str, Any]) -> str:
    """``set=`` for ``settings`` (what the button's JS writes), for links made in Python and for tests."""
    raw = json.dumps(settings, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def settings(panel: Any, raw: Any) -> tuple[str | None, dict[str, Any]]:
    """(data, {field: value}) asked for by ``set=``, checked through the family's Config: a ValueError with a
    sentence naming what is wrong (too long, not base64 JSON, an unknown field, a bad value or data)."""
    if not isinstance(raw, str) or not raw:
        raise ValueError("The link's settings (set=) are empty.")
    if len(raw) > MAX_SET:
        raise ValueError(f"The link's settings (set=) are {len(raw):,} characters; at most {MAX_SET:,} are read.")
    try:
        if not re.fullmatch(r"[A-Za-z0-9_\-]+=*", raw):
            raise ValueError
        given = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ValueError("The link's settings (set=) are not readable: copy the link again with 🔗 Copy link.") from None
    if not isinstance(given, dict):
        raise ValueError("The link's settings (set=) must name each setting and its value.")
    data = given.pop("data", None)
    built_in = [d for d in panel.datasets if d != panel.upload_choice]    # a link cannot carry an upload
    if data is not None and data not in built_in:
        raise ValueError(f"Data must be one of {', '.join(repr(d) for d in built_in)}; got {str(data)[:80]!r}.")
    for name, v in given.items():
        if name not in panel.form:
            raise ValueError(f"The link names a setting {str(name)[:40]!r} that the {panel.family} tab does not have.")
        if not isinstance(v, (str, int, float, bool)):
            raise ValueError(f"{name.replace('_', ' ')} must be a single value; got {str(v)[:80]!r}.")
    panel.config_cls(**{**defaults(panel.config_cls), **given})     # ValueError naming the field and rule
    return data, given


def open_link(query: Any, tab: str | None, panels: dict[str, Any]) -> list[Any]:
    """On page load: the updates for every panel's data and form (``panels``: tab → Panel, in the order of
    :func:`link_outputs`) that ``set=`` asks for on ``tab``; no change elsewhere. A bad ``set=`` changes
    nothing and warns, naming the field: the page loads as it would without it."""
    raw = query.get("set") if tab in panels else None
    chosen: tuple[str | None, dict[str, Any]] = (None, {})
    if raw is not None:
        try:
            chosen = settings(panels[tab], raw)
        except ValueError as e:
            gr.Warning(f"This link's settings were not applied: {e}")
    out: list[Any] = []
    for t, p in panels.items():
        data, given = chosen if t == tab else (None, {})
        out.append(gr.update(value=data) if data else gr.update())
        out += [gr.update(value=given[n]) if n in given else gr.update() for n in p.form]
    return out


def link_outputs(panels: dict[str, Any]) -> list[Any]:
    """Every panel's data dropdown and form components, in :func:`open_link`'s order."""
    return [c for p in panels.values() for c in (p.data, *p.form.values())]
