"""Every dataset as tensors, ready to index on the device (no DataLoader in the hot loop).

Built in and offline: scikit-learn's 8×8 digits, MNIST's 10,000 test images (trainers/data_mnist.py),
procedural sprites with known factors (shape, scale, rotation, x, y — as dSprites), 2D toy sets. Through
torchvision when online: the full MNIST and Fashion-MNIST. Uploaded: a .zip of PNG/JPG images (sub-folders become labels) or
an .npz with an image array ``x`` (and optional ``y``). Images are float in [0, 1], (N, C, H, W).
"""
from __future__ import annotations

import functools
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import Tensor


class DataError(ValueError):
    """A dataset could not be loaded; the message says why and what to do."""


@dataclass
class Dataset:
    name: str
    kind: str                     # "image" | "points"
    x: Tensor                     # train inputs: (N, C, H, W) in [0, 1], or (N, 2)
    y: Tensor | None              # (N,) int64 labels, or None
    x_test: Tensor
    y_test: Tensor | None
    classes: list[str] = field(default_factory=list)
    factors: dict[str, Tensor] | None = None     # generative factors of x (sprites)
    note: str = ""

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __len__(self) -> int:
        return self.x.shape[0]

    def to(self, device: torch.device | str) -> "Dataset":
        mv = lambda t: None if t is None else t.to(device)
        return replace(self, x=mv(self.x), y=mv(self.y), x_test=mv(self.x_test), y_test=mv(self.y_test),
                       factors=None if self.factors is None else {k: mv(v) for k, v in self.factors.items()})


IMAGE_DATASETS = ("digits", "sprites", "mnist", "fashion-mnist")
POINT_DATASETS = ("moons", "swiss roll", "ring of 8", "grid of 25", "checkerboard")

# Limits on uploads: enough for a class demo, small enough that one visitor can't starve the rest.
MAX_UPLOAD_BYTES = 50 * 2**20
MAX_IMAGES = 20_000
MAX_SIDE = 64
# what decoding may cost, checked from headers before any pixel is decoded: a 56 KB zip of 4,096² PNGs
# once took 28 s inside a Train slot, and a 179 KB .npz of zeros 2.1 GB of memory
MAX_IMAGE_PIXELS = 2048 * 2048          # one image
MAX_TOTAL_PIXELS = 64 * 2**20           # all images together (× channels for arrays)


def load(name: str, seed: int = 0) -> Dataset:
    """A built-in dataset by name (see IMAGE_DATASETS and POINT_DATASETS)."""
    key = name.strip().lower()
    if key in IMAGE_DATASETS or key in POINT_DATASETS:
        return _load_cached(key, seed if key in POINT_DATASETS + ("sprites",) else 0)
    raise DataError(f"Unknown dataset {name!r}; choose one of: {', '.join(IMAGE_DATASETS + POINT_DATASETS)}.")


@functools.lru_cache(maxsize=8)   # read-only tensors, shared by every session: data, not models
def _load_cached(key: str, seed: int) -> Dataset:
    if key == "digits":
        return digits()
    if key == "sprites":
        return sprites(seed=seed)
    if key == "mnist":       # the full set when here or online, else the shipped test split (data_mnist.py)
        from .data_mnist import mnist
        return mnist()
    if key == "fashion-mnist":
        return torchvision_mnist(key)
    return toy2d(key, seed=seed)


def _split(name: str, kind: str, x: Tensor, y: Tensor | None, test_frac: float, seed: int, **kw) -> Dataset:
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(x.shape[0], generator=g)
    n_test = max(1, int(round(x.shape[0] * test_frac)))
    te, tr = perm[:n_test], perm[n_test:]
    factors = kw.pop("factors", None)
    return Dataset(name, kind, x[tr].contiguous(), None if y is None else y[tr], x[te].contiguous(),
                   None if y is None else y[te],
                   factors=None if factors is None else {k: v[tr] for k, v in factors.items()}, **kw)


