"""MNIST offline through the running app (issue 15, item 3): "mnist" trains without a network (the shipped
10,000-image test split, or the full set where torchvision already has it) and its views are 28×28 digits."""
from __future__ import annotations

import base64
import io

from conftest import plain, step_of, submit_train, value

SETTINGS = dict(arch="mlp", latent_dim=8, hidden=128, batch_size=64, seed=0)


def _png_size(src) -> tuple[int, int]:
    """(width, height) of an image output (a path, a data URL or a dict with one)."""
    from PIL import Image
    if isinstance(src, dict):
        src = src.get("path") or src.get("url")
    if isinstance(src, str) and src.startswith("data:"):
        return Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).size
    return Image.open(src).size


def test_vae_trains_on_mnist_for_a_few_steps(client):
    job = submit_train(client, "vae", SETTINGS, data="mnist", steps=6)
    final = plain(job.result(timeout=300))
    assert "done" in final[0] and step_of(final[0]) == 6, final[0]
    said = " ".join(str(value(o[0])) for o in job.outputs())
    assert "MNIST" in said and ("10,000" in said or "60,000" in said), said[:400]
    recon = final[2]
    assert recon, "no reconstructions"
    # the reconstruction grid is made of 28×28 images: larger than the same grid of 8×8 digits
    digits = plain(submit_train(client, "vae", SETTINGS, data="digits", steps=2).result(timeout=300))[2]
    w28, h28 = _png_size(recon)
    w8, h8 = _png_size(digits)
    assert w28 * h28 > w8 * h8, ((w28, h28), (w8, h8))
