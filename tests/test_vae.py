"""The VAE family: its math against independent computations, its config checks, and real training."""
from __future__ import annotations

import gzip
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from trainers import data, loop, vae
from trainers.base import Batch, Diverged

MNIST_RAW = Path(__file__).parents[1].parent / "shared/data/MNIST/raw"


# ----------------------------------------------------------------------------- math
def test_kl_closed_form_matches_torch_distributions():
    torch.manual_seed(0)
    mu, logvar = 2 * torch.randn(64, 8), 3 * torch.randn(64, 8)
    ours = vae.kl_normal(mu, logvar)
    ref = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(torch.zeros(()), torch.ones(())))
    assert ours.shape == (64, 8)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    assert (ours >= 0).all()
    # zero exactly at the prior
    assert vae.kl_normal(torch.zeros(3, 4), torch.zeros(3, 4)).abs().max() == 0


def test_reparameterisation_passes_gradients_to_mu_and_logvar():
    torch.manual_seed(1)
    mu = torch.randn(16, 4, requires_grad=True)
    logvar = torch.randn(16, 4, requires_grad=True)
    z = vae.reparameterize(mu, logvar)
    eps = ((z - mu) / torch.exp(0.5 * logvar)).detach()      # the noise that was drawn
    (z * 3).sum().backward()
    # dz/dmu = 1 and dz/dlogvar = ½ σ ε, by hand
    torch.testing.assert_close(mu.grad, torch.full_like(mu, 3.0))
    torch.testing.assert_close(logvar.grad, 3 * 0.5 * torch.exp(0.5 * logvar.detach()) * eps)
    assert logvar.grad.abs().sum() > 0


def test_reparameterisation_has_the_right_distribution():
    torch.manual_seed(2)
    mu = torch.tensor([[1.5, -2.0]]).expand(200_000, 2)
    logvar = torch.tensor([[0.0, math.log(0.25)]]).expand(200_000, 2)
    z = vae.reparameterize(mu, logvar)
    torch.testing.assert_close(z.mean(0), torch.tensor([1.5, -2.0]), atol=0.01, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([1.0, 0.5]), atol=0.01, rtol=0)


