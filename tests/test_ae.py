"""Autoencoders (trainers/ae.py, trainers/ae_views.py): each penalty against an independent computation,
k-sparse masking, denoising and anomaly detection outcomes, and bad inputs."""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from trainers import ae, loop
from trainers import ae_probes as V
from trainers.base import Batch


def _train(cfg: ae.Config, ds, steps: int) -> loop.Run:
    run = loop.Run("ae", cfg, ds, device="cpu")
    for _ in loop.train(run, steps=steps):
        pass
    return run


# ----------------------------------------------------------------------------- eq. 4: contractive
@pytest.mark.parametrize("arch,shape", [("mlp", (1, 4, 5)), ("conv", (1, 8, 8))])
def test_contractive_penalty_is_squared_frobenius_of_encoder_jacobian(arch, shape):
    torch.manual_seed(0)
    cfg = ae.Config(variant="contractive", latent_dim=3, hidden=16, arch=arch, lam=0.7)
    model = ae.Model(cfg, shape).double()
    x = torch.rand(4, *shape, dtype=torch.float64)
    got = model.jacobian_fro2(x)                                    # (B,)
    for b in range(x.shape[0]):
        J = torch.autograd.functional.jacobian(lambda xi: model.encode(xi[None])[0], x[b])   # (d, *shape)
        assert torch.allclose(got[b], J.pow(2).sum(), rtol=1e-10, atol=1e-12)
    # the loss carries λ · mean ‖J‖_F² and the (unsquared) norm as a curve
    out = model.loss(Batch(x))
    assert torch.allclose(out["contractive"], 0.7 * got.mean())
    assert torch.allclose(out["jacobian_fro"], got.sqrt().mean())
    # and the penalty is differentiable: its gradient reaches the encoder's first layer
    model.zero_grad()
    model.jacobian_fro2(x).sum().backward()
    first = next(model.encoder.parameters())
    assert first.grad is not None and first.grad.abs().sum() > 0


def test_closed_form_for_wide_inputs_matches_jacobian():
    # n_in > hidden takes the Gram-matrix route; check it too
    torch.manual_seed(1)
    model = ae.Model(ae.Config(variant="contractive", latent_dim=2, hidden=16), (1, 6, 6)).double()
    x = torch.rand(3, 1, 6, 6, dtype=torch.float64)
    got = model.jacobian_fro2(x)
    for b in range(3):
        J = torch.autograd.functional.jacobian(lambda xi: model.encode(xi[None])[0], x[b])
        assert torch.allclose(got[b], J.pow(2).sum(), rtol=1e-10)


# ----------------------------------------------------------------------------- k-sparse
def test_k_sparse_keeps_k_units_and_passes_no_gradient_to_the_others():
    torch.manual_seed(0)
    k = 3
    model = ae.Model(ae.Config(variant="sparse", sparsity="k-sparse", k=k, latent_dim=10, hidden=32), (1, 8, 8))
    x = torch.rand(6, 1, 8, 8)
    a = model.pre_code(x)
    a.retain_grad()
    h = model.activate(a)
    assert ((h != 0).sum(1) == k).all()
    kept = a.topk(k, dim=1).indices
    assert torch.equal(torch.sort((h != 0).nonzero()[:, 1].view(6, k), 1).values, torch.sort(kept, 1).values)
    model.decode(h).sum().backward()
    mask = torch.zeros_like(a, dtype=torch.bool).scatter_(1, kept, True)
    assert (a.grad[~mask] == 0).all()
    assert (a.grad[mask] != 0).all()
    # the codes the UI reads are k-sparse too
    assert ((model.latents(x) != 0).sum(1) == k).all()
    assert ((model.activate(torch.randn(5, 10)) != 0).sum(1) == k).all()


