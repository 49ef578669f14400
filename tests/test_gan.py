"""GAN lab: the losses, the gradient penalty, spectral norm, the metrics, the presets, bad input."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from trainers import data
from trainers.base import Batch, Diverged
from playground.tabs.gan import EQUATIONS
from trainers.gan import OBJECTIVES, Config, Model, gradient_penalty, paper_settings
from trainers.gan_metrics import d_heatmap, d_scores, dataset_coverage, generator_arrows, mode_coverage
from trainers.gan_nets import ModulatedConv, apply_spectral_norm, minibatch_std
from trainers.loop import Run, train


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # tiny models on a shared CPU: one thread avoids oversubscription stalls
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _model(shape=(2,), **kw) -> Model:
    torch.manual_seed(0)
    m = Model(Config(**kw), shape)
    m.optimizers = m.configure_optimizers()
    return m


# ----------------------------------------------------------------------------- the math
def test_gradient_penalty_equals_autograd_on_each_interpolate():
    torch.manual_seed(0)
    D = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1), nn.Flatten(0))
    real, fake = torch.randn(6, 2), torch.randn(6, 2) + 3
    eps = torch.rand(6, 1)
    gp = gradient_penalty(D, real, fake, eps)
    for i in range(6):     # independently: one interpolate at a time, the norm written out by hand
        x_hat = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).clone().requires_grad_(True)
        (g,) = torch.autograd.grad(D(x_hat[None]).sum(), x_hat)
        want = (math.sqrt(float((g ** 2).sum())) - 1) ** 2
        assert gp[i].item() == pytest.approx(want, rel=1e-5, abs=1e-7)
    # and it is differentiable w.r.t. D's weights (D minimises it)
    gp.mean().backward()
    assert D[0].weight.grad is not None and D[0].weight.grad.abs().sum() > 0


def test_gradient_penalty_images_uses_per_image_norm():
    torch.manual_seed(0)
    D = nn.Sequential(nn.Flatten(), nn.Linear(12, 1), nn.Flatten(0))
    real, fake = torch.rand(3, 1, 3, 4), torch.rand(3, 1, 3, 4)
    gp = gradient_penalty(D, real, fake)
    # a linear D has the same gradient w everywhere: GP = (‖w‖ − 1)² for every sample
    want = (D[1].weight.norm() - 1) ** 2
    torch.testing.assert_close(gp, want.expand(3).detach())


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_losses_match_their_formulas(objective):
    m = _model(objective=objective)
    a, b = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 0.2, 1.0])
    Dr, Df = torch.sigmoid(a), torch.sigmoid(b)
    if objective in ("minimax", "non-saturating"):
        want_d = -(torch.log(Dr).mean() + torch.log(1 - Df).mean())            # eq. 5, D's side
        want_g = torch.log(1 - Df).mean() if objective == "minimax" else -torch.log(Df).mean()
    elif objective == "hinge":
        want_d = torch.clamp(1 - a, min=0).mean() + torch.clamp(1 + b, min=0).mean()
        want_g = -b.mean()
    else:
        want_d, want_g = b.mean() - a.mean(), -b.mean()                          # eq. 6
    assert m.d_loss(a, b).item() == pytest.approx(want_d.item(), rel=1e-5)
    assert m.g_loss(b).item() == pytest.approx(want_g.item(), rel=1e-5)
    assert objective in EQUATIONS


def test_spectral_norm_largest_singular_value_is_one():
    torch.manual_seed(0)
    net = apply_spectral_norm(nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Conv2d(3, 8, 3)))
    for _ in range(30):                 # each forward pass in train mode runs one power iteration
        net[0](torch.randn(4, 5)), net[2](torch.randn(1, 3, 6, 6))
    s_lin = torch.linalg.matrix_norm(net[0].weight.detach(), ord=2)
    s_conv = torch.linalg.matrix_norm(net[2].weight.detach().flatten(1), ord=2)
    assert s_lin.item() == pytest.approx(1.0, abs=1e-2)
    assert s_conv.item() == pytest.approx(1.0, abs=1e-2)
    # without it, the same layer is far from 1
    assert torch.linalg.matrix_norm(net[0].parametrizations.weight.original.detach(), ord=2) > 1.5


def test_hinge_model_has_spectral_norm_on_every_D_layer():
    m = _model(objective="hinge")
    x = torch.randn(64, 2)
    for _ in range(20):
        m.D(x)
    layers = [l for l in m.D.modules() if isinstance(l, nn.Linear)]
    assert len(layers) == 3
    for l in layers:
        assert torch.linalg.matrix_norm(l.weight.detach(), ord=2).item() == pytest.approx(1.0, abs=2e-2)


@pytest.mark.parametrize("upsample", [False, True])
def test_modulated_conv_equals_a_per_sample_demodulated_conv(upsample):
    torch.manual_seed(0)
    conv = ModulatedConv(4, 6, w_dim=5, upsample=upsample)
    w = torch.randn(3, 5)
    # listing 2 written out: one weight per sample, w · (s + 1e-8), each output filter scaled to unit norm
    s = conv.modulation(w).view(3, 1, 4, 1, 1)
    weight = conv.scale * conv.weight * (s + 1e-8)
    weight = weight * torch.rsqrt(weight.pow(2).sum((2, 3, 4), keepdim=True) + 1e-8)
    torch.testing.assert_close(weight.pow(2).sum((2, 3, 4)), torch.ones(3, 6), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(conv.modulated_weight(w), weight)
    x = torch.randn(3, 4, 5, 5)
    out = conv(x, w)
    for b in range(3):   # the batched (non-fused) conv equals one ordinary conv per sample with its own weight
        xb = F.interpolate(x[b:b + 1], scale_factor=2, mode="nearest") if upsample else x[b:b + 1]
        torch.testing.assert_close(out[b:b + 1], F.conv2d(xb, weight[b], padding=1), rtol=1e-4, atol=1e-5)


def test_minibatch_std_separates_a_collapsed_batch():
    h_div, h_col = torch.randn(32, 8), torch.randn(1, 8).expand(32, 8)
    assert minibatch_std(h_div) > 0.5 and minibatch_std(h_col) < 1e-3


# ----------------------------------------------------------------------------- metrics
def test_mode_coverage_counts_hand_made_samples():
    centers = data.mode_centers("ring of 8")
    std = data.MODE_STD["ring of 8"]
    g = torch.Generator().manual_seed(0)
    every = centers.repeat_interleave(500, 0) + std * torch.randn(4000, 2, generator=g)
    one = centers[3] + std * torch.randn(4000, 2, generator=g)
    noise = 0.3 * torch.randn(4000, 2, generator=g)                    # near the origin: far from the ring
    c_all, c_one, c_noise = (mode_coverage(s, centers, std) for s in (every, one, noise))
    assert (c_all.modes_covered, c_one.modes_covered, c_noise.modes_covered) == (8, 1, 0)
    # in 2D, P(‖ε‖ ≤ 3σ) = 1 − exp(−9/2) = 98.89 % (a Rayleigh radius)
    p3 = 100 * (1 - math.exp(-4.5))
    assert c_all.high_quality == pytest.approx(p3, abs=0.6) and c_one.high_quality == pytest.approx(p3, abs=0.6)
    assert c_noise.high_quality == 0
    assert sum(c_one.per_mode) == c_one.per_mode[3] > 3900
    half = mode_coverage(torch.cat([one, noise]), centers, std)
    assert half.modes_covered == 1 and half.high_quality == pytest.approx(p3 / 2, abs=0.5)
    # a threshold on the count: two stray samples do not cover a mode (VEEGAN's one-sample rule says they do)
    stray = torch.cat([one, centers[:2]])
    assert mode_coverage(stray, centers, std, min_count=1).modes_covered == 3
    assert mode_coverage(stray, centers, std).modes_covered == 1
    assert mode_coverage(stray, centers, std, min_count=5).modes_covered == 1
    with pytest.raises(ValueError):
        mode_coverage(torch.randn(10), centers, std)


def test_2d_views_have_the_right_shapes_and_arrows_point_uphill_on_D():
    m = _model(objective="non-saturating", minibatch_std=True)
    xs, ys, v = d_heatmap(m, n=20)
    assert xs.shape == (20,) and ys.shape == (20,) and v.shape == (20, 20) and ((v >= 0) & (v <= 1)).all()
    pts, arrows = generator_arrows(m, n=50)
    assert pts.shape == arrows.shape == (50, 2)
    # the non-saturating G loss decreases along the arrow: D's logit at the moved points goes up
    with torch.no_grad():
        stat = minibatch_std(m.D.features(torch.from_numpy(pts)))
    step = 1e-3 * torch.from_numpy(arrows)
    before = m.D(torch.from_numpy(pts), stat=stat)
    after = m.D(torch.from_numpy(pts) + step, stat=stat)
    assert (after >= before - 1e-6).float().mean() > 0.95
    with pytest.raises(ValueError):
        d_heatmap(m, xlim=(1, -1))


# ----------------------------------------------------------------------------- training
def test_every_objective_and_architecture_takes_a_step():
    ds = data.load("digits")
    x = ds.x[:16]
    for arch in ("mlp", "dcgan", "stylegan"):
        for objective in OBJECTIVES:
            m = _model(ds.shape, arch=arch, objective=objective, width=8, hidden=32, z_dim=8,
                       feature_matching=(objective == "hinge"),
                       minibatch_std=(arch == "dcgan" and objective != "wgan-gp"),
                       minibatch_disc=(arch != "stylegan" and objective in ("hinge", "wgan")))
            before = [p.detach().clone() for p in m.G.parameters()]
            out = m.train_step(Batch(x))
            for k in ("d_loss", "g_loss", "total", "d_acc", "grad_norm_d", "grad_norm_g"):
                assert torch.isfinite(out[k]), (arch, objective, k)
            assert ("wasserstein" in out) == (objective in ("wgan", "wgan-gp"))
            assert ("gp" in out) == (objective == "wgan-gp")
            assert any((p - b).abs().max() > 0 for p, b in zip(m.G.parameters(), before)), (arch, objective)
            s = m.sample(5)
            assert s.shape == (5, 1, 8, 8) and s.min() >= 0 and s.max() <= 1
            if objective == "wgan":
                assert max(p.abs().max().item() for p in m.D.parameters()) <= m.cfg.clip + 1e-7
    r, f = d_scores(m, ds.x, n=10)
    assert r.shape == f.shape == (10,)


def test_d_learns_to_tell_real_from_fake():
    ds = data.load("ring of 8")
    cfg = Config(objective="non-saturating", lr_g=1e-6, batch_size=128)   # G almost frozen: D must win
    run = Run("gan", cfg, ds, device="cpu")
    accs = [m.terms["d_acc"] for m in train(run, steps=60)]
    assert sum(accs[-10:]) / 10 > 0.9 > accs[0]


def test_nan_stops_without_stepping_and_the_loop_keeps_good_weights():
    ds = data.load("ring of 8")
    run = Run("gan", Config(), ds, device="cpu")
    states = [{k: v.clone() for k, v in run.model.state_dict().items()}]
    for _ in train(run, steps=3):               # every state that trained fine is a "good" one
        states.append({k: v.clone() for k, v in run.model.state_dict().items()})
    with torch.no_grad():
        run.model.D.head.weight.fill_(float("nan"))
    g_before = [p.detach().clone() for p in run.model.G.parameters()]
    out = run.model.train_step(Batch(ds.x[:32]))
    assert not torch.isfinite(out["loss"])
    assert all(torch.equal(p, b) for p, b in zip(run.model.G.parameters(), g_before)), "stepped on a NaN loss"
    with pytest.raises(Diverged, match="diverged"):
        list(train(run, steps=5))
    now = run.model.state_dict()
    assert any(all(torch.equal(now[k], s[k]) for k in now) for s in states), "not restored to good weights"
    assert torch.isfinite(run.model.sample(10)).all()


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw", [dict(objective="lsgan"), dict(arch="biggan"), dict(lr_d=0), dict(lr_g=5.0),
                                dict(n_critic=0), dict(n_critic=2.5), dict(gp_lambda=-1), dict(z_dim="x"),
                                dict(clip=float("nan")), dict(objective="wgan", spectral_norm=True),
                                dict(objective="wgan-gp", minibatch_std=True),
                                dict(objective="wgan-gp", minibatch_disc=True)])
def test_bad_config_raises_a_readable_error(kw):
    with pytest.raises(ValueError, match=r"\w+ \w+"):
        Config(**kw)


def test_architecture_must_fit_the_data():
    with pytest.raises(ValueError, match="2D points"):
        Model(Config(arch="dcgan"), (2,))
    with pytest.raises(ValueError, match="divide by 4"):
        Model(Config(arch="stylegan"), (1, 10, 10))


@pytest.mark.parametrize("text", ["x,y\n1,2\nhello,3\n", "1,2\n" * 3, "1\n" * 20, "1,nan\n" * 20, ""])
def test_malformed_csv_raises(tmp_path, text):
    p = tmp_path / "points.csv"
    p.write_text(text)
    with pytest.raises(ValueError):
        data.points_from_csv(p)


def test_uploaded_points_train(tmp_path):
    p = tmp_path / "points.csv"
    g = torch.Generator().manual_seed(0)
    pts = torch.randn(200, 2, generator=g) * torch.tensor([3.0, 0.5])
    p.write_text("x,y\n" + "\n".join(f"{a:.4f},{b:.4f}" for a, b in pts.tolist()))
    ds = data.points_from_csv(p)
    run = Run("gan", Config(batch_size=64), ds, device="cpu")
    ms = list(train(run, steps=5))
    assert ms[-1].step == 5 and math.isfinite(ms[-1].terms["total"])
    assert dataset_coverage(run.model, ds.name) is None


@pytest.mark.parametrize("kw", [dict(objective="hinge", minibatch_std=True), dict(objective="wgan", n_critic=2)])
def test_checkpoint_round_trip_keeps_both_players_and_their_optimizers(kw):
    from trainers import checkpoint
    run = Run("gan", Config(hidden=32, batch_size=32, **kw), data.load("ring of 8"), device="cpu")
    list(train(run, steps=4))
    back = checkpoint.load(checkpoint.save(run), device="cpu")
    for k, v in run.model.state_dict().items():            # spectral norm's u, v and the fixed noise too
        torch.testing.assert_close(back.model.state_dict()[k], v, msg=k)
    torch.testing.assert_close(back.model.sample_fixed(8), run.model.sample_fixed(8))
    assert back.step == 4 and len(back.model.optimizers) == 2
    list(train(back, steps=2))                             # and training resumes
    assert back.step == 6


# ----------------------------------------------------------------------------- issue 17
def test_modes_covered_needs_a_share_of_the_samples_not_one():
    # an N(0, I) blob, a uniform square and a ring without modes: each scored 8/8 under "one sample covers"
    centers, std = data.mode_centers("ring of 8"), data.MODE_STD["ring of 8"]
    g = torch.Generator().manual_seed(0)
    a = 2 * math.pi * torch.rand(2500, generator=g)
    featureless = (2 + std * torch.randn(2500, generator=g))[:, None] * torch.stack([a.cos(), a.sin()], 1)
    for cloud in (torch.randn(2500, 2, generator=g), 5 * torch.rand(2500, 2, generator=g) - 2.5, featureless):
        assert mode_coverage(cloud, centers, std, min_count=1).modes_covered == 8     # VEEGAN's rule
        cov = mode_coverage(cloud, centers, std)
        assert cov.modes_covered <= 1 and cov.min_count == math.ceil(2500 / 3 / 8) == 105, cov
    real = data.load("ring of 8").x[:2500]                                  # the data itself: all 8
    assert mode_coverage(real, centers, std).modes_covered == 8


def test_minibatch_discrimination_equals_salimans_formula_written_as_loops():
    from trainers.gan_nets import MinibatchDiscrimination
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(6, kernels=4, kernel_dim=3)
    with torch.no_grad():
        layer.T.normal_()                                   # O(1) distances, so exp(−·) is not all 0 or 1
    f = torch.randn(5, 6)
    out = layer(f)
    T = layer.T.detach()                                    # (A, B, C)
    for i in range(5):
        torch.testing.assert_close(out[i, :6], f[i])        # [f(x_i), o(x_i)]
        for b in range(4):
            o = 0.0
            for j in range(5):                              # o(x_i)_b = Σ_j exp(−‖M_i,b − M_j,b‖_L1)
                l1 = sum(abs(sum(float(f[i, a] - f[j, a]) * float(T[a, b, c]) for a in range(6)))
                         for c in range(3))
                o += math.exp(-l1)
            assert out[i, 6 + b].item() == pytest.approx(o, rel=1e-5)
    # a collapsed batch: every row close to every other, so o ≈ n on every kernel
    assert torch.allclose(layer(f[:1].expand(5, 6))[:, 6:], torch.full((5, 4), 5.0))


def test_views_see_a_point_as_one_more_member_of_a_batch_of_fakes():
    # D on a whole batch == D on one row with the other rows as its batch (ref / stat): the views rely on it
    m = _model(objective="non-saturating", minibatch_std=True, minibatch_disc=True)
    x = torch.randn(7, 2)
    with torch.no_grad():
        whole = m.D(x)
        h = m.D.features(x)
        for i in range(7):
            others = torch.cat([h[:i], h[i + 1:]])
            one = m.D(x[i:i + 1], stat=minibatch_std(h), ref=others)
            torch.testing.assert_close(one[0], whole[i])
    xs, ys, v = d_heatmap(m, n=12)
    pts, arrows = generator_arrows(m, n=20)
    assert v.shape == (12, 12) and arrows.shape == (20, 2) and torch.isfinite(torch.from_numpy(arrows)).all()


def test_feature_matching_loss_is_the_distance_between_mean_features_by_hand():
    m = _model(objective="non-saturating", feature_matching=True, hidden=16)
    m.rng = torch.Generator().manual_seed(3)
    fakes = []
    m.G.register_forward_hook(lambda mod, inp, out: fakes.append(out.detach().clone()))
    real = data.load("ring of 8").x[:32]
    out = m.train_step(Batch(real))
    # D is not stepped after the G loss: its weights now are those the loss saw; the last G call made the fakes
    lin1, lin2 = m.D.body[1], m.D.body[3]

    def f(x):    # D's last hidden layer written out: LeakyReLU(0.2)(W2 LeakyReLU(0.2)(W1 x + b1) + b2)
        h = x @ lin1.weight.T + lin1.bias
        h = torch.where(h > 0, h, 0.2 * h) @ lin2.weight.T + lin2.bias
        return torch.where(h > 0, h, 0.2 * h)

    with torch.no_grad():
        want = ((f(real).mean(0) - f(fakes[-1]).mean(0)) ** 2).sum()
    assert out["g_loss"].item() == pytest.approx(want.item(), rel=1e-5)


def test_each_objective_brings_its_papers_settings():
    default = Config()
    assert all(getattr(default, k) == v for k, v in paper_settings("non-saturating").items())  # unchanged
    gp = Config.for_objective("wgan-gp")
    assert (gp.n_critic, gp.beta1, gp.gp_lambda) == (5, 0.0, 0.1)
    opt_d, _ = _model(**paper_settings("wgan-gp")).configure_optimizers()
    assert isinstance(opt_d, torch.optim.Adam) and opt_d.defaults["betas"] == (0.0, 0.9)
    w = Config.for_objective("wgan", hidden=64)
    assert (w.n_critic, w.clip, w.hidden) == (5, 0.01, 64)
    assert isinstance(_model(**paper_settings("wgan")).configure_optimizers()[0], torch.optim.RMSprop)
    with pytest.raises(ValueError, match="one of"):
        paper_settings("lsgan")
