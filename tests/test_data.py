"""Datasets: built-ins have the promised shapes and ranges; every bad upload raises DataError, clearly."""
from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from trainers import data
from trainers.data import DataError


# ----------------------------------------------------------------------------- helpers
def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, raw in files.items():
            zf.writestr(name, raw)
    return path


def _npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def _blob(i: int, side: int = 20, mode: str = "L") -> np.ndarray:
    """A recognisable image: a bright square whose position depends on i."""
    a = np.zeros((side, side), np.uint8)
    a[i % 10: i % 10 + 6, 3:9] = 255
    return a if mode == "L" else np.stack([a, a // 2, 255 - a], -1)


# ----------------------------------------------------------------------------- good uploads
def test_zip_of_pngs_with_folders_as_labels(tmp_path):
    files = {f"{cls}/{i}.png": _png(_blob(i)) for cls in ("cats", "dogs") for i in range(15)}
    files["__MACOSX/cats/._0.png"] = b"resource fork junk"           # macOS zips carry these
    files["dogs/._1.png"] = b"resource fork junk"
    files["readme.txt"] = b"not an image, ignored"
    ds = data.from_upload(_zip(tmp_path / "pets.zip", files), size=16)
    assert ds.name == "upload:pets.zip" and ds.kind == "image"
    assert len(ds) + len(ds.x_test) == 30
    assert ds.x.shape[1:] == (1, 16, 16) and ds.x.dtype == torch.float32
    assert 0 <= float(ds.x.min()) and float(ds.x.max()) <= 1 and float(ds.x.max()) > 0.9
    assert ds.classes == ["cats", "dogs"]
    assert set(torch.cat([ds.y, ds.y_test]).tolist()) == {0, 1}


def test_zip_in_one_folder_is_unlabelled_and_rgb_kept(tmp_path):
    files = {f"imgs/{i}.jpg": _jpg(_blob(i, mode="RGB")) for i in range(25)}
    ds = data.from_upload(_zip(tmp_path / "a.zip", files), size=12, grayscale=False)
    assert ds.x.shape[1:] == (3, 12, 12) and ds.y is None and ds.classes == []


def _jpg(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG")
    return buf.getvalue()


@pytest.mark.parametrize("layout", ["NHW", "NHWC", "NCHW"])
@pytest.mark.parametrize("dtype", ["uint8", "float"])
def test_npz_layouts_and_dtypes(tmp_path, layout, dtype):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (30, 28, 28)).astype(np.uint8)       # N, H, W
    arr = {"NHW": base, "NHWC": base[..., None], "NCHW": base[:, None]}[layout]
    if dtype == "float":
        arr = arr.astype(np.float32) / 255.0
    labels = np.repeat(np.array([3, 7, 9]), 10)
    ds = data.from_upload(_npz(tmp_path / "x.npz", x=arr, y=labels))
    assert ds.x.shape[1:] == (1, 28, 28)
    assert 0 <= float(ds.x.min()) and float(ds.x.max()) <= 1
    # values survive exactly (no resize at 28): uint8 / 255 == the float version
    full = torch.cat([ds.x, ds.x_test])
    assert sorted(full.flatten().tolist())[:5] == pytest.approx(sorted((base.flatten() / 255.0).tolist())[:5])
    torch.testing.assert_close(full.sum(), torch.tensor(base.sum() / 255.0, dtype=torch.float32), rtol=1e-5, atol=1e-2)
    assert ds.classes == ["3", "7", "9"] and ds.num_classes == 3


def test_npz_rgb_nhwc_resized_and_greyed(tmp_path):
    arr = np.random.default_rng(1).random((25, 40, 40, 3)).astype(np.float32)
    ds = data.from_upload(_npz(tmp_path / "rgb.npz", images=arr), size=20)
    assert ds.x.shape[1:] == (1, 20, 20) and ds.y is None
    ds = data.from_upload(_npz(tmp_path / "rgb.npz", images=arr), size=20, grayscale=False)
    assert ds.x.shape[1:] == (3, 20, 20)


def test_npz_out_of_range_floats_are_rescaled(tmp_path):
    arr = np.linspace(-3, 5, 25 * 8 * 8, dtype=np.float64).reshape(25, 8, 8)
    ds = data.from_upload(_npz(tmp_path / "r.npz", x=arr), size=8)
    full = torch.cat([ds.x, ds.x_test])
    assert float(full.min()) == 0.0 and float(full.max()) == 1.0


# ----------------------------------------------------------------------------- bad uploads
def test_not_a_zip(tmp_path):
    p = tmp_path / "fake.zip"
    p.write_bytes(b"this is plain text pretending to be a zip")
    with pytest.raises(DataError, match="could not be read.*valid zip"):
        data.from_upload(p)


def test_empty_zip(tmp_path):
    with pytest.raises(DataError, match="holds no PNG or JPG images"):
        data.from_upload(_zip(tmp_path / "empty.zip", {}))


def test_zip_with_only_other_files(tmp_path):
    with pytest.raises(DataError, match="holds no PNG or JPG images"):
        data.from_upload(_zip(tmp_path / "docs.zip", {"a.txt": b"x", "b.csv": b"1,2"}))


def test_non_image_with_image_extension(tmp_path):
    files = {f"{i}.png": _png(_blob(i)) for i in range(25)}
    files["broken.png"] = b"\x89PNG but not really"
    with pytest.raises(DataError, match="broken.png in the .zip is not a readable image"):
        data.from_upload(_zip(tmp_path / "b.zip", files))


def test_too_few_images(tmp_path):
    files = {f"{i}.png": _png(_blob(i)) for i in range(5)}
    with pytest.raises(DataError, match="only 5 images; at least 20"):
        data.from_upload(_zip(tmp_path / "few.zip", files))
    with pytest.raises(DataError, match="only 3 images; at least 20"):
        data.from_upload(_npz(tmp_path / "few.npz", x=np.zeros((3, 8, 8), np.uint8)))


def test_empty_npz_array(tmp_path):
    with pytest.raises(DataError, match="only 0 images"):
        data.from_upload(_npz(tmp_path / "none.npz", x=np.zeros((0, 8, 8), np.float32)))


def test_too_many_images(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_IMAGES", 30)
    with pytest.raises(DataError, match="holds 40 images; the limit is 30"):
        data.from_upload(_npz(tmp_path / "many.npz", x=np.zeros((40, 8, 8), np.uint8)))
    files = {f"{i}.png": _png(_blob(i, side=8)) for i in range(31)}
    with pytest.raises(DataError, match="holds 31 images; the limit is 30"):
        data.from_upload(_zip(tmp_path / "many.zip", files))


def test_oversized_file(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_UPLOAD_BYTES", 1000)
    p = _npz(tmp_path / "big.npz", x=np.zeros((40, 8, 8), np.float64))
    with pytest.raises(DataError, match="the limit is"):
        data.from_upload(p)


def test_npz_that_unpacks_to_too_much(tmp_path, monkeypatch):
    # compresses to a few kB: the size on disk says nothing, the unpacked size must be checked
    monkeypatch.setattr(data, "MAX_UPLOAD_BYTES", 2**20)
    p = tmp_path / "bomb.npz"
    np.savez_compressed(p, x=np.zeros((100, 300, 300), np.float32))   # 36 MB unpacked
    assert p.stat().st_size < 2**20
    with pytest.raises(DataError, match="too large once unpacked"):
        data.from_upload(p)


@pytest.mark.parametrize("shape", [(30, 784), (30, 5, 8, 8), (30, 8, 8, 2), (30,), (2, 3, 30, 8, 8)])
def test_wrong_shape(tmp_path, shape):
    with pytest.raises(DataError, match=r"must have shape \(N, H, W\)"):
        data.from_upload(_npz(tmp_path / "s.npz", x=np.zeros(shape, np.float32)))


def test_nan_values(tmp_path):
    arr = np.random.default_rng(0).random((25, 8, 8)).astype(np.float32)
    arr[3, 2, 1] = np.nan
    with pytest.raises(DataError, match="NaN or infinite"):
        data.from_upload(_npz(tmp_path / "nan.npz", x=arr))
    arr[3, 2, 1] = np.inf
    with pytest.raises(DataError, match="NaN or infinite"):
        data.from_upload(_npz(tmp_path / "inf.npz", x=arr))


def test_object_arrays_are_never_unpickled(tmp_path):
    objs = np.empty(25, dtype=object)
    objs[:] = [np.zeros((8, 8)) for _ in range(25)]
    with pytest.raises(DataError, match="could not be read.*no objects"):
        data.from_upload(_npz(tmp_path / "obj.npz", x=objs))


def test_non_numeric_and_bad_labels(tmp_path):
    with pytest.raises(DataError, match="must be numeric"):
        data.from_upload(_npz(tmp_path / "str.npz", x=np.array([["a"] * 8] * 25)))
    x = np.zeros((25, 8, 8), np.uint8)
    with pytest.raises(DataError, match="Labels 'y' must be integers, one per image"):
        data.from_upload(_npz(tmp_path / "lab.npz", x=x, y=np.zeros(24, np.int64)))
    with pytest.raises(DataError, match="Labels 'y' must be integers"):
        data.from_upload(_npz(tmp_path / "lab2.npz", x=x, y=np.zeros(25, np.float32)))


@pytest.mark.parametrize("name", ["images.tar", "images.png", "images"])
def test_unknown_extension(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(b"whatever")
    with pytest.raises(DataError, match="Upload a .zip of PNG/JPG images or an .npz"):
        data.from_upload(p)


def test_missing_file_and_bad_size(tmp_path):
    with pytest.raises(DataError, match="could not be found"):
        data.from_upload(tmp_path / "gone.zip")
    p = _npz(tmp_path / "ok.npz", x=np.zeros((25, 8, 8), np.uint8))
    with pytest.raises(DataError, match="Image size must be between 4 and 64"):
        data.from_upload(p, size=100)


def test_errors_are_value_errors():
    """The UI catches ValueError for every bad input, DataError included."""
    assert issubclass(DataError, ValueError)


# ----------------------------------------------------------------------------- 2D points from CSV
def test_points_from_csv_good(tmp_path):
    rng = np.random.default_rng(0)
    pts = rng.normal([3.0, -1.0], [2.0, 0.5], (200, 2))
    p = tmp_path / "pts.csv"
    p.write_text("x,y\n" + "\n".join(f"{a},{b}" for a, b in pts) + "\n\n")
    ds = data.points_from_csv(p)
    assert ds.kind == "points" and len(ds) + len(ds.x_test) == 200
    full = torch.cat([ds.x, ds.x_test])
    torch.testing.assert_close(full.mean(0), torch.zeros(2), atol=1e-5, rtol=0)     # standardised
    torch.testing.assert_close(full.std(0), torch.ones(2), atol=1e-4, rtol=0)


def test_points_from_csv_other_separators(tmp_path):
    p = tmp_path / "semi.csv"
    p.write_text("\n".join(f"{i};{i * i}" for i in range(20)))
    assert len(data.points_from_csv(p)) == 16
    p = tmp_path / "spaces.csv"
    p.write_text("\n".join(f"{i}\t{-i}" for i in range(20)))
    assert len(data.points_from_csv(p)) == 16


@pytest.mark.parametrize("text, match", [
    ("x,y\n1,2\nfoo,3\n" + "1,2\n" * 20, "Line 3 of the CSV is not two numbers"),
    ("1\n" * 20, "Line 1 of the CSV must hold two finite numbers"),
    ("1,2\n" * 20 + "nan,1\n", "Line 21 of the CSV must hold two finite numbers"),
    ("1,2\n" * 5, "at least 10 points"),
    ("", "at least 10 points"),
])
def test_points_from_csv_malformed(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(DataError, match=match):
        data.points_from_csv(p)


def test_points_from_csv_limits(tmp_path):
    p = tmp_path / "many.csv"
    p.write_text("1,2\n" * 60)
    with pytest.raises(DataError, match="more than 50 points"):
        data.points_from_csv(p, max_points=50)
    with pytest.raises(DataError, match="could not be found"):
        data.points_from_csv(tmp_path / "gone.csv")


# ----------------------------------------------------------------------------- built-ins
def test_digits():
    ds = data.load("digits")
    assert ds.x.shape[1:] == (1, 8, 8) and len(ds) + len(ds.x_test) == 1797
    assert float(ds.x.min()) == 0.0 and float(ds.x.max()) == 1.0
    assert ds.num_classes == 10 and ds.y.dtype == torch.int64


def test_sprites_factors_have_the_right_shapes_and_ranges():
    ds = data.sprites(n=600, size=32, seed=3)
    n = len(ds)
    assert ds.x.shape == (n, 1, 32, 32) and n + len(ds.x_test) == 600
    assert set(ds.x.unique().tolist()) <= {0.0, 1.0}
    assert (ds.x.flatten(1).sum(1) > 5).all()                         # every sprite is drawn
    f = ds.factors
    assert set(f) == {"shape", "scale", "rotation", "x", "y"}
    assert all(v.shape == (n,) for v in f.values())
    assert set(f["shape"].unique().tolist()) == {0.0, 1.0, 2.0}
    torch.testing.assert_close(f["shape"].long(), ds.y)               # labels are the shape factor
    assert 0.5 <= float(f["scale"].min()) and float(f["scale"].max()) <= 1.0
    assert 0.0 <= float(f["rotation"].min()) and float(f["rotation"].max()) < 2 * math.pi
    for k in ("x", "y"):
        assert 0.25 <= float(f[k].min()) and float(f[k].max()) <= 0.75
    assert ds.classes == list(data.SPRITE_SHAPES)


def test_sprite_factors_move_the_pixels():
    one = torch.ones(2)
    img = data.render_sprites(torch.zeros(2, dtype=torch.long), 0.8 * one, 0 * one,
                              torch.tensor([0.3, 0.7]), 0.5 * one, size=32)
    cols = torch.arange(32.0)
    centre_x = (img[:, 0].sum(1) * cols).sum(1) / img[:, 0].sum((1, 2))
    assert centre_x[0] < 12 < 20 < centre_x[1]                        # x factor = horizontal position
    big = data.render_sprites(torch.zeros(2, dtype=torch.long), torch.tensor([0.5, 1.0]), 0 * one,
                              0.5 * one, 0.5 * one, size=64)
    area = big.sum((1, 2, 3))
    assert float(area[1]) == pytest.approx(4 * float(area[0]), rel=0.2)             # scale doubles the side


@pytest.mark.parametrize("name", data.POINT_DATASETS)
def test_toy_2d_sets(name):
    ds = data.load(name)
    assert ds.kind == "points" and ds.x.shape[1:] == (2,) and len(ds) + len(ds.x_test) == 4000
    assert torch.isfinite(ds.x).all() and ds.x.abs().max() < 10
    if name in ("ring of 8", "grid of 25"):
        centres = data.mode_centers(name)
        assert ds.num_classes == len(centres) == (8 if name == "ring of 8" else 25)
        # every point lies near its own mode's centre
        d = (ds.x - centres[ds.y]).norm(dim=1)
        assert float(d.max()) < 10 * data.MODE_STD[name]
    if name == "moons":
        assert ds.num_classes == 2


def test_unknown_builtin():
    with pytest.raises(DataError, match="Unknown dataset 'cifar'"):
        data.load("cifar")
