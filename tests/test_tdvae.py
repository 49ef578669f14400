"""TD-VAE (seed 000 §1.3.3, eq. 14) and its generated sequence sets."""
from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Bernoulli, Independent, Normal

from trainers import tdvae_data as S
from trainers.base import Batch
from trainers.loop import Run, train
from trainers.tdvae import Config, Model


def _small(**kw) -> Config:
    base = dict(z_dim=3, belief_dim=8, hidden=16, jump_min=1, jump_max=3, pairs=2)
    base.update(kw)
    return Config(**base)


def _normal(mu_ls: tuple[torch.Tensor, torch.Tensor]) -> Independent:
    mu, ls = mu_ls
    return Independent(Normal(mu, ls.exp()), 1)


# ----------------------------------------------------------------------------- eq. 14
@pytest.mark.parametrize("likelihood,D,cond", [("gaussian", 1, True), ("bernoulli", 16, False)])
def test_each_term_of_eq14_equals_torch_distributions(likelihood: str, D: int, cond: bool) -> None:
    torch.manual_seed(0)
    B, T, K = 3, 7, 2
    cfg = _small(likelihood=likelihood, condition_on_jump=cond, obs_std=0.3)
    model = Model(cfg, (T, D))
    x = torch.randn(B, T, D) if likelihood == "gaussian" else torch.rand(B, T, D).round()
    t1 = torch.tensor([[0, 2], [3, 1], [4, 0]])
    t2 = t1 + torch.tensor([[1, 3], [2, 1], [2, 3]])
    eps1, eps2 = torch.randn(B, K, cfg.z_dim), torch.randn(B, K, cfg.z_dim)
    out = model.loss_from(x, t1, t2, eps1, eps2)

    # independent computation: run the sampling of eq. 14 by hand, score with torch.distributions
    with torch.no_grad():
        b, _ = model.lstm(model.frame_net(x))                       # (B, T, Hb)
        rows = torch.arange(B)[:, None]
        b1, b2, x2 = b[rows, t1], b[rows, t2], x[rows, t2]
        code = [torch.nn.functional.one_hot(t2 - t1 - 1, cfg.jump_max).float()] if cond else []
        pB2 = _normal(model.p_B(b2))
        z2 = pB2.mean + pB2.stddev * eps2
        pS = _normal(model.p_S(torch.cat([z2, b1, b2] + code, -1)))
        z1 = pS.mean + pS.stddev * eps1
        pB1 = _normal(model.p_B(b1))
        mu_t, ls_t = model.p_T(torch.cat([z1] + code, -1))
        pT = _normal((z1 + mu_t, ls_t))                             # p_T's mean is residual: z_t1 + f(z_t1)
        out_d = model.p_D(z2)
        pD = Independent(Normal(out_d, 0.3), 1) if likelihood == "gaussian" else \
            Independent(Bernoulli(logits=out_d), 1)
        want = {"decoder_nll": -pD.log_prob(x2).mean(),
                "belief_t1": -pB1.log_prob(z1).mean(),
                "transition": -pT.log_prob(z2).mean(),
                "belief_t2": pB2.log_prob(z2).mean(),
                "smoothing": pS.log_prob(z1).mean()}
    for k, v in want.items():
        assert torch.allclose(out[k], v, atol=1e-5, rtol=1e-5), (k, float(out[k]), float(v))
    total = sum(want.values())
    kl = total - want["decoder_nll"]
    assert torch.allclose(out["total"], total, atol=1e-4)
    assert torch.allclose(out["loss"].detach(), total, atol=1e-4)
    assert torch.allclose(out["kl"], kl, atol=1e-4)
    assert out["loss"].requires_grad and not out["total"].requires_grad


def test_times_respect_the_jump_range() -> None:
    model = Model(_small(jump_min=2, jump_max=5, pairs=32), (9, 1))
    t1, t2 = model.sample_times(64)
    jump = t2 - t1
    assert int(t1.min()) >= 0 and int(t2.max()) <= 8
    assert int(jump.min()) == 2 and int(jump.max()) == 5          # both ends drawn with 2048 pairs


# ----------------------------------------------------------------------------- learning
def test_short_run_on_sine_waves_learns_and_beats_repeating_the_last_frame(one_thread) -> None:
    data = S.load("sine waves", length=24)
    # jumps of 1–4 force z to carry phase and frequency (with jumps of 1 only, z copies the last value)
    cfg = Config(length=24, z_dim=8, belief_dim=32, hidden=64, jump_min=1, jump_max=4, pairs=32, lr=1e-2,
                 batch_size=64, seed=0)
    run = Run("tdvae", cfg, data, device="cpu")
    totals = [m.terms["total"] for m in train(run, steps=200)]
    assert sum(totals[-10:]) / 10 < sum(totals[:10]) / 10 - 5.0
    for k in ("decoder_nll", "belief_t1", "transition", "belief_t2", "smoothing", "kl", "total"):
        assert k in run.history.terms and math.isfinite(run.history.terms[k][-1])

    torch.manual_seed(1)
    xs = data.x_test[:40]
    t = 12
    with run.evaluating() as model:
        pred = torch.stack([model.rollout(x, t, n_futures=16, jump=1, steps=2).mean(0) for x in xs])   # (40, 2, 1)
    truth = xs[:, t + 1:t + 3]
    err_model = ((pred - truth) ** 2).mean()
    err_repeat = ((xs[:, t:t + 1] - truth) ** 2).mean()
    assert err_model < 0.7 * err_repeat, (float(err_model), float(err_repeat))


