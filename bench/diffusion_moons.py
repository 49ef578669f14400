"""Bench: a default DDPM on 2D moons for 20 s of wall time on CPU, then the Chamfer distance of its samples.

Prints the Chamfer distance between 1,000 samples and the held-out data, that of pure N(0, I) noise
(the baseline an untrained sampler scores), their ratio, and the floor (1,000 real points). Usage: python bench/diffusion_moons.py [seconds]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch                                                    # noqa: E402

from trainers import data                                      # noqa: E402
from trainers.diffusion import Config                          # noqa: E402
from trainers.loop import Run, train                           # noqa: E402
from trainers.metrics import chamfer, noise_baseline           # noqa: E402


def main(seconds: float = 20.0, dataset: str = "moons", threads: int = 1, **overrides) -> dict[str, float]:
    # One thread: a 128-wide MLP gains nothing from two, and on a shared 2-core box OpenMP's
    # spin-waiting makes two threads up to 10× slower than one (measured here).
    torch.set_num_threads(threads)
    ds = data.load(dataset)
    cfg = Config(**overrides)
    run = Run("diffusion", cfg, ds, device="cpu")
    t0 = time.perf_counter()
    for _ in train(run, seconds=seconds):
        pass
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    with run.evaluating() as model:
        samples = model.sample(1000, seed=1)
    sample_s = time.perf_counter() - t1
    ref = ds.x_test
    c_model = chamfer(samples, ref)
    c_noise = noise_baseline(ref, 1000, seed=1)
    c_floor = chamfer(ds.x[:1000], ref)          # 1,000 real training points: the best a sampler can do
    last = run.history.terms["total"][-50:]
    out = {"steps": run.step, "train_s": train_s, "sample_s": sample_s, "loss_last50": sum(last) / len(last),
           "chamfer_model": c_model, "chamfer_noise": c_noise, "chamfer_floor": c_floor,
           "ratio": c_model / c_noise}
    print(f"{dataset}: {run.step} steps in {train_s:.1f} s ({run.step / train_s:.0f} steps/s), "
          f"sampling {cfg.T} steps × 1000 points in {sample_s:.2f} s")
    print(f"loss (mean of last 50 steps): {out['loss_last50']:.3f}")
    print(f"Chamfer(samples, data) = {c_model:.4f}   Chamfer(noise, data) = {c_noise:.4f}   "
          f"ratio = {out['ratio']:.3f}")
    print(f"floor: Chamfer(1000 real training points, data) = {c_floor:.4f}")
    return out


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0)
