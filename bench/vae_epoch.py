"""One VAE epoch through the trainers API vs a plain pytorch/examples-style loop, measured in the same run.

Both train pytorch/examples' vae/main.py model (784-400-20 MLP, ReLU, batch 128, summed BCE + KL,
Adam lr 1e-3) from the same initial weights on the same data in the same order with the same
reparameterisation noise, so their epoch losses must agree closely: the speed-up may not come
from different numerics. The plain loop is the recipe as written: a DataLoader over a
TensorDataset, sigmoid + F.binary_cross_entropy(reduction="sum"), torch.optim.Adam, and
``loss.item()`` every step. Variants run interleaved (the order alternates) and the median of
the repetitions is reported, so a burst of load from another process hits both.

    python bench/vae_epoch.py                 # 60,000 images (MNIST test split ×6), 3 repetitions
    python bench/vae_epoch.py --n 10000 --reps 5 --threads 1 --no-compile
"""
from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trainers import loop, vae                       # noqa: E402
from trainers.base import Batch                      # noqa: E402
from trainers.data import Dataset                    # noqa: E402

MNIST_RAW = ROOT.parent / "shared" / "data" / "MNIST" / "raw"
SEED = 0


# ----------------------------------------------------------------------------- data
def mnist_images(n: int) -> tuple[torch.Tensor, str]:
    """(n, 1, 28, 28) in [0, 1]: the real MNIST test images (replicated up to n), else Bernoulli noise."""
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"):
        p = MNIST_RAW / name
        if p.exists():
            raw = gzip.open(p).read() if p.suffix == ".gz" else p.read_bytes()
            x = torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).view(-1, 1, 28, 28).float() / 255
            reps = -(-n // x.shape[0])
            src = f"real MNIST test images ({x.shape[0]:,}{f', replicated ×{reps}' if reps > 1 else ''})"
            return x.repeat(reps, 1, 1, 1)[:n].contiguous(), src
    g = torch.Generator().manual_seed(SEED)
    return torch.bernoulli(torch.full((n, 1, 28, 28), 0.13), generator=g), "random Bernoulli(0.13) images"


# ----------------------------------------------------------------------------- plain recipe
class PlainVAE(nn.Module):
    """pytorch/examples vae/main.py, verbatim in substance."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def plain_from(model: vae.Model) -> PlainVAE:
    """The plain model with exactly the trainers model's initial weights (fc21/fc22 = the two halves)."""
    p = PlainVAE()
    enc, dec = model.encoder, model.decoder
    with torch.no_grad():
        p.fc1.weight.copy_(enc[0].weight), p.fc1.bias.copy_(enc[0].bias)
        p.fc21.weight.copy_(enc[2].weight[:20]), p.fc21.bias.copy_(enc[2].bias[:20])
        p.fc22.weight.copy_(enc[2].weight[20:]), p.fc22.bias.copy_(enc[2].bias[20:])
        p.fc3.weight.copy_(dec[0].weight), p.fc3.bias.copy_(dec[0].bias)
        p.fc4.weight.copy_(dec[2].weight), p.fc4.bias.copy_(dec[2].bias)
    return p


def plain_epoch(model: PlainVAE, x: torch.Tensor) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, mean loss per image) of one epoch of the recipe."""
    torch.set_flush_denormal(False)          # the recipe doesn't set it (the trainers loop turns it on)
    ds = TensorDataset(x, torch.zeros(len(x)))
    # shuffle=True, with the sampler seeded as the trainers run's permutation; the loader's own
    # generator keeps its base-seed draw off the global RNG so both loops get the same noise
    loader = DataLoader(ds, batch_size=128, sampler=RandomSampler(ds, generator=torch.Generator().manual_seed(SEED)),
                        generator=torch.Generator().manual_seed(1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    torch.manual_seed(123)
    t0, c0 = time.perf_counter(), time.process_time()
    train_loss = 0.0
    for data, _ in loader:
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    return time.perf_counter() - t0, time.process_time() - c0, train_loss / len(ds)


# ----------------------------------------------------------------------------- trainers API
CFG = vae.Config(latent_dim=20, hidden=400, batch_size=128, lr=1e-3, recon="bce", arch="mlp", seed=SEED)


def trainers_run(data: Dataset, model: vae.Model | None = None) -> loop.Run:
    return loop.Run("vae", CFG, data, device="cpu", model=model)


def trainers_epoch(run: loop.Run) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, mean loss per image) of one epoch through ``loop.train``."""
    n, bs, spe = len(run.data), run.batch_size, run.steps_per_epoch
    run.model.rng = None          # draw ε from torch's global RNG, as the plain recipe does: the same noise
    torch.manual_seed(123)
    t0, c0 = time.perf_counter(), time.process_time()
    total = 0.0
    for m in loop.train(run, steps=spe):
        b = min(bs, n - ((m.step - 1) % spe) * bs)      # the last batch of an epoch is smaller
        total += m.terms["total"] * b
    return time.perf_counter() - t0, time.process_time() - c0, total / n


