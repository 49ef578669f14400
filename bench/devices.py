"""Steps/s of each family's default model on every device present, the new loop against the old one.

The **new** loop is ``loop.train`` as it is now: loss terms stay on the device and reach the host when
someone looks (here: ``run.history`` every ``--look`` seconds, as the UI redraws) or every
``Run.GOOD_EVERY`` steps. The **old** loop is a copy of ``loop.train`` before that change, kept here as
the baseline: ``float()`` of the loss and of every term after every step and a NaN check per step (a
device→host sync per step), its own history and epoch sums. Both advance **the same run** in the same
process, in alternating blocks of the same number of steps (the order flips every repetition), so load
from other processes hits both; the ratio printed is the median of the per-block ratios.

Devices: the CPU with 1 and with 2 torch threads, then CUDA and Apple's MPS when present (on a machine
without CUDA it says so and measures the CPU only). Each family trains its default ``Config`` on the
data its tab shows first: digits for the image families, the ring of 8 (GAN), moons (diffusion), sine
waves (TD-VAE). Fused Adam is already the default everywhere (``trainers.base.adam``); on CUDA only,
``--compile`` adds a variant with ``model.loss`` through ``torch.compile`` (compile time not counted).

    python bench/devices.py                        # every family, every device, 3 repetitions
    python bench/devices.py --families vae gan --reps 5 --block 1.0
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trainers                                       # noqa: E402
from trainers import data as tdata, loop, tdvae_data  # noqa: E402
from trainers.base import Batch, Diverged, Metrics    # noqa: E402
from trainers.history import History                  # noqa: E402

DEFAULT_DATA = {"ae": "digits", "vae": "digits", "vqvae": "digits", "gan": "ring of 8",
                "diffusion": "moons", "tdvae": "sine waves"}      # the first choice of each tab


# ----------------------------------------------------------------------------- the old loop (baseline)
def _old_next_batch(run: loop.Run, hist: History, sums: dict[str, float], count: list[int]) -> Batch:
    if run.perm is None or run.pos >= len(run.perm):
        if run.perm is not None:
            ended = {k: v / max(1, count[0]) for k, v in sums.items()}
            run.epoch += 1
            hist.epochs.append({"epoch": run.epoch, "step": run.step, **ended})
            sums.clear()
            count[0] = 0
        run.perm = torch.randperm(len(run.data), generator=run.order).to(run.device)
        run.pos = 0
        run.model.on_epoch_start(run.epoch)
    idx = run.perm[run.pos:run.pos + run.batch_size]
    run.pos += run.batch_size
    y = run.data.y.index_select(0, idx) if run.data.y is not None else None
    return Batch(run.data.x.index_select(0, idx), y)


def old_train(run: loop.Run, steps: int) -> None:
    """``loop.train`` before terms stayed on the device: a host sync (float) per term per step."""
    torch.set_flush_denormal(True)
    model, hist, sums, count, good = run.model, History(), {}, [0], None
    for _ in range(steps):
        with run.lock:
            model.train()
            batch = _old_next_batch(run, hist, sums, count)
            candidate = run.snapshot() if run.step % loop.Run.GOOD_EVERY == 0 else None
            out = model.train_step(batch)
            loss = float(out["loss"].detach())
            if not np.isfinite(loss):
                raise Diverged(f"The loss became {loss} at step {run.step + 1}")
            terms, vectors = {}, {}
            for k, v in out.items():
                if k == "loss":
                    continue
                if isinstance(v, torch.Tensor) and v.dim() > 0:
                    vectors[k] = v.detach().float().cpu().tolist()
                else:
                    terms[k] = float(v)
            terms = terms or {"total": loss}
            run.step += 1
            hist.append(run.step, terms)
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + v
            count[0] += 1
            if candidate is not None:
                good = candidate
    model.eval()
    del good


def new_train(run: loop.Run, steps: int, look: float) -> None:
    """``loop.train`` read the way the UI reads it: the history every ``look`` seconds."""
    next_look = time.perf_counter() + look
    for _ in loop.train(run, steps=steps):
        if time.perf_counter() >= next_look:
            run.history
            next_look = time.perf_counter() + look


# ----------------------------------------------------------------------------- measuring
IMAGES: str | None = None      # --data: this image set for the image families instead of their first choice
IMAGE_FAMILIES = ("ae", "vae", "vaevariants", "vqvae", "diffusion")   # image mode on the given set


def make_run(fam: str, device: torch.device) -> loop.Run:
    cfg = trainers.family(fam).Config()
    name = DEFAULT_DATA.get(fam, "digits")          # a family added later: digits, like most tabs
    if IMAGES and fam in IMAGE_FAMILIES:
        name = IMAGES
    data = tdvae_data.load(name, length=cfg.length) if fam == "tdvae" else tdata.load(name)
    return loop.Run(fam, cfg, data, device=device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def timed(fn, run: loop.Run, steps: int) -> tuple[float, float]:
    """Steps per second of ``fn(run, steps)`` over wall time and over this process's CPU time, the
    device's queue drained at both ends. On a box shared with other jobs, wall time swings with their
    load; CPU time counts only the work this process did (the steadier measure on the CPU)."""
    sync(run.device)
    t0, c0 = time.perf_counter(), time.process_time()
    fn(run, steps)
    sync(run.device)
    return steps / (time.perf_counter() - t0), steps / max(1e-9, time.process_time() - c0)


def bench_one(fam: str, device: torch.device, reps: int, block: float, look: float,
              compile_: bool) -> dict[str, float]:
    run = make_run(fam, device)
    variants = {"old": old_train, "new": lambda r, n: new_train(r, n, look)}
    if compile_ and device.type == "cuda":            # options that only pay off on a GPU
        crun = make_run(fam, device)
        try:
            crun.model.loss = torch.compile(crun.model.loss)
            new_train(crun, 30, look)                 # compile outside the timing
            variants["compiled"] = lambda r, n: new_train(crun, n, look)
        except Exception as e:                        # noqa: BLE001 - no compiler, unsupported op, ...
            print(f"    torch.compile unavailable: {type(e).__name__}: {str(e)[:100]}")
    new_train(run, 10, look)                          # warm-up: allocators, first epoch
    old_train(run, 10)
    rate = timed(variants["new"], run, 20)[0]
    steps = max(20, int(rate * block))
    got: dict[str, list[tuple[float, float]]] = {v: [] for v in variants}
    for rep in range(reps):
        for v in (list(variants) if rep % 2 == 0 else list(variants)[::-1]):
            got[v].append(timed(variants[v], run, steps))
    med = statistics.median
    out: dict[str, float] = {v: med(w for w, _ in r) for v, r in got.items()}
    for v in [v for v in got if v != "old"]:      # paired: each block ran next to an old block
        out[f"ratio_{v}"] = med([n[0] / o[0] for n, o in zip(got[v], got["old"])])
        out[f"cpu_ratio_{v}"] = med([n[1] / o[1] for n, o in zip(got[v], got["old"])])
    out["steps"] = steps
    return out


def overhead(n: int = 20_000) -> tuple[float, float]:
    """µs of CPU per step that the loop's own bookkeeping costs, old vs new, without any model math:
    the same VAE-shaped step output (loss, five 0-d terms, a kl_per_dim vector) recorded ``n`` times;
    the new path flushed every ``GOOD_EVERY`` steps as train() does."""
    run = make_run("vae", torch.device("cpu"))
    loss = torch.tensor(1.5, requires_grad=True) * 2
    out = {"loss": loss, **{k: torch.tensor(float(i)) for i, k in enumerate(("total", "recon", "kl", "neg_elbo", "beta"))},
           "kl_per_dim": torch.rand(8)}
    hist, sums = History(), {}
    c0 = time.process_time()
    for i in range(n):                                  # the old loop's per-step work
        v = float(out["loss"].detach())
        if not np.isfinite(v):
            raise Diverged("")
        terms = {k: float(t) for k, t in out.items() if k != "loss" and t.dim() == 0}
        vec = {k: t.detach().float().cpu().tolist() for k, t in out.items() if t.dim() > 0}
        hist.append(i + 1, terms)
        for k, t in terms.items():
            sums[k] = sums.get(k, 0.0) + t
        Metrics(i + 1, run.epoch_progress, terms, vec, 0.0, None)
    old = (time.process_time() - c0) / n * 1e6
    c0 = time.process_time()
    for i in range(n):                                  # the new: queue on the device, flush every 50
        run.record(out)
        if run.step % loop.Run.GOOD_EVERY == 0:
            run.flush()
    run.flush()
    new = (time.process_time() - c0) / n * 1e6
    return old, new


def devices() -> list[tuple[str, torch.device, int]]:
    found = [("cpu, 1 thread", torch.device("cpu"), 1), ("cpu, 2 threads", torch.device("cpu"), 2)]
    if torch.cuda.is_available():
        found.append((f"cuda ({torch.cuda.get_device_name(0)})", torch.device("cuda"), 0))
    else:
        print("No CUDA device here: measuring the CPU only.")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append(("mps", torch.device("mps"), 0))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", nargs="*", default=list(trainers.FAMILIES))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--block", type=float, default=1.5, help="seconds per timed block (about)")
    ap.add_argument("--look", type=float, default=0.25, help="seconds between looks at the history (the UI)")
    ap.add_argument("--compile", action="store_true", help="CUDA only: add a torch.compile'd variant")
    ap.add_argument("--overhead-only", action="store_true", help="only the bookkeeping cost per step")
    ap.add_argument("--data", default=None, help="an image set (e.g. mnist) for the image families")
    args = ap.parse_args()
    global IMAGES
    IMAGES = args.data
    threads0 = torch.get_num_threads()
    torch.set_num_threads(1)
    o = sorted(overhead() for _ in range(3))[1]
    print(f"loop bookkeeping per step, no model math (CPU, 1 thread, median of 3): old {o[0]:.1f} µs, "
          f"new {o[1]:.1f} µs")
    if args.overhead_only:
        return
    print(f"torch {torch.__version__}, {args.reps} repetitions of ~{args.block:g} s blocks per loop, "
          f"a look every {args.look:g} s")
    print(f"{'device':26s} {'family':10s} {'old steps/s':>12s} {'new steps/s':>12s} {'new/old wall':>13s} "
          f"{'new/old cpu':>12s}")
    if args.data:
        print(f"image families on {args.data}")
    for label, dev, threads in devices():
        torch.set_num_threads(threads or threads0)
        for fam in args.families:
            r = bench_one(fam, dev, args.reps, args.block, args.look, args.compile)
            extra = f"   compiled {r['compiled']:8.0f}/s ({r['ratio_compiled']:.2f}×)" if "compiled" in r else ""
            print(f"{label:26s} {fam:10s} {r['old']:12.1f} {r['new']:12.1f} {r['ratio_new']:12.2f}× "
                  f"{r['cpu_ratio_new']:11.2f}×{extra}", flush=True)
    torch.set_num_threads(threads0)


if __name__ == "__main__":
    main()
