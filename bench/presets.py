"""Every tab's every teaching preset, trained through the trainers (not the UI): how long until its point shows.

A preset's point is what its note describes after the steps a Train press of that preset runs (the tab's
"Steps per Train press", or what the preset sets there: VQ-VAE's PRESET_CONTROLS). For each preset this
builds the run exactly as a press would (the preset's data, its settings over the Config's defaults, the
tab's own data loader) and trains it on the CPU with the app's thread count, timing

- ``build``: reading the data and building the model (a press's "reading the data and building the model"),
- ``wall``: the training steps, wall time,
- ``cpu``: process CPU seconds over the same steps (all threads): on a shared box ``wall`` grows with the
  load of other processes while ``cpu`` does not; ``cpu / threads`` is what a quiet machine's wall would be
  at best.

Rendering (the views a press draws a few times a second) is not counted: the status line's "drawing N% of
the time" measures it in the app. A preset that passes ``--cap`` seconds is stopped there and its total is
extrapolated from the steps done (marked ``~``). Prints one row per preset and flags those above 60 s.

    python bench/presets.py                      # every preset
    python bench/presets.py --only vqvae --cap 120
    python bench/presets.py --only "vae:β-VAE"   # tab, or tab:substring of the preset's name
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gradio as gr                                   # noqa: E402  (a tab's Panel holds its presets and loader)

from playground import TABS, _module                  # noqa: E402
from playground.session import THREADS                # noqa: E402
from trainers import loop                             # noqa: E402

LIMIT = 60.0          # every preset should show its point within a minute on 2 cores


def panels(only: str | None) -> list:
    """(tab, Panel) for every tab with presets, built inside a throwaway Blocks."""
    out = []
    with gr.Blocks():
        for tab in TABS:
            if only and only.split(":")[0] != tab:
                continue
            mod = importlib.import_module(_module(tab))
            with gr.Tab(tab):
                panel = mod.build()
            if getattr(panel, "presets", None):
                out.append((tab, mod, panel))
    return out


def steps_for(mod, panel, name: str) -> int:
    extra = getattr(mod, "PRESET_CONTROLS", {}).get(name)
    return int(extra[0]) if extra else int(panel.default_steps)


def measure(panel, mod, name: str, cap: float) -> dict:
    data_name, overrides, _ = panel.presets[name]
    steps = steps_for(mod, panel, name)
    c0, t0 = time.process_time(), time.perf_counter()
    cfg = panel.config_cls(**overrides)
    data = panel._load(data_name, None, cfg)
    run = loop.Run(panel.family, cfg, data, device="cpu")
    build = time.perf_counter() - t0
    c1, t1 = time.process_time(), time.perf_counter()
    done = 0
    for _ in loop.train(run, steps=steps, seconds=cap):
        done += 1
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    scale = steps / max(done, 1)
    return dict(data=data_name, steps=steps, done=done, build=build, wall=wall * scale, cpu=cpu * scale,
                total=build + wall * scale, build_cpu=c1 - c0, guessed=done < steps)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="a tab (vqvae), or tab:part of a preset's name")
    ap.add_argument("--cap", type=float, default=240.0, help="seconds of training per preset before extrapolating")
    ap.add_argument("--threads", type=int, default=THREADS, help="torch threads (the app's own by default)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch threads {torch.get_num_threads()}, cap {a.cap:.0f} s per preset; times in seconds; "
          f"~ = extrapolated past the cap")
    print(f"{'tab':<12} {'preset':<52} {'data':<14} {'steps':>6} {'build':>6} {'wall':>7} {'cpu':>7} "
          f"{'total':>7}  flag")
    rows = []
    for tab, mod, panel in panels(a.only):
        for name in panel.presets:
            if a.only and ":" in a.only and a.only.split(":", 1)[1].lower() not in name.lower():
                continue
            r = measure(panel, mod, name, a.cap)
            rows.append((tab, name, r))
            mark = "~" if r["guessed"] else " "
            flag = f"> {LIMIT:.0f} s" if r["total"] > LIMIT else ""
            print(f"{tab:<12} {name[:52]:<52} {r['data'][:14]:<14} {r['steps']:>6} {r['build']:>6.1f} "
                  f"{mark}{r['wall']:>6.1f} {mark}{r['cpu']:>6.1f} {mark}{r['total']:>6.1f}  {flag}", flush=True)
    slow = [(t, n, r) for t, n, r in rows if r["total"] > LIMIT]
    print(f"\n{len(rows)} presets; {len(slow)} above {LIMIT:.0f} s wall"
          + (": " + "; ".join(f"{t}/{n} {r['total']:.0f} s" for t, n, r in slow) if slow else "."))


if __name__ == "__main__":
    main()