def test_warmup_schedule_follows_listing_1():
    # listing 1: beta = min(1.0, epoch / kl_warmup_epochs), times the β of a β-VAE
    assert [vae.warmup_beta(1.0, e, 4) for e in range(7)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert [vae.warmup_beta(4.0, e, 2) for e in range(4)] == [0.0, 2.0, 4.0, 4.0]
    assert vae.warmup_beta(3.0, 0, 0) == 3.0          # warm-up off: β from the first step


# ----------------------------------------------------------------------------- latent codes of the views
def test_traversal_rows_vary_one_dimension_each_and_keep_the_rest_at_mu():
    torch.manual_seed(3)
    mu = torch.randn(6)
    keep = mu.clone()
    dims, values = torch.tensor([4, 0, 2]), torch.tensor([-3.0, -0.5, 1.25, 3.0])
    z = vae.traversal_codes(mu, dims, values)
    assert z.shape == (3 * 4, 6)
    assert torch.equal(mu, keep)                          # the start code is not written to
    for k, d in enumerate(dims.tolist()):
        for j, v in enumerate(values.tolist()):
            ref = keep.clone()
            ref[d] = v
            assert torch.equal(z[k * 4 + j], ref), (k, j)
    # row k changes dimension dims[k] and nothing else
    rows = z.view(3, 4, 6)
    for k, d in enumerate(dims.tolist()):
        varies = (rows[k] != rows[k][:1]).any(0)
        assert varies.nonzero().flatten().tolist() == [d]


def test_interpolation_starts_and_ends_at_the_codes_and_is_affine():
    torch.manual_seed(4)
    a, b = torch.randn(5), torch.randn(5)
    z, t = vae.interpolation_codes(a, b, 8)
    assert z.shape == (8, 5) and t.shape == (8,)
    torch.testing.assert_close(z[0], a, rtol=0, atol=0)
    torch.testing.assert_close(z[-1], b, rtol=0, atol=0)
    torch.testing.assert_close(t, torch.arange(8) / 7.0)
    for j in range(8):                                    # z_j = a + (j/7)(b − a)
        torch.testing.assert_close(z[j], a + (j / 7) * (b - a))
    steps = z.diff(dim=0)                                 # equal steps along one direction
    torch.testing.assert_close(steps, ((b - a) / 7).expand(7, 5))
    mid, _ = vae.interpolation_codes(a, b, 3)
    torch.testing.assert_close(mid[1], (a + b) / 2)


def test_manifold_grid_is_the_gaussian_quantiles_in_image_layout():
    n = 15
    z = vae.manifold_codes(n, "cpu")
    p = torch.tensor(np.linspace(0.04, 0.96, n), dtype=torch.float32)
    q = Normal(0.0, 1.0).icdf(p)                          # (n,) ascending quantiles
    assert z.shape == (n * n, 2)
    grid = z.view(n, n, 2)
    for i in range(n):
        for j in range(n):                                # column j: z₁ = q_j; row i (top first): z₂ = q_{n−1−i}
            torch.testing.assert_close(grid[i, j], torch.stack([q[j], q[n - 1 - i]]))
    assert (grid[:, 1:, 0] > grid[:, :-1, 0]).all() and (grid[1:, :, 1] < grid[:-1, :, 1]).all()
    torch.testing.assert_close(grid[n // 2, n // 2], torch.zeros(2), atol=1e-6, rtol=0)   # the median in the middle


def test_prior_codes_cycle_labels_for_a_conditional_model_and_feed_sample():
    model = vae.Model(vae.Config(conditional=True, latent_dim=3, hidden=16), (1, 8, 8), 4)
    z, y = vae.prior_codes(model, 10)
    assert z.shape == (10, 3) and y.tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    plain = vae.Model(vae.Config(latent_dim=3, hidden=16), (1, 8, 8))
    z, y = vae.prior_codes(plain, 5)
    assert z.shape == (5, 3) and y is None
    # sample draws the same prior codes: same seed, same images
    torch.manual_seed(7)
    z, y = vae.prior_codes(model, 6)
    torch.manual_seed(7)
    torch.testing.assert_close(model.sample(6), model.decode(z, y), rtol=0, atol=0)
    torch.manual_seed(7)
    torch.testing.assert_close(model.sample(6, torch.full((6,), 2)), model.decode(z, torch.full((6,), 2)),
                               rtol=0, atol=0)
    # the draws are N(0, I)
    torch.manual_seed(8)
    big, _ = vae.prior_codes(plain, 100_000)
    torch.testing.assert_close(big.mean(0), torch.zeros(3), atol=0.02, rtol=0)
    torch.testing.assert_close(big.std(0), torch.ones(3), atol=0.02, rtol=0)


def test_warmup_reaches_the_model_epoch_by_epoch(digits):
    run = loop.Run("vae", vae.Config(warmup_epochs=2, beta=2.0, batch_size=512, hidden=64), digits)
    for m in loop.train(run, steps=4 * run.steps_per_epoch + 1):
        # the total the optimiser sees is recon + β_t·KL
        assert m.terms["total"] == pytest.approx(m.terms["recon"] + m.terms["beta"] * m.terms["kl"], rel=1e-4)
    # the mean β of each finished epoch: 0, β/2, β, β
    assert [e["beta"] for e in run.history.epochs] == [0.0, 1.0, 2.0, 2.0]


def test_bce_on_logits_equals_the_plain_recipe(digits):
    """Same value as pytorch/examples: sigmoid, then binary_cross_entropy(reduction="sum")."""
    model = vae.Model(vae.Config(latent_dim=4, hidden=64), digits.shape)
    x = digits.x[:32]
    torch.manual_seed(3)
    out = model.loss(Batch(x))
    torch.manual_seed(3)
    mu, logvar = model.encode(x)
    z = vae.reparameterize(mu, logvar)
    recon = F.binary_cross_entropy(torch.sigmoid(model.decode_logits(z)), x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    torch.testing.assert_close(out["loss"], recon + kl, rtol=1e-5, atol=1e-3)
    torch.testing.assert_close(out["recon"], recon.detach() / 32, rtol=1e-5, atol=1e-4)


def test_mse_mode_is_a_unit_gaussian_likelihood_without_its_constant(digits):
    """recon (MSE) = −log N(x; x̂, I) − D/2·log 2π per image, against torch.distributions, with the same z."""
    model = vae.Model(vae.Config(recon="mse", latent_dim=4, hidden=32), digits.shape)
    x = digits.x[:16]
    model.rng = torch.Generator().manual_seed(5)
    out = model.loss(Batch(x))
    eps = torch.randn((16, 4), generator=torch.Generator().manual_seed(5))   # the run's draw, repeated
    with torch.no_grad():
        mu, logvar = model.encode(x)
        x_hat = model.decode_logits(mu + torch.exp(0.5 * logvar) * eps)
        log_lik = Normal(x_hat, 1.0).log_prob(x).flatten(1).sum(1)            # (B,)  log N(x; x̂, I)
        kl = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(1)
    D = x[0].numel()
    const = D / 2 * math.log(2 * math.pi)
    torch.testing.assert_close(out["recon"], (-log_lik).mean() - const, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(out["neg_elbo"], (kl - log_lik).mean() - const, rtol=1e-5, atol=1e-4)
    # the page says so, with the constant's value for 8×8 digits and 28×28 MNIST
    from playground.tabs.vae import EQUATION
    assert r"\sigma=1" in EQUATION and r"\tfrac{D}{2}\log 2\pi" in EQUATION
    for pixels in (64, 784):
        assert f"{pixels / 2 * math.log(2 * math.pi):.1f}" in EQUATION


def test_cvae_prior_is_the_standard_normal_for_every_label(digits):
    model = vae.Model(vae.Config(conditional=True, latent_dim=3, hidden=32), digits.shape, 10)
    x = digits.x[:8]
    for label in (0, 7):
        y = torch.full((8,), label)
        out = model.loss(Batch(x, y))
        with torch.no_grad():
            mu, logvar = model.encode(x, y)
        want = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(1).mean()
        torch.testing.assert_close(out["kl"], want, rtol=1e-5, atol=1e-6)
    from playground.tabs.vae import EQUATION
    assert r"p(z\mid y)=\mathcal{N}(0,I)" in EQUATION


# ----------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("conditional", [False, True])
def test_output_shapes(arch, conditional):
    shape, k, d, B = (1, 16, 12), 5, 6, 7
    model = vae.Model(vae.Config(arch=arch, conditional=conditional, latent_dim=d, hidden=32), shape, k)
    x = torch.rand(B, *shape)
    y = torch.randint(0, k, (B,)) if conditional else None
    mu, logvar = model.encode(x, y)
    assert mu.shape == logvar.shape == (B, d)
    assert model.decode(mu, y).shape == (B, *shape)
    assert model.reconstruct(x, y).shape == (B, *shape)
    s = model.sample(9)
    assert s.shape == (9, *shape) and s.min() >= 0 and s.max() <= 1
    out = model.loss(Batch(x, y))
    assert out["loss"].dim() == 0 and out["loss"].requires_grad
    assert out["kl_per_dim"].shape == (d,)
    assert {"total", "recon", "kl", "neg_elbo", "beta"} <= set(out)


def test_rgb_and_mse_shapes():
    model = vae.Model(vae.Config(arch="conv", recon="mse", latent_dim=3), (3, 8, 8))
    x = torch.rand(4, 3, 8, 8)
    assert model.reconstruct(x).shape == (4, 3, 8, 8)
    out = model.loss(Batch(x))
    assert torch.isfinite(out["loss"])


# ----------------------------------------------------------------------------- bad configs
@pytest.mark.parametrize("kw, match", [
    (dict(latent_dim=1), r"latent size must be between 2 and 64; got 1"),
    (dict(latent_dim=65), r"latent size must be between 2 and 64"),
    (dict(beta=-0.5), r"β must be between 0 and 100"),
    (dict(lr=0.0), r"learning rate must be between"),
    (dict(lr=5.0), r"learning rate must be between"),
    (dict(batch_size=0), r"batch size must be between 1 and"),
    (dict(warmup_epochs=-1), r"KL warm-up epochs must be between 0 and 100"),
    (dict(hidden=8), r"hidden units must be between 16"),
    (dict(seed=-3), r"seed must be between 0"),
    (dict(recon="l1"), r"reconstruction loss must be one of 'bce', 'mse'; got 'l1'"),
    (dict(arch="rnn"), r"architecture must be one of 'mlp', 'conv'"),
    (dict(latent_dim="abc"), r"latent size must be a number; got 'abc'"),
    (dict(lr=None), r"learning rate must be a number"),
    (dict(beta=float("nan")), r"β must be a finite number"),
    (dict(lr=float("inf")), r"learning rate must be a finite number"),
    (dict(latent_dim=2.5), r"latent size must be a whole number"),
    (dict(conditional="maybe"), None),      # not a truthy word: becomes False, which is allowed
])
def test_bad_config_values_raise_helpful_errors(kw, match):
    if match is None:
        assert vae.Config(**kw).conditional is False
        return
    with pytest.raises(ValueError, match=match):
        vae.Config(**kw)


def test_values_from_the_api_are_coerced():
    cfg = vae.Config(latent_dim="16", lr="0.002", conditional="true", beta=4)
    assert cfg.latent_dim == 16 and isinstance(cfg.latent_dim, int)
    assert cfg.lr == 0.002 and cfg.conditional is True and cfg.beta == 4.0


def test_unknown_setting_raises():
    with pytest.raises(ValueError, match="Unknown setting.*latent_size"):
        vae.Config.from_dict({"latent_size": 4})


def test_conditional_on_unlabelled_data_raises(digits):
    unlabelled = replace(digits, y=None, y_test=None, classes=[])
    with pytest.raises(ValueError, match="conditional VAE needs labelled data"):
        loop.Run("vae", vae.Config(conditional=True), unlabelled)


@pytest.mark.parametrize("shape", [(1, 10, 10), (1, 28, 30), (3, 4, 4)])
def test_conv_on_a_shape_not_divisible_by_4_raises(shape):
    with pytest.raises(ValueError, match="sides divide by 4"):
        vae.Model(vae.Config(arch="conv"), shape)


# ----------------------------------------------------------------------------- training
def test_short_run_on_digits_lowers_the_loss(digits):
    torch.manual_seed(0)
    cfg = vae.Config(latent_dim=8, hidden=128, batch_size=64)
    run = loop.Run("vae", cfg, digits)
    with run.evaluating() as m:
        torch.manual_seed(0)
        before = m.test_loss(digits.x_test)["neg_elbo"]
    totals = [m.terms["total"] for m in loop.train(run, steps=150)]
    with run.evaluating() as m:
        torch.manual_seed(0)
        after = m.test_loss(digits.x_test)["neg_elbo"]
    assert run.step == 150 and run.epoch >= 6
    assert np.mean(totals[-10:]) < 0.75 * np.mean(totals[:10])
    assert after < 0.75 * before
    assert len(run.history.epochs) == run.epoch
    xs, ys = run.history.series("total")
    assert len(xs) == len(ys) == 150


def test_held_out_loss_leaves_the_runs_noise_alone(digits):
    run = loop.Run("vae", vae.Config(hidden=32), digits)
    before = run.model.rng.get_state()
    with run.evaluating() as m:
        m.test_loss(digits.x_test)
    assert torch.equal(run.model.rng.get_state(), before)        # the next training steps draw the same noise


def test_absurd_learning_rate_diverges_and_keeps_finite_weights(digits):
    run = loop.Run("vae", vae.Config(lr=1.0), digits)
    with pytest.raises(Diverged, match="smaller learning rate"):
        for _ in loop.train(run, steps=200):
            pass
    assert all(torch.isfinite(p).all() for p in run.model.parameters())
    with run.evaluating() as m:
        assert torch.isfinite(m.sample(4)).all()


def test_nan_restores_the_last_good_weights(digits, monkeypatch):
    run = loop.Run("vae", vae.Config(hidden=64), digits)
    seen = [{k: v.clone() for k, v in run.model.state_dict().items()}]      # before step 1
    gen = loop.train(run, steps=10)
    for _ in range(3):                          # steps 1–3 are fine
        next(gen)
        seen.append({k: v.clone() for k, v in run.model.state_dict().items()})
    original = run.model.train_step

    def poisoned(batch):                        # an update that blows the weights up
        out = original(batch)
        with torch.no_grad():
            run.model.encoder[0].weight.fill_(float("nan"))
        return out

    monkeypatch.setattr(run.model, "train_step", poisoned)
    with pytest.raises(Diverged, match="last good weights were kept"):
        for _ in gen:
            pass
    assert run.step == 4                        # step 4 poisoned; step 5's loss was NaN and not counted
    now = run.model.state_dict()
    assert all(torch.isfinite(v).all() for v in now.values())
    # the weights are exactly one of the states training passed through before the poison
    assert any(all(torch.equal(now[k], s[k]) for k in now) for s in seen)


# ----------------------------------------------------------------------------- real MNIST
def _idx(path: Path) -> np.ndarray:
    raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find(name: str) -> Path | None:
    for p in (MNIST_RAW / name, MNIST_RAW / (name + ".gz")):
        if p.exists():
            return p
    return None


@pytest.mark.skipif(_find("t10k-images-idx3-ubyte") is None, reason="MNIST test split not in ../shared/data")
def test_mnist_mlp_reaches_a_good_test_loss():
    x = torch.from_numpy(_idx(_find("t10k-images-idx3-ubyte")).copy()).float().div(255).unsqueeze(1)
    y = torch.from_numpy(_idx(_find("t10k-labels-idx1-ubyte")).copy()).long()
    assert x.shape == (10_000, 1, 28, 28)
    ds = data.Dataset("mnist (t10k subset)", "image", x[:8000], y[:8000], x[8000:], y[8000:],
                      classes=[str(i) for i in range(10)])
    cfg = vae.Config(latent_dim=20, hidden=400, batch_size=128, lr=1e-3)   # pytorch/examples' vae
    run = loop.Run("vae", cfg, ds, device="cpu")
    t0 = time.perf_counter()
    epochs = 10
    for _ in loop.train(run, steps=epochs * run.steps_per_epoch):
        pass
    with run.evaluating() as m:
        torch.manual_seed(0)
        test = m.test_loss(ds.x_test)
    print(f"\nMNIST 784-400-20 MLP, {epochs} epochs on 8,000 images ({time.perf_counter() - t0:.1f} s): "
          f"held-out test loss {test['neg_elbo']:.1f} per image (BCE {test['recon']:.1f} + KL {test['kl']:.1f})")
    assert run.epoch == epochs - 1 or run.epoch == epochs
    assert test["neg_elbo"] < 140
    assert test["kl"] > 5            # the code is used, not collapsed to the prior


@pytest.mark.parametrize("scale", [1.0, 8.0, 60.0])
def test_fast_bce_equals_torch_bce_with_logits_value_and_gradient(scale):
    from trainers.layers import bce_with_logits_sum
    g = torch.Generator().manual_seed(0)
    a = (torch.randn(16, 50, generator=g, dtype=torch.float64) * scale).requires_grad_()
    x = torch.rand(16, 50, generator=g, dtype=torch.float64)
    ref = F.binary_cross_entropy_with_logits(a, x, reduction="sum")
    (g_ref,) = torch.autograd.grad(ref, a)
    out = bce_with_logits_sum(a, x)
    (g_out,) = torch.autograd.grad(out, a)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(g_out, g_ref)
