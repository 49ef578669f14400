"""Train the runs each tab offers under "Start from a trained example" (issue 15, item 4).

    python bench/make_examples.py                 # all of them, into assets/examples/
    python bench/make_examples.py --only gan      # one family (or a comma-separated list)
    python bench/make_examples.py --scale 0.1     # a quick try: a tenth of the steps, into --out

Each example is one tab's teaching preset (its data and settings, the Config's default seed 0), trained
on the CPU for a fixed number of steps with one thread (so the same torch gives the same bytes), and
written with ``trainers.checkpoint.save``: the same zip the Export button writes, loaded back by the same
code as Import (``playground/examples.py``). Prints steps, seconds, the final loss and the file's size; the
whole folder is meant to stay a few MB (small presets, steps chosen to look trained, not to be best).
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

import trainers  # noqa: E402
from trainers import checkpoint, data, loop, tdvae_data  # noqa: E402

# (family, preset as named in the tab's PRESETS, optimizer steps)
EXAMPLES = [
    ("ae", "Denoising: masking noise", 3000),
    ("vae", "Posterior collapse (β = 8 on digits)", 3000),
    ("vaevariants", "AAE: codes onto a ring of 10 Gaussians", 3000),
    ("vqvae", "EMA codebook with restarts", 1500),
    ("gan", "mode collapse", 4000),
    ("gan", "WGAN-GP covers the modes", 1500),
    ("diffusion", "Classifier-free guidance (moons)", 3000),
    ("score", "Flow matching: straight paths (moons)", 3000),
    ("tdvae", "Sine waves: jumpy prediction", 1500),
]


def preset(family: str, name: str) -> tuple[str, dict]:
    tab = importlib.import_module(f"playground.tabs.{family}")
    dataset, settings, _ = tab.PRESETS[name]
    return dataset, settings


def make(family: str, name: str, steps: int, out: Path) -> dict:
    from playground.examples import filename, fingerprint
    dataset, settings = preset(family, name)
    cfg = trainers.family(family).Config(**settings)
    # the tab's own loaders: TD-VAE makes its sequences at the length the settings ask for
    ds = tdvae_data.load(dataset, length=cfg.length) if family == "tdvae" else data.load(dataset)
    torch.manual_seed(0)
    run = loop.Run(family, cfg, ds, device="cpu")
    t0 = time.perf_counter()
    for _ in loop.train(run, steps=steps):
        pass
    seconds = time.perf_counter() - t0
    blob = checkpoint.save(run)
    path = out / filename(family, name)
    path.write_bytes(blob)
    # the samples of the model as trained, before any save: tests/test_examples.py loads the zip and compares
    save_file({"samples": fingerprint(run).contiguous()}, str(path.with_suffix(".samples.safetensors")),
              metadata={"preset": name, "steps": str(run.step), "seconds": f"{seconds:.1f}"})
    last = run.history.to_csv().strip().splitlines()[-1]
    return dict(family=family, preset=name, steps=run.step, seconds=seconds, bytes=len(blob), path=path, last=last)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="comma-separated families (default: all)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every step count (a quick try)")
    ap.add_argument("--out", default=str(ROOT / "assets" / "examples"))
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = {f for f in args.only.split(",") if f}
    total = 0
    print(f"{'example':62s} {'steps':>6s} {'seconds':>8s} {'size':>9s}")
    for family, name, steps in EXAMPLES:
        if only and family not in only:
            continue
        r = make(family, name, max(1, round(steps * args.scale)), out)
        total += r["bytes"]
        print(f"{r['path'].name:62s} {r['steps']:6d} {r['seconds']:8.1f} {r['bytes'] / 2**20:7.2f} MB", flush=True)
    on_disk = sum(p.stat().st_size for p in out.glob("*--*"))
    print(f"written now: {total / 2**20:.2f} MB; {out} holds {on_disk / 2**20:.2f} MB of examples")


if __name__ == "__main__":
    main()
