"""Screenshots of every tab in Chinese, in projector mode and in dark mode, each after a short training
(issue 15, items 6 and 10): ``python bench/screens.py`` launches the app itself (or ``--url`` uses a running
one) and writes tests/artifacts/screens/<mode>-<tab>.png, the first screen at 1280×720 as a projector shows
it, plus <mode>-<tab>-full.png, the whole page. Not a test: a person looks at them.

    python bench/screens.py                       # every mode, every tab
    python bench/screens.py --modes dark --tabs vae gan --steps 300
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "artifacts" / "screens"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
MODES = {"zh": "lang=zh", "projector": "projector=1", "dark": "__theme=dark"}
TABS = ["ae", "vae", "vaevariants", "vqvae", "gan", "diffusion", "score", "tdvae", "compare"]

# the curves (or Compare's plot) hold a line that reaches step ``n``
REACHED = """([n]) => [...document.querySelectorAll('.pg-liveplot-block .js-plotly-plot')].some(d => d.clientWidth > 0
    && d.data && d.data.some(t => (t.x || []).some(v => v >= n)))"""


def launch() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    OUT.mkdir(parents=True, exist_ok=True)
    log = open(OUT / "app.log", "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited; see {log.name}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return proc, url
        except OSError:
            time.sleep(1)
    proc.kill()
    raise SystemExit("app.py did not answer")


def shoot(browser, url: str, mode: str, tab: str, steps: int, timeout_s: float) -> str:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    note = ""
    try:
        page.goto(f"{url}?{MODES[mode]}&tab={tab}", wait_until="domcontentloaded")
        train = page.locator("button.pg-train:visible").first
        train.wait_for(timeout=120_000)
        if mode == "zh":        # the page is in Chinese once Gradio's locale switched (the Train button says so)
            page.wait_for_function("() => [...document.querySelectorAll('button.pg-train')].some(b => "
                                   "b.offsetParent && /[\\u4e00-\\u9fff]/.test(b.innerText))", timeout=60_000)
        box = page.locator(".pg-left input[type=number]:visible")       # the first: steps per Train press
        if tab != "compare" and box.count():
            box.first.fill(str(steps))
            box.first.press("Enter")
        train.click(force=True)
        try:
            page.wait_for_function(REACHED, arg=[min(steps, 50)], timeout=timeout_s * 1000)
            page.wait_for_function("() => [...document.querySelectorAll('button.pg-train')].some(b => "
                                   "b.offsetParent && !b.disabled)", timeout=timeout_s * 1000)
        except Exception:                      # noqa: BLE001  (a slow tab: stop it and shoot what is there)
            note = f" (not done with {steps} steps in {timeout_s:.0f} s: stopped)"
            stop = page.locator("button.pg-stop:visible")
            if stop.count():
                stop.first.click(force=True)
                page.wait_for_function("() => [...document.querySelectorAll('button.pg-train')].some(b => "
                                       "b.offsetParent && !b.disabled)", timeout=120_000)
        # the views the last frame sent have loaded (images decoded, plots drawn)
        page.wait_for_function("() => [...document.images].filter(i => i.offsetParent && i.getBoundingClientRect()"
                               ".top < innerHeight).every(i => i.complete)", timeout=30_000)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(OUT / f"{mode}-{tab}.png"))
        page.screenshot(path=str(OUT / f"{mode}-{tab}-full.png"), full_page=True)
    except Exception as e:                     # noqa: BLE001
        note = f" FAILED: {str(e).splitlines()[0][:200]}"
        page.screenshot(path=str(OUT / f"{mode}-{tab}.png"))
    finally:
        page.close()
    return note + (f" page errors: {errors}" if errors else "")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default=None, help="a running app (default: launch app.py on a free port)")
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    p.add_argument("--tabs", nargs="+", default=TABS)
    p.add_argument("--steps", type=int, default=300, help="steps per Train press")
    p.add_argument("--timeout", type=float, default=90, help="seconds to wait for that, per tab")
    a = p.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    proc, url = (None, a.url) if a.url else launch()
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            for mode in a.modes:
                for tab in a.tabs:
                    t0 = time.perf_counter()
                    note = shoot(browser, url, mode, tab, a.steps, a.timeout)
                    print(f"{mode}-{tab}.png  {time.perf_counter() - t0:.0f} s{note}", flush=True)
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)


if __name__ == "__main__":
    main()