# ----------------------------------------------------------------------------- eq. 3: sparse KL
def test_sparse_kl_equals_hand_computed_values():
    # KL(0.1 ‖ 0.5) = 0.1 ln 0.2 + 0.9 ln 1.8 ;  KL(0.1 ‖ 0.2) = 0.1 ln 0.5 + 0.9 ln 1.125 ; KL(ρ ‖ ρ) = 0
    got = ae.kl_sparsity(0.1, torch.tensor([0.5, 0.2, 0.1], dtype=torch.float64))
    hand = torch.tensor([0.1 * math.log(0.2) + 0.9 * math.log(1.8),
                         0.1 * math.log(0.5) + 0.9 * math.log(1.125), 0.0], dtype=torch.float64)
    assert torch.allclose(got, hand, atol=1e-12)
    assert abs(float(got[0]) - 0.3680642) < 1e-6 and abs(float(got[1]) - 0.0366900) < 1e-6
    # same as torch.distributions' Bernoulli KL
    ref = torch.distributions.kl_divergence(torch.distributions.Bernoulli(probs=torch.tensor(0.1)),
                                            torch.distributions.Bernoulli(probs=torch.tensor([0.5, 0.2])))
    assert torch.allclose(got[:2].float(), ref, atol=1e-6)


def test_sparse_loss_terms_are_wired_to_the_codes():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 8, 8)
    m = ae.Model(ae.Config(variant="sparse", sparsity="kl", rho=0.2, beta=3.0, latent_dim=5, hidden=16), (1, 8, 8))
    out = m.loss(Batch(x))
    h = m.encode(x)
    assert out["rho_hat"].shape == (5,) and torch.allclose(out["rho_hat"], h.mean(0))
    assert torch.allclose(out["sparsity"], 3.0 * ae.kl_sparsity(0.2, h.mean(0)).sum())
    assert torch.allclose(out["total"], out["recon"] + out["sparsity"])
    assert out["frac_zero"].dim() == 0
    m1 = ae.Model(ae.Config(variant="sparse", sparsity="l1", l1=0.5, latent_dim=5, hidden=16), (1, 8, 8))
    out1 = m1.loss(Batch(x))
    h1 = m1.encode(x)
    assert (h1 >= 0).all()
    assert torch.allclose(out1["sparsity"], 0.5 * h1.abs().sum(1).mean())
    assert torch.allclose(out1["frac_zero"], (h1 < ae.ZERO_TOL).float().mean())


def test_l1_penalty_gradient_is_weight_times_sign_of_h_through_the_encoder():
    """The L1 penalty's gradient, isolated as ∇(loss with weight w) − ∇(loss with weight 0) on the same
    network: w·sign(h)/B at the code's pre-activation, and autograd of a hand-written penalty at the weights."""
    torch.manual_seed(0)
    base = dict(variant="sparse", sparsity="l1", latent_dim=6, hidden=16)
    model = ae.Model(ae.Config(l1=0.7, **base), (1, 8, 8)).double()
    x = torch.rand(10, 1, 8, 8, dtype=torch.float64)
    grabbed = []

    def keep(_m, _i, out):                                         # the pre-activation a, with its gradient
        out.retain_grad()
        grabbed.append(out)

    model.encoder.register_forward_hook(keep)
    params = list(model.parameters())

    def grads(w):
        model.cfg = ae.Config(l1=w, **base)
        model.zero_grad()
        model.loss(Batch(x))["loss"].backward()
        return grabbed[-1].grad.clone(), [p.grad.clone() for p in params]

    a_grad_w, p_grad_w = grads(0.7)
    a_grad_0, p_grad_0 = grads(0.0)
    a = grabbed[-1].detach()
    h = torch.relu(a)
    assert 0 < int((h > 0).sum()) < h.numel()                     # some units on, some off
    torch.testing.assert_close(a_grad_w - a_grad_0, 0.7 * torch.sign(h) / x.shape[0])
    # the same gradient at every weight, by autograd of the penalty written by hand
    model.zero_grad()
    lin1, lin2 = model.encoder[0], model.encoder[2]
    hand = 0.7 * torch.relu(lin2(torch.relu(lin1(x.flatten(1))))).abs().sum(1).mean()
    want = torch.autograd.grad(hand, params, allow_unused=True)
    for p, gw, g0, gh in zip(params, p_grad_w, p_grad_0, want):
        torch.testing.assert_close(gw - g0, torch.zeros_like(p) if gh is None else gh)
    assert any(gh is None for gh in want) and any(gh is not None and gh.abs().sum() > 0 for gh in want)


