"""How long "Start from a trained example" takes (issue 15, item 4: "loads in under a second").

    python bench/examples_load.py                          # in-process, median of 5 per example
    python bench/examples_load.py --url http://127.0.0.1:7860/   # also through a running app (gradio_client)

For each shipped example (assets/examples/), the median of ``--reps`` runs of

- **load**: ``trainers.checkpoint.load`` of the zip (what the app's loader does first);
- **load+views**: that, plus the tab's ``render(run, View())``: the views the page shows at once;
- **fresh**: the baseline, measured in the same run: building the same untrained ``Run`` (model and
  optimizers; the data already in memory), the least a first **▶ Train** press costs before its first step;
- **app** (with ``--url``): one ``/<family>_example`` call through gradio_client, end to end.

It prints the seconds, the ratio load/fresh, and how long the example took to train (from
``bench/make_examples.py``'s note beside it): the minutes a class does not wait.
"""
from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402

from playground import examples  # noqa: E402
from trainers import checkpoint, loop  # noqa: E402

FAMILIES = ["ae", "vae", "vaevariants", "vqvae", "gan", "diffusion", "score", "tdvae"]


def median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--url", default="", help="a running app to time /<family>_example through gradio_client")
    args = ap.parse_args()
    client = None
    if args.url:
        from gradio_client import Client
        client = Client(args.url, verbose=False)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median of {args.reps}")
    print(f"{'example':58s} {'load':>7s} {'+views':>7s} {'fresh':>7s} {'load/fresh':>10s} "
          f"{'app':>7s} {'trained':>8s}")
    for family in FAMILIES:
        tab = importlib.import_module(f"playground.tabs.{family}")
        view_cls = getattr(tab, "View", None)
        for name, path in examples.available(family, tab.PRESETS).items():
            run = checkpoint.load(path, device="cpu")
            load = median_time(lambda: checkpoint.load(path, device="cpu"), args.reps)

            def with_views() -> None:
                r = checkpoint.load(path, device="cpu")
                tab.render(r, view_cls() if view_cls else None)
            views = median_time(with_views, args.reps)
            fresh = median_time(lambda: loop.Run(family, run.cfg, run.data, device="cpu"), args.reps)
            app = median_time(lambda: client.predict(example=name, api_name=f"/{family}_example"),
                              args.reps) if client else float("nan")
            with safe_open(str(path.with_suffix(".samples.safetensors")), "pt") as f:
                trained = float(f.metadata().get("seconds", "nan"))
            print(f"{path.name[:58]:58s} {load:7.3f} {views:7.3f} {fresh:7.3f} {load / fresh:10.2f} "
                  f"{app:7.3f} {trained:7.0f}s", flush=True)


if __name__ == "__main__":
    main()