# ----------------------------------------------------------------------------- built-in images
def digits() -> Dataset:
    """scikit-learn's 1,797 handwritten digits, 8×8, grey levels 0..16 scaled to [0, 1]."""
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(d.target, dtype=torch.int64)
    return _split("digits", "image", x, y, 0.15, 0, classes=[str(i) for i in range(10)],
                  note="scikit-learn digits: 1,797 images of 8×8 pixels, 10 classes.")


SPRITE_SHAPES = ("square", "ellipse", "heart")


def sprites(n: int = 6000, size: int = 32, seed: int = 0) -> Dataset:
    """dSprites-like images with known factors: shape, scale, rotation, x, y (all uniform)."""
    g = torch.Generator().manual_seed(seed)
    shape = torch.randint(0, 3, (n,), generator=g)
    scale = 0.5 + 0.5 * torch.rand(n, generator=g)          # relative size in [0.5, 1]
    rot = 2 * math.pi * torch.rand(n, generator=g)
    px = 0.25 + 0.5 * torch.rand(n, generator=g)            # centre, in [0.25, 0.75] of the frame
    py = 0.25 + 0.5 * torch.rand(n, generator=g)
    x = render_sprites(shape, scale, rot, px, py, size)
    factors = dict(shape=shape.float(), scale=scale, rotation=rot, x=px, y=py)
    return _split("sprites", "image", x, shape, 0.1, seed, classes=list(SPRITE_SHAPES), factors=factors,
                  note=f"{n} procedural {size}×{size} sprites; factors shape, scale, rotation, x, y (as dSprites).")


def render_sprites(shape: Tensor, scale: Tensor, rot: Tensor, px: Tensor, py: Tensor, size: int = 32) -> Tensor:
    """Rasterise sprites by testing every pixel against the inverse-transformed shape."""
    lin = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    gy, gx = torch.meshgrid(lin, lin, indexing="ij")                  # (H, W)
    half = (0.16 * scale)[:, None, None]                                 # half-width of the shape
    dx, dy = gx[None] - px[:, None, None], gy[None] - py[:, None, None]  # (N, H, W)
    c, s = torch.cos(rot)[:, None, None], torch.sin(rot)[:, None, None]
    u, v = (c * dx + s * dy) / half, (-s * dx + c * dy) / half           # shape-local coordinates
    square = (u.abs() <= 1) & (v.abs() <= 1)
    ellipse = (u / 1.2) ** 2 + (v / 0.7) ** 2 <= 1
    hv = -v * 1.1 + 0.25                                                 # heart curve, point down
    heart = (u ** 2 + hv ** 2 - 1) ** 3 - u ** 2 * hv ** 3 <= 0
    k = shape[:, None, None]
    img = torch.where(k == 0, square, torch.where(k == 1, ellipse, heart))
    return img.float().unsqueeze(1)


def torchvision_mnist(key: str) -> Dataset:
    """MNIST or Fashion-MNIST through torchvision; a clear DataError when it can't be downloaded."""
    try:
        from torchvision import datasets
    except Exception as e:  # pragma: no cover - torchvision is in requirements
        raise DataError(f"torchvision is not available ({e}); use digits or sprites.") from None
    root = os.environ.get("PLAYGROUND_DATA", str(Path.home() / ".cache" / "playground"))
    cls = datasets.MNIST if key == "mnist" else datasets.FashionMNIST
    title = "MNIST" if key == "mnist" else "Fashion-MNIST"
    try:
        tr = cls(root, train=True, download=True)
        te = cls(root, train=False, download=True)
    except Exception as e:
        raise DataError(f"{title} could not be downloaded ({type(e).__name__}): this machine seems to be "
                        f"offline. Use the built-in digits or sprites, or upload your own images.") from None
    x = tr.data.unsqueeze(1).float() / 255.0
    xt = te.data.unsqueeze(1).float() / 255.0
    return Dataset(key, "image", x, tr.targets.long(), xt, te.targets.long(), classes=list(tr.classes),
                   note=f"{title} through torchvision: 60,000 + 10,000 images of 28×28.")


