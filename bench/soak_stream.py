"""Soak: one visitor streams a long Train press; the server's RSS is sampled over time.

    python bench/soak_stream.py [seconds=180] [tab=vae]

Launches `python app.py` on a free loopback port, presses Train for 100,000 steps through gradio_client,
reads the app's RSS (from /proc) every 5 s, then stops the press and waits 30 s. Prints the samples and
the least-squares slope of RSS over the press after a 30 s warm-up (MB per minute). Before the fix in
`playground/panel.as_update` this slope was ≈ 70 MB/min (1.2 MB/s, issue 16); it should now be ≈ 0.
Loopback only; bounded in time.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 180.0
    tab = sys.argv[2] if len(sys.argv) > 2 else "vae"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1",
               GRADIO_ANALYTICS_ENABLED="False")
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        from gradio_client import Client
        client = Client(url, verbose=False)
        job = client.submit(data="digits", steps=100_000, api_name=f"/{tab}_train")
        t0, samples = time.time(), []
        while time.time() - t0 < seconds:
            samples.append((time.time() - t0, rss_mb(app.pid), len(job.outputs())))
            print(f"t={samples[-1][0]:6.0f} s  RSS {samples[-1][1]:7.1f} MB  yields {samples[-1][2]}", flush=True)
            time.sleep(5)
        job.cancel()
        time.sleep(30)
        after = rss_mb(app.pid)
        t, r = np.array([s[0] for s in samples]), np.array([s[1] for s in samples])
        keep = t >= 30
        slope = np.polyfit(t[keep], r[keep], 1)[0] * 60 if keep.sum() >= 3 else float("nan")
        print(f"\n{tab}: {samples[-1][2]} streamed updates in {seconds:.0f} s; RSS slope after warm-up "
              f"{slope:+.1f} MB/min; RSS {r[0]:.0f} → {r.max():.0f} (max) → {after:.0f} MB 30 s after Stop")
    finally:
        app.terminate()
        app.wait(20)


if __name__ == "__main__":
    main()
