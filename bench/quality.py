"""How long one sample-quality evaluation takes (issue 14): FID + KID + precision/recall (+ IS) of 2,000
generated samples against 2,000 real ones, on 2 CPU threads. Aim: under 1 s, so it can run live.

    python bench/quality.py [--threads 2] [--n 2000] [--repeat 3]

Prints, per data set: the classifier's feature pass over 2,000 images, each score on the features, and the whole
``Scorer.score`` call; and, as the baseline measured in the same run, the textbook FID with scipy's ``sqrtm``
(what pytorch-fid does) on the same features, with the ratio.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("PLAYGROUND_MNIST", "offline")

from trainers import data, quality  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def scipy_fid(a: np.ndarray, b: np.ndarray) -> float:
    m1, m2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = np.real(scipy.linalg.sqrtm(s1 @ s2))
    return float((m1 - m2) @ (m1 - m2) + np.trace(s1 + s2 - 2 * covmean))


def kid_loop(real: np.ndarray, fake: np.ndarray, subsets: int = 10, size: int = 1000, seed: int = 0) -> float:
    """The baseline KID: a matrix-vector product per subset (what trainers/quality.py did before)."""
    kxx, kyy, kxy = (quality.poly_kernel(a, b) for a, b in ((real, real), (fake, fake), (real, fake)))
    m, n = real.shape[0], fake.shape[0]
    size = min(size, m, n)
    rng, vals = np.random.default_rng(seed), []
    for _ in range(subsets):
        sx, sy = np.zeros(m), np.zeros(n)
        ix, iy = rng.choice(m, size, replace=False), rng.choice(n, size, replace=False)
        sx[ix], sy[iy] = 1.0, 1.0
        xx = (sx @ kxx @ sx - np.diag(kxx)[ix].sum()) / (size * (size - 1))
        yy = (sy @ kyy @ sy - np.diag(kyy)[iy].sum()) / (size * (size - 1))
        vals.append(xx + yy - 2 * (sx @ kxy @ sy) / size ** 2)
    return float(np.mean(vals))


def radii_kth(f: torch.Tensor, k: int = quality.K_NN) -> torch.Tensor:
    """The baseline k-NN radii: ``kthvalue`` (before), where the scorer now takes ``topk``."""
    d = quality._sqdist(f, f)
    d.fill_diagonal_(float("inf"))
    return d.kthvalue(k, dim=1).values


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", nargs="*", default=["digits", "sprites", "mnist"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} threads, n = {a.n} generated vs {a.n} real samples")
    for name in a.data:
        d = data.load(name)
        t0 = time.perf_counter()
        sc = quality.scorer(d)
        print(f"\n{name} {d.shape}: scorer ready in {time.perf_counter() - t0:.2f} s "
              f"(classifier {sc.source}, {100 * sc.test_accuracy:.1f}% held-out)")
        g = torch.Generator().manual_seed(0)
        real_x = torch.cat([d.x, d.x_test])[torch.randperm(d.x.shape[0] + d.x_test.shape[0], generator=g)[:a.n]]
        fake_x = (real_x[torch.randperm(real_x.shape[0], generator=g)] + 0.2 * torch.rand(real_x.shape, generator=g)).clamp(0, 1)
        t_feat = best(lambda: sc.features(fake_x), a.repeat)
        fr, ff = sc.features(real_x).double().numpy(), sc.features(fake_x).double().numpy()
        t_fid = best(lambda: quality.fid(fr, ff), a.repeat)
        t_kid = best(lambda: quality.kid(fr, ff), a.repeat)
        t_pr = best(lambda: quality.precision_recall(fr, ff), a.repeat)
        t_scipy = best(lambda: scipy_fid(fr, ff), a.repeat)
        assert abs(scipy_fid(fr, ff) - quality.fid(fr, ff)) < 1e-4 * max(1.0, quality.fid(fr, ff))
        total = t_feat + t_fid + t_kid + t_pr
        print(f"  features of {a.n} images  {t_feat * 1e3:8.1f} ms")
        print(f"  FID (eigh)               {t_fid * 1e3:8.1f} ms   baseline scipy sqrtm: {t_scipy * 1e3:.1f} ms "
              f"(×{t_scipy / max(t_fid, 1e-9):.1f})")
        t_kid0 = best(lambda: kid_loop(fr, ff), a.repeat)
        assert abs(kid_loop(fr, ff) - quality.kid(fr, ff)[0]) < 1e-9 * max(1.0, abs(kid_loop(fr, ff)))
        ft = torch.as_tensor(ff).float()
        t_rad, t_rad0 = best(lambda: quality.knn_radii(ft), a.repeat), best(lambda: radii_kth(ft), a.repeat)
        print(f"  KID (10 subsets of 1000) {t_kid * 1e3:8.1f} ms   baseline matvec per subset: {t_kid0 * 1e3:.1f} ms "
              f"(×{t_kid0 / max(t_kid, 1e-9):.1f})")
        print(f"  precision & recall (k=3) {t_pr * 1e3:8.1f} ms   (k-NN radii topk {t_rad * 1e3:.1f} ms, baseline "
              f"kthvalue {t_rad0 * 1e3:.1f} ms: ×{t_rad0 / max(t_rad, 1e-9):.1f})")
        print(f"  one evaluation in all    {total * 1e3:8.1f} ms   ({'under' if total < 1 else 'OVER'} the 1 s aim)")
        # the call the tabs make: the scorer's own real set is the test split (≤ 2,000 images)
        t_score = best(lambda: sc.score(fake_x), a.repeat)
        print(f"  Scorer.score({a.n}) vs its {sc.real.shape[0]} held-out real: {t_score * 1e3:.1f} ms   "
              f"(load average {os.getloadavg()[0]:.1f})")
    print(f"\n(timings: best of {a.repeat}; median load may differ — rerun on a quiet machine for figures to quote)")


if __name__ == "__main__":
    main()