def compiled_model(data: Dataset, init: dict[str, torch.Tensor]) -> vae.Model | None:
    """The same model with ``loss`` (forward + backward graph) through torch.compile, warmed up on
    both batch sizes of an epoch, then reset to the initial weights. None if compiling fails here."""
    try:
        import torch._inductor.config as inductor_config
        inductor_config.fallback_random = True          # eager's RNG: the same noise as the other two
        model = trainers_run(data).model
        model.loss = torch.compile(model.loss, dynamic=False)
        model.optimizers = model.configure_optimizers()
        n = len(data)
        for b in sorted({128, n % 128 or 128}):
            model.train_step(Batch(data.x[:b]))
        model.load_state_dict(init)
        return model
    except Exception as e:                                # no compiler, unsupported op, ...
        print(f"  torch.compile unavailable here: {type(e).__name__}: {str(e)[:120]}")
        return None


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=60_000, help="images per epoch (MNIST's train split has 60,000)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0 = torch's default)")
    ap.add_argument("--no-compile", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    x, src = mnist_images(args.n)
    data = Dataset("mnist-shaped", "image", x, None, x[:1000], None)
    init = {k: v.clone() for k, v in trainers_run(data).model.state_dict().items()}
    print(f"VAE epoch, 784-400-20 MLP, batch 128, BCE, Adam 1e-3: {len(x):,} {src}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.reps} repetitions")

    cmodel = None if args.no_compile else compiled_model(data, init)
    variants = ["plain", "trainers"] + (["compiled"] if cmodel is not None else [])
    wall: dict[str, list[float]] = {v: [] for v in variants}
    cpu: dict[str, list[float]] = {v: [] for v in variants}
    losses: dict[str, list[float]] = {v: [] for v in variants}
    for rep in range(args.reps):
        order = variants if rep % 2 == 0 else variants[::-1]
        for v in order:
            if v == "plain":
                fresh = trainers_run(data).model            # same seed → same init as `init`
                dt, ct, loss = plain_epoch(plain_from(fresh), x)
            elif v == "trainers":
                dt, ct, loss = trainers_epoch(trainers_run(data))
            else:
                cmodel.load_state_dict(init)
                dt, ct, loss = trainers_epoch(trainers_run(data, model=cmodel))
            wall[v].append(dt)
            cpu[v].append(ct)
            losses[v].append(loss)
            print(f"  rep {rep + 1} {v:9s} wall {dt:7.2f} s   cpu {ct:7.2f} s   epoch loss {loss:.4f}", flush=True)

    med = statistics.median
    # paired ratios: each repetition's plain and trainers epochs ran back to back, under the same load
    pair = {v: med([p / t for p, t in zip(wall["plain"], wall[v])]) for v in variants}
    pair_cpu = {v: med([p / t for p, t in zip(cpu["plain"], cpu[v])]) for v in variants}
    print()
    print(f"{'':28s} {'wall s':>8s} {'cpu s':>8s}  loss/image")
    names = {"plain": "plain pytorch/examples loop", "trainers": "trainers API (loop.train)",
             "compiled": "trainers + torch.compile"}
    for v in variants:
        print(f"{names[v]:28s} {med(wall[v]):8.2f} {med(cpu[v]):8.2f}  {losses[v][0]:.4f}")
    print(f"speed-up, trainers vs plain : {pair['trainers']:.2f}× wall, {pair_cpu['trainers']:.2f}× cpu "
          f"(median of per-repetition ratios; target ≥ 1.5×)")
    rel = abs(losses["plain"][0] - losses["trainers"][0]) / losses["plain"][0]
    print(f"loss difference             : {rel:.1e} relative (same init, order and noise)")
    if "compiled" in pair:
        relc = abs(losses["plain"][0] - losses["compiled"][0]) / losses["plain"][0]
        print(f"compiled step (extra)       : {pair['compiled']:.2f}× wall, {pair_cpu['compiled']:.2f}× cpu, "
              f"loss difference {relc:.1e} (compile time not counted)")


if __name__ == "__main__":
    main()
