"""Bench: training time until samples reach Chamfer ≤ 0.05 on moons, DDPM vs a score model vs flow matching,
all measured in the same run, on the same data, with the same network width (issue 13).

Each model trains in chunks of ``chunk`` steps; after each chunk 1,000 samples (seed 1) are drawn with the model's
usual sampler and compared with the held-out points. The clock counts training only (sampling is timed apart).
Samplers: DDPM ancestral with all T = 100 steps; VE score PC with N = 50, M = 1, r = 0.16 (100 network calls);
flow matching Euler with 50 steps. Prints seconds and steps to the target and each against DDPM's.
Usage: python bench/score_moons.py [max seconds per model] [target]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch                                                    # noqa: E402

from trainers import data, diffusion, score                    # noqa: E402
from trainers.loop import Run, train                           # noqa: E402
from trainers.metrics import chamfer                           # noqa: E402

MODELS = {
    "DDPM (ε-prediction, T = 100, ancestral)": ("diffusion", diffusion.Config(), dict()),
    "score, VE SDE (PC: N = 50, M = 1)": ("score", score.Config(objective="ve"),
                                          dict(sampler="pc", steps=50, corrector=1, snr=0.16)),
    "score, VP SDE (PC: N = 50, M = 1)": ("score", score.Config(objective="vp"),
                                          dict(sampler="pc", steps=50, corrector=1, snr=0.16)),
    "flow matching (Euler, 50 steps)": ("score", score.Config(objective="flow"), dict(sampler="euler", steps=50)),
}


def time_to_target(family: str, cfg, sample_kw: dict, ds, target: float, max_s: float, chunk: int) -> dict:
    run = Run(family, cfg, ds, device="cpu")
    train_s, sample_s, best = 0.0, 0.0, float("inf")
    while train_s < max_s:
        t0 = time.perf_counter()
        for _ in train(run, steps=chunk):
            pass
        train_s += time.perf_counter() - t0
        t1 = time.perf_counter()
        with run.evaluating() as m:
            x = m.sample(1000, seed=1, **sample_kw).cpu()
        sample_s = time.perf_counter() - t1
        c = chamfer(x, ds.x_test)
        best = min(best, c)
        if c <= target:
            return {"reached": True, "train_s": train_s, "steps": run.step, "chamfer": c, "sample_s": sample_s}
    return {"reached": False, "train_s": train_s, "steps": run.step, "chamfer": best, "sample_s": sample_s}


def main(max_s: float = 120.0, target: float = 0.05, chunk: int = 250, threads: int = 1) -> dict[str, dict]:
    torch.set_num_threads(threads)    # as bench/diffusion_moons.py: one thread is fastest for a 128-wide MLP
    ds = data.load("moons")
    floor = chamfer(ds.x[:1000], ds.x_test)
    print(f"moons, target Chamfer ≤ {target} (floor: 1,000 real points score {floor:.4f}); "
          f"checked every {chunk} steps; at most {max_s:.0f} s of training each")
    out = {}
    for name, (family, cfg, kw) in MODELS.items():
        r = out[name] = time_to_target(family, cfg, kw, ds, target, max_s, chunk)
        got = "reached" if r["reached"] else f"NOT reached (best {r['chamfer']:.4f})"
        print(f"{name:44s} {got:24s} {r['train_s']:6.1f} s, {r['steps']:5d} steps "
              f"({r['steps'] / r['train_s']:.0f} steps/s); sampling 1,000 points {r['sample_s']:.2f} s", flush=True)
    base = next(iter(out.values()))
    print("relative to DDPM (time to target, sampling time):")
    for name, r in out.items():
        print(f"  {name:44s} {r['train_s'] / base['train_s']:5.2f}×  {r['sample_s'] / base['sample_s']:5.2f}×"
              + ("" if r["reached"] else "  (target not reached: a lower bound)"))
    return out


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:3]))
