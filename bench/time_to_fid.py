"""Time to reach a fixed FID on 28×28 MNIST from a cold start, on 2 CPU cores, for VAE, GAN and DDPM (issue 14):
the figure a teacher needs to plan a lesson ("how long until the samples look like digits?").

    PLAYGROUND_MNIST=offline python bench/time_to_fid.py [--minutes 4] [--every 15] [--n 500] [--threads 2]

Each family trains from a fresh run (the tab's own Run, the offline 9,000 + 1,000 MNIST split, a config like
its tab's image settings: ``CONFIGS``), and every ``--every`` seconds of training the run is paused and scored
(``--n`` samples, trainers/quality.py: FID in the 64-D features of the small MNIST classifier). Scoring time is
*not* counted: the clocks are those of the training steps only, wall (time.perf_counter) and CPU (the process's
user + system time, both cores together).

Thresholds (``--thresholds``, FID in the classifier's feature space, ``--n`` samples): 1,100 is where the VAE's
blurry samples get within a minute and then level off (~950 after 6,000 steps on a quiet box: the MLP VAE's
samples are averages, which the classifier's features tell from digits), so it is the one all three reach;
500 and 200 are "digit-like" levels a GAN reaches within a minute. For scale the script prints the floor: the
FID of ``--n`` real training images against the held-out test features (what a perfect generator would score at
this sample count). The table gives the first training time each family got under each threshold, or
"not in X min".

The box is shared and noisy: the load average is printed at the start and end; compare the families against
each other, measured in the same run, rather than against figures from another day.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PLAYGROUND_MNIST", "offline")

from trainers import data, quality  # noqa: E402
from trainers.base import global_rng  # noqa: E402
from trainers.loop import Run, train  # noqa: E402

# like each tab's settings for images (the tabs' defaults unless noted)
CONFIGS = {
    "vae": dict(),                                             # MLP 784-400-8, BCE, β = 1
    "gan": dict(arch="dcgan", objective="non-saturating"),     # DCGAN (conv + BatchNorm), the image architecture
    "diffusion": dict(T=100, width=16, lr=2e-3, batch_size=64),   # the "Digits with a U-Net" preset's network
}
SAMPLE_KW = {"diffusion": dict(sampler="ddim", steps=20)}     # DDPM's 100 steps for every score would dominate


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def score(run: Run, sc: quality.Scorer, n: int, kw: dict) -> float:
    with run.evaluating() as m, global_rng(0):
        x = m.sample(n, **kw)
    return sc.score(x)[0].fid


def race(family: str, d, sc, a) -> list[tuple[float, float, int, float]]:
    """Train from a cold start; (training wall s, training CPU s, step, FID) every ``a.every`` s of training."""
    cfg = __import__("trainers").family(family).Config(**CONFIGS[family])
    t0 = time.perf_counter()
    run = Run(family, cfg, d, device="cpu")
    wall, cpus = time.perf_counter() - t0, 0.0            # building the model counts: it is part of a cold start
    points = []
    while wall < 60 * a.minutes:
        c0, w0 = cpu(), time.perf_counter()
        for _ in train(run, seconds=a.every):
            pass
        wall += time.perf_counter() - w0
        cpus += cpu() - c0
        fid = score(run, sc, a.n, SAMPLE_KW.get(family, {}))
        points.append((wall, cpus, run.step, fid))
        print(f"  {family:9s} step {run.step:6,d}  train {wall:6.1f} s wall {cpus:6.1f} s CPU  FID {fid:8.2f}",
              flush=True)
    return points


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=4.0, help="training time per family")
    ap.add_argument("--every", type=float, default=15.0, help="seconds of training between scores")
    ap.add_argument("--n", type=int, default=500, help="samples per score")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--families", nargs="*", default=list(CONFIGS))
    ap.add_argument("--thresholds", type=float, nargs="*", default=[1100.0, 500.0, 200.0],
                    help="FID thresholds to report the time to")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} threads; load average at start "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    d = data.load("mnist")
    sc = quality.scorer(d)
    g = torch.Generator().manual_seed(0)
    floor = sc.score(d.x[torch.randperm(d.x.shape[0], generator=g)[:a.n]])[0].fid
    print(f"MNIST {d.x.shape[0]:,} train / {d.x_test.shape[0]:,} held out; classifier {sc.source}, "
          f"{100 * sc.test_accuracy:.1f}% held-out accuracy; FID floor ({a.n} real training images vs the test set): "
          f"{floor:.2f}")
    curves = {}
    for fam in a.families:
        print(f"\n{fam}: {CONFIGS[fam]}", flush=True)
        curves[fam] = race(fam, d, sc, a)
    thresholds = a.thresholds
    print(f"\nload average at end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"\n| family | best FID (step) | " + " | ".join(f"FID ≤ {t:,.0f}" for t in thresholds) + " |")
    print("|---|---|" + "---|" * len(thresholds))
    for fam, pts in curves.items():
        best = min(pts, key=lambda p: p[3])
        cells = []
        for t in thresholds:
            hit = next((p for p in pts if p[3] <= t), None)
            cells.append(f"{hit[0]:.0f} s ({hit[1]:.0f} s CPU, step {hit[2]:,})" if hit else
                         f"not in {a.minutes:g} min")
        print(f"| {fam} | {best[3]:.1f} ({best[2]:,}) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
