"""Shared fixtures: the real app, launched as users launch it (`python app.py`), on a free port."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST_RAW = ROOT.parent / "shared" / "data" / "MNIST" / "raw"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url():
    """Start `python app.py` in a subprocess and yield its URL; stop it afterwards."""
    port = _free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"app-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 240
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"app.py did not answer on {url}; see {log.name}")
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture()
def client(app_url):
    """A fresh visitor (own session) of the running app."""
    from gradio_client import Client
    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        plain_new_page = b.new_page

        def new_page(*args, **kwargs):
            """A page whose waits allow 120 s, not Playwright's 30: on a loaded 2-core box the first click
            on a tab renders its few hundred components and took 17–40 s (never a fixed sleep: each wait
            ends as soon as its state is there)."""
            page = plain_new_page(*args, **kwargs)
            page.set_default_timeout(120_000)
            return page
        b.new_page = new_page
        yield b
        b.close()


def redrawn(outputs) -> bool:
    """True for a streamed output that redraws the views; status-only ticks carry gr.skip() updates."""
    return all(not (isinstance(v, dict) and v.get("__type__") == "update" and "value" not in v)
               for v in outputs[1:])


def value(out):
    """A view's value: outputs sent as ``gr.update(value=..., visible=...)`` arrive as dicts with a 'value';
    plain values as they are; a ``gr.skip()`` (or an update without a value) gives None, and so does a hidden
    LivePlot (its value is the string "hidden"; a shown one's is the figure's JSON)."""
    if isinstance(out, dict) and out.get("__type__") == "update":
        v = out.get("value")
        return None if v == "hidden" else v
    return out


def plain(outputs) -> list:
    """A whole output tuple with every update unwrapped (views and curves arrive as updates)."""
    return [value(o) for o in outputs]


def plot_json(plot) -> dict:
    """A LivePlot output (its JSON, or an update carrying it) as the plotly figure: ``{"data": [...], "layout": {...}}``."""
    p = value(plot)
    assert p is not None, "the plot is empty"
    fig = json.loads(p["plot"] if isinstance(p, dict) else p)
    assert isinstance(fig.get("data"), list), f"not a plotly figure: {str(fig)[:200]}"
    return fig


def plot_text(plot) -> str:
    """A LivePlot output as readable text (its JSON escapes non-ASCII characters such as ρ and λ)."""
    return json.dumps(plot_json(plot), ensure_ascii=False)


def plot_title(plot) -> str:
    """The figure's title text ("" if it has none)."""
    title = plot_json(plot)["layout"].get("title") or {}
    return title.get("text", "") if isinstance(title, dict) else str(title)


def trace_names(plot) -> set[str]:
    return {t.get("name") for t in plot_json(plot)["data"]}


def assert_curves(plot, terms, steps: int | None = None) -> dict:
    """A loss-curves output draws a line for each of ``terms`` (their shown names), and, when ``steps``
    is given, the lines reach that step. Returns the figure."""
    fig = plot_json(plot)
    lines = {t["name"]: t for t in fig["data"] if t.get("type") == "scatter" and t.get("mode") == "lines"}
    missing = set(terms) - set(lines)
    assert not missing, f"the curves lack {missing}; they show {sorted(lines)}"
    for name in terms:
        x, y = lines[name]["x"], lines[name]["y"]
        assert len(x) == len(y) >= 1 and any(v is not None for v in y), f"the {name} line is empty"
        if steps is not None:
            assert max(x) >= steps, f"the {name} line stops at step {max(x)}, before {steps}"
    return fig


# ----------------------------------------------------------------------------- the train endpoints
def train_settings(family: str, settings: dict | None = None, **overrides) -> dict:
    """Every field of the family's Config by name: its default, then ``settings``, then ``overrides``."""
    import trainers
    fields = {f.name: f.default for f in dataclasses.fields(trainers.family(family).Config)}
    assert all(v is not dataclasses.MISSING for v in fields.values()), fields
    kw = {**fields, **(settings or {}), **overrides}
    unknown = set(kw) - set(fields)
    if unknown:
        raise TypeError(f"{family}.Config has no field {', '.join(sorted(unknown))}")
    return kw


def submit_train(client, family: str, settings: dict | None = None, *, data: str, steps: int, upload=None,
                 **overrides):
    """Submit ``/<family>_train`` by keyword, every setting named (never by position: the endpoint's order
    is the form's business): ``data``, ``steps``, ``upload`` and every Config field."""
    return client.submit(data=data, steps=steps, upload=upload, **train_settings(family, settings, **overrides),
                         api_name=f"/{family}_train")


def assert_bad_input_refused(client, train, change: dict, message, *, steps: int = 5):
    """The check every tab shares: ``train(client, **change)`` (``change`` holds settings and maybe ``data``,
    ``steps``, ``upload``) is refused with a clear message (``message``: a case-insensitive substring, or a
    compiled regex) and no traceback; then the same visitor's good run still trains ``steps`` steps and
    draws its curves. Returns that run's final outputs."""
    from gradio_client.exceptions import AppError
    with pytest.raises(AppError) as e:
        train(client, **{"steps": steps, **change}).result(timeout=120)
    text = str(e.value)
    if isinstance(message, re.Pattern):
        assert message.search(text), f"expected /{message.pattern}/ in: {text[:500]}"
    else:
        assert message.lower() in text.lower(), f"expected {message!r} in: {text[:500]}"
    assert "Traceback" not in text
    final = train(client, steps=steps).result(timeout=240)
    assert "done" in value(final[0]) and step_of(final[0]) == steps, final[0]
    assert any(t.get("x") for t in plot_json(final[1])["data"]), "the good run drew no curves"
    return final


def stream_until(job, predicate, timeout: float = 120.0):
    """Read a gradio_client job's streamed outputs until ``predicate(outputs)`` holds; return them.
    Polls with a deadline: returns as soon as the output is there."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        outs = job.outputs()
        if outs and predicate(outs[-1]):
            return outs[-1]
        if job.done() and not (outs and predicate(outs[-1])):
            break
        time.sleep(0.2)
    raise AssertionError(f"no streamed output matched within {timeout} s; last: {str(job.outputs()[-1:])[:300]}")


def wait_for_step(page, step: int, timeout: float = 60_000) -> None:
    """In a browser page: wait until the visible status line reports at least ``step`` steps."""
    page.wait_for_function("""(n) => [...document.querySelectorAll('.pg-status')].some(el => {
        const r = el.getBoundingClientRect();
        const m = /step ([\\d,]+)/.exec(el.innerText);
        return r.width > 0 && r.height > 0 && m !== null && parseInt(m[1].replace(/,/g, ''), 10) >= n;
    })""", arg=step, timeout=timeout)


@pytest.fixture(autouse=True)
def one_thread():
    """Unit tests train tiny models: on a shared 2-core box one intra-op thread runs them several times
    faster than two spin-waiting ones. (The app under test runs in its own process, with its own setting.)"""
    import torch
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits through the trainers' loader (offline, cached)."""
    from trainers import data
    return data.load("digits")


def step_of(status) -> int:
    """The step number in a tab's status line ("cpu · step 1,234 · ..."; a string or an update), or -1."""
    m = re.search(r"step ([\d,]+)", str(value(status) or ""))
    return int(m.group(1).replace(",", "")) if m else -1