def test_rollout_sees_only_the_past() -> None:
    torch.manual_seed(0)
    model = Model(_small(), (10, 4)).eval()
    x = torch.rand(10, 4)
    changed = x.clone()
    changed[6:] = 1 - changed[6:]                                   # rewrite the future after t = 5
    torch.manual_seed(3)
    a = model.rollout(x, 5, n_futures=6, jump=2, steps=3)
    torch.manual_seed(3)
    b = model.rollout(changed, 5, n_futures=6, jump=2, steps=3)
    assert a.shape == (6, 3, 4)
    assert torch.equal(a, b)
    assert a.std(0).mean() > 0                                      # several different futures
    assert model.sample(3).shape == (3, 10, 4)


# ----------------------------------------------------------------------------- bad inputs
def test_bad_inputs_raise_value_error() -> None:
    with pytest.raises(ValueError, match="shortest jump"):
        Config(jump_min=5, jump_max=2)
    with pytest.raises(ValueError, match="latent size"):
        Config(z_dim=0)
    with pytest.raises(ValueError, match="shorter than the sequences"):
        Model(Config(jump_min=1, jump_max=12), (12, 1))              # a jump of 12 needs 13 frames
    with pytest.raises(ValueError, match="shorter than the sequences"):
        Config(length=16, jump_max=16)                              # caught before any data is made
    with pytest.raises(ValueError, match="sequence length must be between 8 and 64"):
        Config(length=100)
    with pytest.raises(ValueError, match="shorter than the sequences"):
        Run("tdvae", Config(length=32, jump_max=20), S.load("bouncing ball", length=16), device="cpu")
    with pytest.raises(ValueError, match="sequence dataset"):
        Model(Config(), (1, 8, 8))                                  # an image set
    for length in (4, 65, 10.5, "many"):
        with pytest.raises(ValueError, match="[Ss]equence length"):
            S.load("sine waves", length=length)
    with pytest.raises(ValueError, match="Unknown sequence dataset"):
        S.load("lorenz")
    model = Model(_small(jump_min=1, jump_max=3), (10, 1))
    x = torch.randn(10, 1)
    with pytest.raises(ValueError, match="time t"):
        model.rollout(x, 10)
    with pytest.raises(ValueError, match="trained range"):
        model.rollout(x, 2, jump=4)
    with pytest.raises(ValueError, match="futures"):
        model.rollout(x, 2, n_futures=0)
    with pytest.raises(ValueError, match="Expected sequences"):
        model.loss(Batch(torch.randn(2, 9, 1)))


# ----------------------------------------------------------------------------- data
def test_bounce_matches_a_step_by_step_simulation() -> None:
    g = torch.Generator().manual_seed(0)
    start, vel = 1 + 8 * torch.rand(5, 2, generator=g), 3 * torch.randn(5, 2, generator=g)
    got = S.bounce(start, vel, 30, 1.0, 9.0)
    p, v = start.clone(), vel.clone()
    for t in range(30):
        assert torch.allclose(got[:, t], p, atol=1e-4), t
        p = p + v
        for _ in range(3):                                          # reflect off either wall
            over, under = p > 9.0, p < 1.0
            p = torch.where(over, 18.0 - p, torch.where(under, 2.0 - p, p))
            v = torch.where(over | under, -v, v)


@pytest.mark.parametrize("name", S.SEQUENCE_DATASETS)
def test_sequence_sets_shapes_and_ranges(name: str) -> None:
    d = S.load(name, length=16, seed=1)
    fs = S.frame_shape(d)
    assert d.kind == "sequence" and d.x.dim() == 3 and d.x.shape[1] == 16
    assert d.x.shape[2] == math.prod(fs) and d.x_test.shape[1:] == d.x.shape[1:]
    assert torch.isfinite(d.x).all() and len(d) > 1000
    if S.is_image(d):
        assert float(d.x.min()) >= 0 and float(d.x.max()) <= 1
        mass = d.x.sum(-1)                                           # the object never leaves the frame
        assert torch.allclose(mass, mass[:, :1].expand_as(mass), rtol=0.02, atol=0.3)
        assert (d.x[:, 1:] - d.x[:, :-1]).abs().sum(-1).gt(0).float().mean() > 0.9   # it moves
    else:
        assert fs == (1,)
        f, ph = d.factors["frequency"], d.factors["phase"]
        clean = torch.sin(2 * math.pi * f[:, None] * torch.arange(16) + ph[:, None])
        resid = d.x[..., 0] - clean
        assert abs(float(resid.std()) - S.SINE_NOISE) < 0.01        # the noise is what the note says