# ----------------------------------------------------------------------------- training outcomes
@pytest.mark.parametrize("kw", [dict(), dict(variant="denoising", noise="gaussian"),
                                dict(variant="sparse"), dict(variant="sparse", sparsity="l1"),
                                dict(variant="sparse", sparsity="k-sparse"), dict(variant="contractive")])
def test_every_variant_learns(digits, kw):
    run = _train(ae.Config(**kw), digits, 60)
    recon = run.history.terms["recon"]
    assert sum(recon[-10:]) / 10 < 0.6 * sum(recon[:5]) / 5
    with run.evaluating() as m:
        s = m.sample(4)
        assert s.shape == (4, 1, 8, 8) and s.min() >= 0 and s.max() <= 1


def test_denoising_ae_denoises_better_than_plain_ae(digits):
    errs = {}
    for variant in ("plain", "denoising"):
        run = _train(ae.Config(variant=variant, noise="masking", noise_level=0.4, seed=0), digits, 150)
        x = run.data.x_test
        noisy = ae.corrupt(x, "masking", 0.4, torch.Generator().manual_seed(1))
        with run.evaluating() as m:
            errs[variant] = float((m.reconstruct(noisy) - x).pow(2).flatten(1).sum(1).mean())
    assert errs["denoising"] < 0.95 * errs["plain"], errs


def test_corrupt_noise_types():
    g = torch.Generator().manual_seed(0)
    x = torch.full((200, 1, 8, 8), 0.5)
    masked = ae.corrupt(x, "masking", 0.3, g)
    assert set(masked.unique().tolist()) <= {0.0, 0.5} and abs(float((masked == 0).float().mean()) - 0.3) < 0.02
    sp = ae.corrupt(x, "salt-and-pepper", 0.3, g)
    assert abs(float((sp == 0).float().mean()) - 0.15) < 0.02 and abs(float((sp == 1).float().mean()) - 0.15) < 0.02
    gs = ae.corrupt(x, "gaussian", 0.1, g)
    assert abs(float((gs - x).std()) - 0.1) < 0.01 and gs.min() >= 0 and gs.max() <= 1


def test_anomaly_auc_above_chance_on_held_out_digit(digits):
    normal, x_normal, x_anom = V.split_classes(digits, [0])
    assert not (normal.y == 0).any() and len(x_anom) > 100
    run = _train(ae.Config(seed=0), normal, 150)
    with run.evaluating() as m:
        rep = V.anomaly_report(m, x_normal, x_anom)
    assert rep["auc"] > 0.7, rep["auc"]
    assert len(rep["normal"]) == len(x_normal) and len(rep["anomalous"]) == len(x_anom)
    # the AUC helper against a hand-countable case: 3 of 4 (normal, anomaly) pairs ordered right
    assert V.roc_auc(torch.tensor([1.0, 3.0]), torch.tensor([2.0, 4.0])) == 0.75


