"""The VAE tab as a user feels it: click → first point, training speed under the UI, samples after 10 s.

Launches `python app.py`, drives /vae_train through gradio_client, and compares with the same
training in a plain loop measured in the same run:
  * latency from pressing Train to the first streamed point of the curve;
  * steps reached in 10 s through the UI vs the plain trainers loop (what drawing and streaming cost);
  * the share of time the app itself reports spending on drawing;
  * "recognisable" samples after 10 s: the fraction of prior samples a digit classifier (logistic
    regression on the training digits) labels with ≥ 90 % confidence, vs the same for real test digits.
Usage: python bench/ui_latency.py [--seconds 10]
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from trainers import data, loop  # noqa: E402
from trainers.vae import Config  # noqa: E402

SETTINGS = Config()   # the tab's defaults


def step_of(status: str) -> int:
    m = re.search(r"step ([\d,]+)", status)
    return int(m.group(1).replace(",", "")) if m else -1


def launch() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(1)
    proc.kill()
    raise SystemExit("the app did not start")


def plain_steps(seconds: float) -> int:
    run = loop.Run("vae", SETTINGS, data.load("digits"))
    for _ in loop.train(run, seconds=seconds):
        pass
    return run.step


def recognisable(images: torch.Tensor, clf) -> float:
    p = clf.predict_proba(images.reshape(len(images), -1).numpy() * 16)
    return float((p.max(1) >= 0.9).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    from playground.session import THREADS
    torch.set_num_threads(THREADS)        # as the app does
    from gradio_client import Client
    from sklearn.linear_model import LogisticRegression

    proc, url = launch()
    firsts, ratios, shares = [], [], []
    try:
        client = Client(url, verbose=False, download_files=False)   # a browser, not this process, fetches images
        args = ["digits", None, 100_000, *SETTINGS.to_dict().values()]
        client.predict(*args[:2], 1, *args[3:], api_name="/vae_train")          # warm-up press
        for rep in range(a.reps):                 # UI and plain loop interleaved: the machine's load drifts
            client.predict(api_name="/vae_reset")
            t0 = time.perf_counter()
            job = client.submit(*args, api_name="/vae_train")
            first = None
            while time.perf_counter() - t0 < a.seconds:
                outs = job.outputs()
                if first is None and outs and step_of(outs[-1][0]) >= 1 and outs[-1][1] is not None:
                    first = time.perf_counter() - t0
                time.sleep(0.02)
            job.cancel()
            time.sleep(1.0)
            status = [o[0] for o in job.outputs() if o[0]][-1]
            share = re.search(r"drawing (\d+)%", status)
            base = plain_steps(a.seconds)
            firsts.append(first or float("nan"))
            ratios.append(step_of(status) / max(1, base))
            shares.append(float(share.group(1)) if share else float("nan"))
            print(f"rep {rep}: UI {step_of(status)} steps, plain {base} steps in {a.seconds:.0f} s; "
                  f"first point {first or float('nan'):.2f} s; app-reported drawing {shares[-1]:.0f}%")
    finally:
        proc.terminate()
        proc.wait(20)

    # samples after the same wall time of training, from the trainers API (what the tab shows)
    torch.manual_seed(0)
    d = data.load("digits")
    run = loop.Run("vae", SETTINGS, d)
    for _ in loop.train(run, seconds=a.seconds):
        pass
    clf = LogisticRegression(max_iter=2000).fit(d.x.reshape(len(d), -1).numpy() * 16, d.y.numpy())
    with run.evaluating() as m:
        samples = m.sample(500).cpu()
    print(f"click → first point on the curve: median {np.nanmedian(firsts):.2f} s")
    print(f"training speed with the UI streaming / plain loop: median {np.median(ratios):.0%} "
          f"(so streaming and drawing cost {max(0.0, 1 - np.median(ratios)):.0%})")
    print(f"drawing share reported by the app: median {np.nanmedian(shares):.0f}%")
    print(f"recognisable samples after {a.seconds:.0f} s ({run.step} steps): {recognisable(samples, clf):.0%} "
          f"(real test digits: {recognisable(d.x_test.cpu(), clf):.0%})")
    from playground.figures import grid
    from PIL import Image
    Image.fromarray(grid(samples[:64], nrow=8)).save(ROOT / "bench" / "samples_after_10s.png")


if __name__ == "__main__":
    main()