# ----------------------------------------------------------------------------- 2D toy sets
def toy2d(name: str, n: int = 4000, seed: int = 0) -> Dataset:
    """2D point clouds, standardised to roughly unit scale. ``y`` is the mixture component where one exists."""
    g = torch.Generator().manual_seed(seed)
    y = None
    if name == "moons":
        t = math.pi * torch.rand(n, generator=g)
        upper = torch.rand(n, generator=g) < 0.5
        x = torch.where(upper[:, None], torch.stack([torch.cos(t), torch.sin(t)], 1),
                        torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1))
        x = (x - torch.tensor([0.5, 0.25])) * 1.6 + 0.08 * torch.randn(n, 2, generator=g)
        y = upper.long()
    elif name == "swiss roll":
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=g))
        x = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / 6.0 + 0.05 * torch.randn(n, 2, generator=g)
    elif name in ("ring of 8", "grid of 25"):
        centers = mode_centers(name)
        y = torch.randint(0, len(centers), (n,), generator=g)
        x = centers[y] + MODE_STD[name] * torch.randn(n, 2, generator=g)
    elif name == "checkerboard":
        x1 = 4 * torch.rand(n, generator=g) - 2
        x2 = torch.rand(n, generator=g) - torch.randint(0, 2, (n,), generator=g) * 2.0
        x2 = x2 + (torch.floor(x1) % 2)
        x = torch.stack([x1, x2], 1)
    else:
        raise DataError(f"Unknown 2D dataset {name!r}; choose one of: {', '.join(POINT_DATASETS)}.")
    classes = [str(i) for i in range(int(y.max()) + 1)] if y is not None else []
    return _split(name, "points", x.float(), y, 0.2, seed, classes=classes, note=f"{n} points: {name}.")


MODE_STD = {"ring of 8": 0.05, "grid of 25": 0.05}


def mode_centers(name: str) -> Tensor:
    """Centres of the Gaussian mixtures used in the GAN literature (VEEGAN, PacGAN, Unrolled GAN)."""
    if name == "ring of 8":
        a = torch.arange(8) * (2 * math.pi / 8)
        return 2.0 * torch.stack([torch.cos(a), torch.sin(a)], 1)
    if name == "grid of 25":
        g = torch.arange(-2, 3, dtype=torch.float32)
        return torch.cartesian_prod(g, g)
    raise DataError(f"{name!r} is not a mixture of Gaussians.")


