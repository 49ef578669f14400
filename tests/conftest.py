"""Shared fixtures: the real app, launched as users launch it (`python app.py`), on a free port."""
from __future__ import annotations

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
        yield b
        b.close()


def redrawn(outputs) -> bool:
    """True for a streamed output that redraws the views; status-only ticks carry gr.skip() updates."""
    return all(not (isinstance(v, dict) and v.get("__type__") == "update" and "value" not in v)
               for v in outputs[1:])


def stream_until(job, predicate, timeout: float = 120.0):
    """Read a gradio_client job's streamed outputs until ``predicate(outputs)`` holds; return them."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        outs = job.outputs()
        if outs and predicate(outs[-1]):
            return outs[-1]
        if job.done() and not (outs and predicate(outs[-1])):
            break
        time.sleep(0.2)
    raise AssertionError(f"no streamed output matched within {timeout} s; last: {str(job.outputs()[-1:])[:300]}")


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


def step_of(status: str) -> int:
    """The step number in a tab's status line ("cpu · step 1,234 · ..."), or -1."""
    m = re.search(r"step ([\d,]+)", status)
    return int(m.group(1).replace(",", "")) if m else -1
