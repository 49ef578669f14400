"""MNIST offline (issue 15, item 3): the shipped test split equals the original idx files image by image,
loads without a network with the right shape, labels and range, and "mnist" picks the full set only when
it is here or reachable."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import MNIST_RAW
from trainers import data, data_mnist
from trainers.data import DataError


def _idx(name: str) -> np.ndarray:
    """An idx file of MNIST's site, parsed by its own header (independent of the shipped .npz)."""
    path = MNIST_RAW / name
    if not path.exists() and (MNIST_RAW / f"{name}.gz").exists():
        path = MNIST_RAW / f"{name}.gz"
    if not path.exists():
        pytest.skip(f"{MNIST_RAW}/{name}(.gz) is not on this machine")
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    magic = struct.unpack(">I", raw[:4])[0]
    ndim = magic & 0xFF
    assert magic >> 8 == 0x08, f"{name}: not unsigned-byte idx data (magic {magic:#x})"
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def test_the_shipped_split_is_the_mnist_test_set():
    x, y = data_mnist.test_split()
    assert x.shape == (10_000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (10_000,) and y.dtype == torch.int64
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    images, labels = _idx("t10k-images-idx3-ubyte"), _idx("t10k-labels-idx1-ubyte")
    assert images.shape == (10_000, 28, 28) and labels.shape == (10_000,)
    # every pixel, back on the 0..255 scale, and every label
    np.testing.assert_array_equal(np.rint(x[:, 0].numpy() * 255).astype(np.uint8), images)
    np.testing.assert_array_equal(y.numpy(), labels)
    counts = np.bincount(labels, minlength=10)
    np.testing.assert_array_equal(torch.bincount(y, minlength=10).numpy(), counts)
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]   # MNIST's test split


def test_offline_dataset_splits_all_10000_with_labels():
    d = data_mnist.offline()
    assert d.name == "mnist" and d.kind == "image" and d.shape == (1, 28, 28)
    assert len(d) == 9_000 and d.x_test.shape == (1_000, 1, 28, 28)
    assert d.num_classes == 10 and d.classes[3] == "3 - three"
    x, y = data_mnist.test_split()
    # train and held out together are the 10,000, each image once (sorted by pixel sums and labels)
    both_y = torch.cat([d.y, d.y_test])
    assert torch.equal(torch.bincount(both_y, minlength=10), torch.bincount(y, minlength=10))
    key = lambda xs, ys: torch.sort(xs.flatten(1).sum(1) * 10 + ys).values   # noqa: E731
    torch.testing.assert_close(key(torch.cat([d.x, d.x_test]), both_y), key(x, y))
    assert 0.0 <= float(d.x.min()) and float(d.x.max()) <= 1.0


def test_mnist_is_the_shipped_split_when_offline_and_not_downloaded(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_DATA", str(tmp_path))
    monkeypatch.setattr(data_mnist, "online", lambda seconds=0: False)
    called = []
    monkeypatch.setattr(data, "torchvision_mnist", lambda key: called.append(key))
    d = data_mnist.mnist("auto")
    assert len(d) + len(d.x_test) == 10_000 and not called
    assert len(data_mnist.mnist("offline")) == 9_000
    with pytest.raises(DataError, match="PLAYGROUND_MNIST must be"):
        data_mnist.mnist("sometimes")


def test_mnist_is_torchvisions_when_downloaded_or_asked(monkeypatch, tmp_path):
    """Already downloaded (torchvision's own file layout): the full set, as before; asked for "full": too."""
    monkeypatch.setenv("PLAYGROUND_DATA", str(tmp_path))
    monkeypatch.setattr(data_mnist, "online", lambda seconds=0: False)
    full = object()
    monkeypatch.setattr(data, "torchvision_mnist", lambda key: full if key == "mnist" else None)
    assert data_mnist.mnist("full") is full
    assert not data_mnist.downloaded()
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"):
        assert data_mnist.mnist("auto") is not full                     # three of four files: not yet
        (raw / f"{name}-ubyte").write_bytes(b"")
    assert data_mnist.downloaded() and data_mnist.mnist("auto") is full
    assert data_mnist.mnist("offline") is not full


def test_a_failed_download_falls_back_to_the_shipped_split(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_DATA", str(tmp_path))
    monkeypatch.setattr(data_mnist, "online", lambda seconds=0: True)

    def fail(key):
        raise DataError("MNIST could not be downloaded")
    monkeypatch.setattr(data, "torchvision_mnist", fail)
    assert len(data_mnist.mnist("auto")) == 9_000
    with pytest.raises(DataError, match="could not be downloaded"):
        data_mnist.mnist("full")


def test_a_probe_that_hangs_is_cut_short(monkeypatch):
    import socket
    import threading
    release = threading.Event()

    def hang(*a, **k):
        release.wait(30)
        raise OSError("no network")
    monkeypatch.setattr(socket, "create_connection", hang)
    try:
        assert data_mnist.online(seconds=0.2) is False
    finally:
        release.set()


@pytest.mark.parametrize("arrays, message", [
    (dict(x=np.zeros((10, 28, 28), np.uint8), y=np.zeros(10, np.uint8)), "damaged"),
    (dict(x=np.zeros((10_000, 28, 28), np.float32), y=np.zeros(10_000, np.uint8)), "damaged"),
    (dict(x=np.zeros((10_000, 28, 28), np.uint8), y=np.full(10_000, 10, np.uint8)), "damaged"),
    (dict(images=np.zeros((10_000, 28, 28), np.uint8)), "could not be read"),
    (dict(x=np.array([{"a": 1}], dtype=object), y=np.zeros(1)), "could not be read"),   # never unpickled
])
def test_a_damaged_file_is_a_clear_message(tmp_path, arrays, message):
    path = tmp_path / "mnist_test.npz"
    np.savez_compressed(path, **arrays)
    with pytest.raises(DataError, match=message):
        data_mnist.test_split(path)


def test_not_a_file_is_a_clear_message(tmp_path):
    with pytest.raises(DataError, match="could not be read"):
        data_mnist.test_split(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="could not be read"):
        data_mnist.test_split(bad)


def test_the_asset_and_its_licence_are_in_the_repository():
    root = Path(data_mnist.__file__).resolve().parents[1]
    assert data_mnist.ASSET == root / "assets" / "mnist_test.npz"
    assert data_mnist.ASSET.stat().st_size < 3 * 2**20
    notice = (root / "assets" / "LICENSE-data.md").read_text()
    for words in ("LeCun", "Cortes", "Burges", "Attribution-Share Alike 3.0"):
        assert words in notice
    assert "LICENSE-data.md" in (root / "README.md").read_text()