def points_from_csv(path: str | os.PathLike, max_points: int = 20_000) -> Dataset:
    """The user's own 2D points: a CSV with two numeric columns (a header line is allowed)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("The uploaded CSV could not be found; please upload it again.")
    if path.stat().st_size > 5 * 2**20:
        raise DataError("That CSV is larger than 5 MB; 2D point sets need far less.")
    rows = []
    for i, line in enumerate(path.read_text(errors="replace").splitlines()):
        parts = [p for p in re.split(r"[,;\s]+", line) if p]      # comma, semicolon, tab or space
        if not parts:
            continue
        try:
            vals = [float(p) for p in parts[:2]]
        except ValueError:
            if i == 0:
                continue          # a header
            raise DataError(f"Line {i + 1} of the CSV is not two numbers: {line[:60]!r}.") from None
        if len(vals) != 2 or not all(math.isfinite(v) for v in vals):
            raise DataError(f"Line {i + 1} of the CSV must hold two finite numbers (x, y); got {line[:60]!r}.")
        rows.append(vals)
        if len(rows) > max_points:
            raise DataError(f"The CSV has more than {max_points} points; please subsample it.")
    if len(rows) < 10:
        raise DataError("The CSV needs at least 10 points (two numeric columns: x, y).")
    x = torch.tensor(rows, dtype=torch.float32)
    x = (x - x.mean(0)) / x.std(0).clamp_min(1e-6)
    return _split("my points", "points", x, None, 0.2, 0, note=f"{len(rows)} uploaded points, standardised.")


# ----------------------------------------------------------------------------- uploads
def from_upload(path: str | os.PathLike, size: int = 28, grayscale: bool = True,
                cancel: Callable[[], bool] | None = None) -> Dataset:
    """Validate and load the user's images: a .zip of PNG/JPG (sub-folders = labels) or an .npz.

    Sizes are checked from the headers first (images, pixels, array shapes); ``cancel()`` is asked
    between images, so Stop ends a long decode."""
    path = Path(path)
    if not path.is_file():
        raise DataError("The uploaded file could not be found; please upload it again.")
    nbytes = path.stat().st_size
    if nbytes > MAX_UPLOAD_BYTES:
        raise DataError(f"The upload is {nbytes / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    if not 4 <= size <= MAX_SIDE:
        raise DataError(f"Image size must be between 4 and {MAX_SIDE} pixels; got {size}.")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        x, y, classes = _images_from_zip(path, size, grayscale, cancel)
    elif suffix == ".npz":
        x, y, classes = _images_from_npz(path, size, grayscale)
    else:
        raise DataError(f"Upload a .zip of PNG/JPG images or an .npz file; got a {suffix or 'file without extension'}.")
    if x.shape[0] < 20:
        raise DataError(f"Found only {x.shape[0]} images; at least 20 are needed to train.")
    return _split(f"upload:{path.name}", "image", x, y, 0.1, 0, classes=classes,
                  note=f"{x.shape[0]} uploaded images, {size}×{size}{' grey' if grayscale else ''}.")


def _images_from_zip(path: Path, size: int, grayscale: bool, cancel: Callable[[], bool] | None = None
                     ) -> tuple[Tensor, Tensor | None, list[str]]:
    from PIL import Image, UnidentifiedImageError
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise DataError("The .zip could not be read: is it a valid zip archive?") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX")
                 and not Path(i.filename).name.startswith("._")            # macOS resource forks
                 and Path(i.filename).suffix.lower() in (".png", ".jpg", ".jpeg")]
        if not infos:
            raise DataError("The .zip holds no PNG or JPG images.")
        if len(infos) > MAX_IMAGES:
            raise DataError(f"The .zip holds {len(infos)} images; the limit is {MAX_IMAGES}.")
        if sum(i.file_size for i in infos) > 4 * MAX_UPLOAD_BYTES:    # zip bombs
            raise DataError("The images in the .zip are too large once unpacked.")
        folders = sorted({str(Path(i.filename).parent) for i in infos})
        labelled = len(folders) > 1
        total = 0
        for info in infos:                         # headers only: Image.open decodes no pixels
            _stop(cancel)
            try:
                with Image.open(io.BytesIO(zf.read(info))) as im:
                    w, h = im.size
            except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
                raise DataError(f"{info.filename} in the .zip is not a readable image.") from None
            if w * h > MAX_IMAGE_PIXELS:
                raise DataError(f"{info.filename} is {w}×{h} pixels; images up to 2048×2048 are accepted "
                                f"(they are shrunk to {size}×{size} anyway).")
            total += w * h
            if total > MAX_TOTAL_PIXELS:
                raise DataError(f"The images in the .zip hold more than {MAX_TOTAL_PIXELS // 2**20} million pixels "
                                f"together; shrink them (they are used at {size}×{size}) or send fewer.")
        arrays, labels = [], []
        for info in infos:
            _stop(cancel)
            try:
                with Image.open(io.BytesIO(zf.read(info))) as im:
                    im.draft("L" if grayscale else "RGB", (size, size))     # JPEG: decode at a reduced scale
                    im = im.convert("L" if grayscale else "RGB").resize((size, size), Image.BILINEAR)
                    arrays.append(np.asarray(im, dtype=np.uint8))
            except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
                raise DataError(f"{info.filename} in the .zip is not a readable image.") from None
            labels.append(folders.index(str(Path(info.filename).parent)))
    x = torch.from_numpy(np.stack(arrays)).float() / 255.0
    x = x.unsqueeze(1) if grayscale else x.permute(0, 3, 1, 2)
    if labelled:
        return x.contiguous(), torch.tensor(labels), [Path(f).name for f in folders]
    return x.contiguous(), None, []


def _stop(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise DataError("Stopped while reading the upload.")


def _check_npy_header(zf: zipfile.ZipFile, key: str) -> None:
    """Refuse an array whose header promises too many images or values, before it is inflated."""
    try:
        with zf.open(f"{key}.npy") as fh:
            version = np.lib.format.read_magic(fh)
            shape, _, dtype = (np.lib.format.read_array_header_1_0(fh) if version == (1, 0)
                               else np.lib.format.read_array_header_2_0(fh))
    except KeyError:
        return                                   # np.load will say what is wrong
    if dtype.hasobject:
        return                                   # np.load refuses it (allow_pickle=False) with its message
    if dtype.kind not in "uifb":
        raise DataError(f"The array {key!r} must be numeric; got dtype {dtype}.")
    if len(shape) not in (3, 4):
        raise DataError(f"The array {key!r} must have shape (N, H, W), (N, H, W, C) or (N, C, H, W) "
                        f"with 1 or 3 channels; got {tuple(shape)}.")
    if shape[0] > MAX_IMAGES:
        raise DataError(f"The .npz holds {shape[0]} images; the limit is {MAX_IMAGES}.")
    if math.prod(shape) > MAX_TOTAL_PIXELS or math.prod(shape[1:3]) > MAX_IMAGE_PIXELS:
        raise DataError(f"The array {key!r} is {tuple(shape)}: more than {MAX_TOTAL_PIXELS // 2**20} million "
                        f"values; shrink the images (they are used at most {MAX_SIDE}×{MAX_SIDE}).")


def _images_from_npz(path: Path, size: int, grayscale: bool) -> tuple[Tensor, Tensor | None, list[str]]:
    try:
        with np.load(path, allow_pickle=False) as z:                 # never unpickle a user's file
            keys = list(z.keys())
            if not keys:
                raise DataError("The .npz is empty.")
            if sum(i.file_size for i in z.zip.infolist()) > 4 * MAX_UPLOAD_BYTES:   # compressed npz bombs
                raise DataError("The arrays in the .npz are too large once unpacked.")
            xk = "x" if "x" in keys else ("images" if "images" in keys else keys[0])
            _check_npy_header(z.zip, xk)                               # shape and dtype, before loading
            arr = z[xk]
            lab = z["y"] if "y" in keys else (z["labels"] if "labels" in keys else None)
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"The .npz could not be read ({str(e)[:80]}); save it with numpy.savez and no objects.") from None
    if arr.dtype.kind not in "uifb":
        raise DataError(f"The array {xk!r} must be numeric; got dtype {arr.dtype}.")
    if arr.ndim == 3:
        arr = arr[:, None]                                            # (N, H, W) -> (N, 1, H, W)
    elif arr.ndim == 4 and arr.shape[-1] in (1, 3) and arr.shape[1] not in (1, 3):
        arr = arr.transpose(0, 3, 1, 2)                               # NHWC -> NCHW
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise DataError(f"The array {xk!r} must have shape (N, H, W), (N, H, W, C) or (N, C, H, W) "
                        f"with 1 or 3 channels; got {tuple(arr.shape)}.")
    if arr.shape[0] > MAX_IMAGES:
        raise DataError(f"The .npz holds {arr.shape[0]} images; the limit is {MAX_IMAGES}.")
    if arr.shape[0] < 20:                                            # also: min/max of an empty array fail
        raise DataError(f"Found only {arr.shape[0]} images; at least 20 are needed to train.")
    x = torch.from_numpy(np.ascontiguousarray(arr)).float()
    if not torch.isfinite(x).all():
        raise DataError("The images contain NaN or infinite values.")
    if arr.dtype == np.uint8 or x.max() > 1.0 or x.min() < 0.0:
        lo, hi = x.min(), x.max()
        x = (x - lo) / (hi - lo).clamp_min(1e-8) if arr.dtype != np.uint8 else x / 255.0
    if grayscale and x.shape[1] == 3:
        x = x.mean(1, keepdim=True)
    if x.shape[-2:] != (size, size):
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp(0, 1)
    y, classes = None, []
    if lab is not None:
        lab = np.asarray(lab)
        if lab.shape != (x.shape[0],) or lab.dtype.kind not in "iu":
            raise DataError(f"Labels 'y' must be integers, one per image; got shape {lab.shape}, dtype {lab.dtype}.")
        uniq = np.unique(lab)
        y = torch.from_numpy(np.searchsorted(uniq, lab)).long()
        classes = [str(u) for u in uniq]
    return x.contiguous(), y, classes
