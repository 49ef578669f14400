"""Soak in the browser: the page's memory while a long Train press streams, then how fast Stop answers.

    python bench/browser_soak.py [--seconds 300] [--every 10] [--tab VAE]

Launches `python app.py` on a free loopback port, opens the tab in headless Chromium (/usr/bin/chromium,
or $CHROMIUM), sets 100,000 steps and presses Train. Every ``--every`` s it reads Chrome's own counters
(CDP ``Performance.getMetrics``: JSHeapUsedSize, Nodes) and counts the page's Plotly plots; after
``--seconds`` it clicks Stop and times how long until the status line says "stopped". Then it forces a
garbage collection and reads the heap once more. Prints a table and a one-line summary.

Issue #16 item 10: with Gradio 6.31's gr.Plot a 90 s VAE press took the page from 19 MB / 4k nodes to
335 MB / 450k nodes and Stop stopped answering; with playground/liveplot.py the page should stay flat.
Loopback only; bounded in time.
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
STATUS = ".pg-status:visible"


def launch_app() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1",
               GRADIO_ANALYTICS_ENABLED="False")
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 240
    while True:
        if app.poll() is not None:
            raise RuntimeError(f"app.py exited with {app.returncode}")
        try:
            urllib.request.urlopen(url, timeout=5)
            return app, url
        except OSError:
            if time.time() > deadline:
                app.terminate()
                raise RuntimeError(f"app.py did not answer on {url}") from None
            time.sleep(1)


def metrics(cdp) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def sample(page, cdp, t: float) -> dict[str, float]:
    m = metrics(cdp)
    try:
        status = page.locator(STATUS).first.inner_text(timeout=60_000)
    except PlaywrightTimeout:           # a page too busy to answer in a minute: note it, keep sampling
        status = ""
    step = re.search(r"step ([\d,]+)", status)
    return {"t": t, "heap": m["JSHeapUsedSize"] / 2**20, "nodes": m["Nodes"],
            "plots": page.evaluate("document.querySelectorAll('.js-plotly-plot').length"),
            "step": int(step.group(1).replace(",", "")) if step else -1}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=300.0, help="how long the press streams before Stop")
    p.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    p.add_argument("--tab", default="VAE", help="the tab's title")
    a = p.parse_args()

    app, url = launch_app()
    rows: list[dict[str, float]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1600, "height": 1300})
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_role("tab", name=a.tab, exact=True).click()
            steps = page.get_by_label("number input for Steps per Train press").locator("visible=true").first
            steps.fill("100000")
            steps.press("Enter")
            page.locator(STATUS).first.wait_for(timeout=60_000)
            rows.append(sample(page, cdp, 0.0))
            print(f"before Train: heap {rows[0]['heap']:.1f} MB  nodes {rows[0]['nodes']:.0f}", flush=True)
            page.get_by_role("button", name="▶ Train").locator("visible=true").first.click(force=True)
            t0 = time.time()
            while True:
                due = t0 + len(rows) * a.every
                if due > t0 + a.seconds + 1e-6:
                    break
                time.sleep(max(0.0, due - time.time()))
                rows.append(sample(page, cdp, time.time() - t0))
                r = rows[-1]
                print(f"t={r['t']:5.0f} s  heap {r['heap']:6.1f} MB  nodes {r['nodes']:7.0f}  "
                      f"plots {r['plots']:3.0f}  step {r['step']:,}", flush=True)
            t_stop = time.time()
            try:
                page.get_by_role("button", name="■ Stop").locator("visible=true").first.click(force=True,
                                                                                            timeout=300_000)
                page.locator(STATUS, has_text="stopped").first.wait_for(timeout=300_000)
                stop_s = time.time() - t_stop
            except PlaywrightTimeout:
                stop_s = float("nan")
                print(f"Stop did not answer within {time.time() - t_stop:.0f} s", flush=True)
            end = sample(page, cdp, time.time() - t0)
            cdp.send("HeapProfiler.enable")
            cdp.send("HeapProfiler.collectGarbage")
            gc_heap = metrics(cdp)["JSHeapUsedSize"] / 2**20
            browser.close()
    finally:
        app.terminate()
        try:
            app.wait(20)
        except subprocess.TimeoutExpired:
            app.kill()

    print("\n| t (s) | JS heap (MB) | DOM nodes | Plotly plots | step |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for r in rows + [end]:
        print(f"| {r['t']:.0f} | {r['heap']:.1f} | {r['nodes']:.0f} | {r['plots']:.0f} | {r['step']:,} |")
    first, last = rows[1] if len(rows) > 1 else rows[0], rows[-1]
    print(f"\n{a.tab}, {a.seconds:.0f} s press: heap {rows[0]['heap']:.1f} MB before Train, {first['heap']:.1f} → "
          f"{last['heap']:.1f} MB while streaming (max {max(r['heap'] for r in rows):.1f}), {gc_heap:.1f} MB after "
          f"Stop + GC; nodes {rows[0]['nodes']:.0f} → {first['nodes']:.0f} → {last['nodes']:.0f}; plots "
          f"{first['plots']:.0f} → {last['plots']:.0f}; Stop answered in {stop_s:.1f} s (at step {end['step']:,})")


if __name__ == "__main__":
    main()