def test_views_helpers_shapes_and_values(digits):
    run = _train(ae.Config(variant="contractive"), digits, 20)
    x = run.data.x_test[:32]
    with run.evaluating() as m:
        imgs = V.decode_line(m, x[0], x[1], 7)
        assert imgs.shape == (7, 1, 8, 8)
        h = m.latents(x[:2])
        assert torch.allclose(imgs[0], m.decode(h[:1])[0]) and torch.allclose(imgs[-1], m.decode(h[1:])[0])
        r1, r2 = V.random_decodes(m, 5, seed=3), V.random_decodes(m, 5, seed=3)
        assert torch.equal(r1, r2)
        s = V.code_sensitivity(m, x, eps=1e-3)
        # a tiny finite difference along u is bounded by the Jacobian's spectral (≤ Frobenius) norm
        assert (s <= m.jacobian_fro2(x).sqrt() * 1.01 + 1e-4).all()
        assert V.code_spread(m, x) > 0
        # the batched curve the tab draws agrees with the one-ε helper (same random directions)
        curve = V.sensitivity_curve(m, x, [1e-2, 1e-1])
        one = float(V.code_sensitivity(m, x, eps=1e-1).median()) * 1e-1 / V.code_spread(m, x)
        assert curve.shape == (2,) and abs(curve[1] - one) < 1e-4 * max(1.0, one) and curve[0] < curve[1]
    d = V.nearest_distance(x[:3], x)
    assert torch.allclose(d, torch.zeros(3), atol=1e-3)
    assert torch.allclose(V.line(torch.zeros(2), torch.ones(2), 3)[1], torch.full((2,), 0.5))


def test_contractive_penalty_makes_codes_less_sensitive(digits):
    # the "plain vs CAE" view: the same network with λ = 0 moves its code more for the same nudge
    cae = _train(ae.Config(variant="contractive", lam=0.3), digits, 150)
    twin = _train(V.zero_penalty_like(cae.cfg), digits, 150)
    x = cae.data.x_test[:200]
    with cae.evaluating() as m, twin.evaluating() as t:
        s_cae, s_twin = V.sensitivity_curve(m, x, [0.1]), V.sensitivity_curve(t, x, [0.1])
        j_cae, j_twin = m.jacobian_fro2(x).mean(), t.jacobian_fro2(x).mean()
    assert j_cae < 0.7 * j_twin, (j_cae, j_twin)
    assert s_cae[0] < s_twin[0], (s_cae, s_twin)


def test_vae_companion_trains_on_the_spot(digits):
    cfg = ae.Config(latent_dim=4, hidden=32)
    run = V.train_companion("vae", V.vae_config_like(cfg), digits, 3, device="cpu")
    assert run.step == 3 and run.model.cfg.latent_dim == 4
    assert V.zero_penalty_like(ae.Config(variant="contractive", lam=2.0)).lam == 0.0


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("kw,needle", [
    (dict(variant="sparse", sparsity="k-sparse", k=20, latent_dim=8), "at most the code size"),
    (dict(rho=0.0), "ρ"), (dict(rho=1.0), "ρ"), (dict(rho=1.5), "ρ"), (dict(rho=-0.1), "ρ"),
    (dict(lam=-1.0), "λ"), (dict(beta=-0.5), "β"), (dict(l1=-1.0), "L1"), (dict(noise_level=-0.1), "noise"),
    (dict(variant="sparse-ish"), "variant"), (dict(k=2.5), "whole number"), (dict(latent_dim=0), "code size"),
])
def test_bad_config_raises_clear_value_error(kw, needle):
    with pytest.raises(ValueError, match=needle):
        ae.Config(**kw)


def test_bad_model_and_view_inputs_raise_value_error(digits):
    with pytest.raises(ValueError, match="divide by 4"):
        ae.Model(ae.Config(arch="conv"), (1, 6, 6))
    with pytest.raises(ValueError):
        ae.corrupt(torch.zeros(2, 1, 8, 8), "speckle", 0.1)
    with pytest.raises(ValueError, match="hold out"):
        V.split_classes(digits, [])
    with pytest.raises(ValueError, match="at least one class"):
        V.split_classes(digits, range(10))
    unlabelled = dataclasses.replace(digits, y=None, y_test=None, classes=[])
    with pytest.raises(ValueError, match="no classes"):
        V.split_classes(unlabelled, [0])
    with pytest.raises(ValueError):
        V.code_sensitivity(None, torch.zeros(1, 2), eps=0.0)
    # k-sparse with k == code size is allowed; the check only bites when k-sparse is in use
    ae.Config(variant="sparse", sparsity="k-sparse", k=8, latent_dim=8)
    ae.Config(variant="plain", k=20, latent_dim=8)
