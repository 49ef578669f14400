"""MNIST without a network: the 10,000-image test split ships in ``assets/mnist_test.npz`` (issue 15, item 3).

MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (http://yann.lecun.com/exdb/mnist/),
a derivative of NIST's databases, made available under the Creative Commons Attribution-Share Alike 3.0
licence; ``assets/README.md`` says what the file holds and how it was made.

``load_data("mnist")`` (trainers/data.py) comes here. Which MNIST it gives, by ``PLAYGROUND_MNIST``:

* ``auto`` (the default): the full 60,000 + 10,000 through torchvision when they are already downloaded,
  or when the download server answers within ``PROBE_SECONDS``; otherwise, at once, the shipped split;
* ``offline``: always the shipped split (the same numbers on every machine);
* ``full``: always torchvision's (a clear DataError when it cannot be downloaded), as before this file.

The shipped split, 28×28 grey digits with labels, is split 9,000 for training and 1,000 held out (seeded).
The file is read with ``allow_pickle=False`` and checked (shape, dtype, labels) before use.
"""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .data import Dataset, DataError

ASSET = Path(__file__).resolve().parents[1] / "assets" / "mnist_test.npz"
N, SIDE = 10_000, 28
HELD_OUT = 0.1                  # of the shipped 10,000: 9,000 to train on, 1,000 for the views and scores
PROBE_SECONDS = 3.0             # how long "auto" waits to learn whether the download server answers
SERVER = ("ossci-datasets.s3.amazonaws.com", 443)   # torchvision's first MNIST mirror
# torchvision's class names, so both MNISTs label their scatters the same way
CLASSES = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
           "8 - eight", "9 - nine"]


def test_split(path: str | os.PathLike = ASSET) -> tuple[Tensor, Tensor]:
    """The shipped test split: images (10000, 1, 28, 28) float32 in [0, 1] and labels (10000,) int64 in 0..9."""
    try:
        with np.load(path, allow_pickle=False) as z:           # never unpickle anything
            x, y = z["x"], z["y"]
    except (OSError, KeyError, ValueError, EOFError) as e:
        raise DataError(f"The built-in MNIST file {Path(path).name} could not be read ({str(e)[:80]}); "
                        f"reinstall the playground, or use digits or sprites.") from None
    if x.shape != (N, SIDE, SIDE) or x.dtype != np.uint8 or y.shape != (N,) or y.dtype.kind not in "iu" \
            or y.min() < 0 or y.max() > 9:
        raise DataError(f"The built-in MNIST file {Path(path).name} is damaged (images {x.shape} {x.dtype}, "
                        f"labels {y.shape} {y.dtype}); reinstall the playground, or use digits or sprites.")
    return (torch.from_numpy(x.copy()).unsqueeze(1).float() / 255.0,
            torch.from_numpy(y.astype(np.int64)))


def offline(path: str | os.PathLike = ASSET) -> Dataset:
    """The shipped 10,000 test images as a Dataset: 9,000 to train on, 1,000 held out."""
    from .data import _split
    x, y = test_split(path)
    return _split("mnist", "image", x, y, HELD_OUT, 0, classes=list(CLASSES),
                  note="MNIST, the 10,000-image test split built into the playground (offline; LeCun, Cortes "
                       "& Burges, CC BY-SA 3.0): 9,000 to train on, 1,000 held out, 28×28.")


def _root() -> str:
    return os.environ.get("PLAYGROUND_DATA", str(Path.home() / ".cache" / "playground"))


def downloaded(root: str | None = None) -> bool:
    """Whether torchvision's full MNIST is already on this machine: its four unpacked files where
    ``datasets.MNIST(root)`` looks (nothing is fetched, and torchvision is not even imported, to find out)."""
    base = Path(root or _root()) / "MNIST"
    legacy = all((base / "processed" / f).is_file() for f in ("training.pt", "test.pt"))   # older torchvision
    return legacy or all((base / "raw" / f"{name}-ubyte").is_file() for name in
                         ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"))


def online(seconds: float = PROBE_SECONDS) -> bool:
    """Whether the download server answers within ``seconds`` (the look-up runs in a thread: a DNS that
    hangs cannot hold the page longer than that)."""
    ok: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection(SERVER, timeout=seconds).close()
            ok.append(True)
        except OSError:
            pass
    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(seconds)
    return bool(ok)


def mnist(mode: str | None = None) -> Dataset:
    """MNIST by ``PLAYGROUND_MNIST`` (see the module docstring): the full set when it is here or can be
    fetched, the shipped test split otherwise."""
    from .data import torchvision_mnist
    mode = (mode or os.environ.get("PLAYGROUND_MNIST", "auto")).strip().lower()
    if mode not in ("auto", "offline", "full"):
        raise DataError(f"PLAYGROUND_MNIST must be 'auto', 'offline' or 'full'; got {mode!r}.")
    if mode == "full":
        return torchvision_mnist("mnist")
    if mode == "auto" and (downloaded() or online()):
        try:
            return torchvision_mnist("mnist")
        except DataError:
            pass                                 # the download failed half-way: the shipped split it is
    return offline()
