"""Diffusion family: schedules against closed forms, eq. 9/11 and DDIM, a short 2D run, bad inputs."""
from __future__ import annotations

import math

import pytest
import torch

from trainers import data
from trainers.diffusion import Config, Frames, Model, forward_process, reverse_process
from trainers.diffusion_samplers import DDIM, DDPM, Step, ddim_timesteps
from trainers.diffusion_schedules import Schedule, snr_db
from trainers.diffusion_unet import UNet
from trainers.loop import Run, train
from trainers.metrics import chamfer, diversity, grid_around, noise_baseline


# ----------------------------------------------------------------------------- schedules
@pytest.mark.parametrize("T", [10, 37, 1000])
def test_linear_alpha_bar_is_product_of_one_minus_beta(T):
    s = Schedule(T, "linear")
    scale = 1000 / T
    prod = 1.0
    for i in range(T):
        beta = min(1e-4 * scale + (0.02 - 1e-4) * scale * i / (T - 1), 0.999)   # Ho et al., rescaled, clipped
        assert s.betas[i].item() == pytest.approx(beta, rel=1e-5)
        prod *= 1 - beta
        assert s.alpha_bar[i].item() == pytest.approx(prod, rel=1e-4, abs=1e-12)
        assert s.snr[i].item() == pytest.approx(prod / (1 - prod), rel=1e-3)
    assert s.alpha_bar[-1] < 1e-3                                                # ends in noise


@pytest.mark.parametrize("T", [10, 100, 1000])
def test_cosine_matches_nichol_dhariwal_closed_form_with_clipping(T):
    s = Schedule(T, "cosine")
    f = lambda t: math.cos((t / T + 0.008) / 1.008 * math.pi / 2) ** 2
    prod, clipped = 1.0, False
    for i in range(T):
        raw = 1 - f(i + 1) / f(i)
        beta = min(raw, 0.999)
        clipped = clipped or raw > 0.999
        assert s.betas[i].item() == pytest.approx(beta, rel=1e-5)
        prod *= 1 - beta
        assert s.alpha_bar[i].item() == pytest.approx(prod, rel=1e-4, abs=1e-12)
        if not clipped:                          # before any clipping ᾱ_t is exactly f(t)/f(0)
            assert s.alpha_bar[i].item() == pytest.approx(f(i + 1) / f(0), rel=1e-4, abs=1e-12)
    assert clipped                               # the last step always hits the 0.999 ceiling
    assert s.betas.max().item() == pytest.approx(0.999)


def test_forward_process_has_the_stated_mean_and_variance():
    torch.manual_seed(0)
    s = Schedule(100, "cosine")
    x0 = torch.tensor([1.5, -0.7])
    n = 200_000
    for t in (0, 30, 99):
        xt = s.q_sample(x0.expand(n, 2), torch.full((n,), t), torch.randn(n, 2))
        ab = s.alpha_bar[t].item()
        assert torch.allclose(xt.mean(0), math.sqrt(ab) * x0, atol=0.01)
        assert torch.allclose(xt.var(0), torch.full((2,), 1 - ab), atol=0.01 + 0.01 * (1 - ab))
    # the slider helper uses the same equation with a fixed ε: same seed, same picture
    a, b = forward_process(s, x0.expand(5, 2), 50, seed=3), forward_process(s, x0.expand(5, 2), 50, seed=3)
    assert torch.equal(a, b)


def test_one_reverse_step_equals_eq_11():
    s = Schedule(50, "linear")
    g = torch.Generator().manual_seed(0)
    x_t, eps_hat, z = (torch.randn(4, 3, generator=g) for _ in range(3))
    for t in (0, 1, 20, 49):
        beta = s.betas[t].double()
        ab = torch.prod(1 - s.betas[:t + 1].double())
        ab_prev = torch.prod(1 - s.betas[:t].double())
        for variance, var in (("beta", beta), ("beta_tilde", beta * (1 - ab_prev) / (1 - ab))):
            sigma = var.sqrt() if t > 0 else 0.0
            want = (x_t.double() - beta / (1 - ab).sqrt() * eps_hat.double()) / (1 - beta).sqrt() + sigma * z.double()
            got = DDPM(s, variance).step(eps_hat, t, x_t, z).x_prev
            assert torch.allclose(got.double(), want, atol=1e-5, rtol=1e-5), (t, variance)


def test_ddim_eta_zero_is_deterministic_given_x_T():
    s = Schedule(100, "cosine")
    g = torch.Generator().manual_seed(1)
    x_T = torch.randn(6, 2, generator=g)
    eps_fn = lambda x, t: torch.tanh(x) * (t + 1) / 100          # any fixed ε̂(x, t)
    ts = ddim_timesteps(100, 20)
    assert ts[0] == 99 and ts[-1] == 0 and len(ts) == 20

    def chain(eta, noise_seed):
        torch.manual_seed(noise_seed)                              # only the fresh noise z changes
        x = x_T.clone()
        sampler = DDIM(s, 20, eta)
        assert sampler.timesteps() == ts
        for t in ts:
            x = sampler.step(eps_fn(x, t), t, x).x_prev
        return x

    assert torch.equal(chain(0.0, 1), chain(0.0, 2))
    assert not torch.allclose(chain(1.0, 1), chain(1.0, 2))
    # η = 1 and a single-step stride gives DDPM's posterior variance β̃_t
    t = 40
    x = DDIM(s, eta=1.0).step(torch.zeros_like(x_T), t, x_T, z=torch.ones_like(x_T)).x_prev   # all T steps
    x0 = x_T / s.alpha_bar[t].sqrt()
    mean = s.alpha_bar[t - 1].sqrt() * x0                          # ε̂ = 0: no direction term
    assert torch.allclose(x - mean, s.posterior_var[t].sqrt() * torch.ones_like(x_T), atol=1e-5)


# ----------------------------------------------------------------------------- one sampler step
def _step_inputs(T=50, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Schedule(T, "cosine"), *(2 * torch.randn(5, 2, generator=g) for _ in range(3))


@pytest.mark.parametrize("make", [lambda s: DDPM(s), lambda s: DDPM(s, "beta"), lambda s: DDIM(s, eta=0.5)])
def test_step_returns_the_closed_form_x0(make):
    s, x_t, eps_hat, z = _step_inputs()
    sampler = make(s)
    for t in (49, 20, 0):
        out = sampler.step(eps_hat, t, x_t, z)
        ab = s.alpha_bar[t].double()
        want = (x_t.double() - (1 - ab).sqrt() * eps_hat.double()) / ab.sqrt()       # eq. 9 solved for x_0
        assert isinstance(out, Step) and out.box is None
        assert torch.allclose(out.x0.double(), want, atol=1e-5, rtol=1e-5)
        assert torch.equal(out.eps, eps_hat)                                          # nothing clipped


def test_clipped_step_keeps_x0_in_the_box_and_moves_with_the_clipped_x0():
    s, x_t, eps_hat, z = _step_inputs(seed=1)
    lo, hi = torch.tensor([[-0.5, -0.2]]), torch.tensor([[0.4, 0.3]])
    for t in (30, 7):
        ab, ab_prev, beta = (v.double() for v in (s.alpha_bar[t], s.alpha_bar[t - 1], s.betas[t]))
        raw = (x_t.double() - (1 - ab).sqrt() * eps_hat.double()) / ab.sqrt()
        x0 = torch.maximum(torch.minimum(raw, hi.double()), lo.double())
        assert not torch.equal(x0, raw)                                              # some of it was clipped
        eps = (x_t.double() - ab.sqrt() * x0) / (1 - ab).sqrt()
        # DDPM: the posterior mean of q(x_{t−1} | x_t, x̂₀) (Ho et al. eq. 7) at the clipped x̂₀, plus σ_t z
        ddpm = DDPM(s, clip=(lo, hi)).step(eps_hat, t, x_t, z)
        mean = (ab_prev.sqrt() * beta / (1 - ab)) * x0 + ((1 - beta).sqrt() * (1 - ab_prev) / (1 - ab)) * x_t.double()
        sigma = (beta * (1 - ab_prev) / (1 - ab)).sqrt()
        # DDIM (η = 0, all steps): √ᾱ_{t−1} x̂₀ + √(1 − ᾱ_{t−1}) ε̂, with the ε̂ of the clipped x̂₀
        ddim = DDIM(s, clip=(lo, hi)).step(eps_hat, t, x_t, z)
        for out, want in ((ddpm, mean + sigma * z.double()), (ddim, ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps)):
            assert (out.x0 >= lo).all() and (out.x0 <= hi).all()
            assert out.box[0] is lo and out.box[1] is hi
            assert torch.allclose(out.x0.double(), x0, atol=1e-5)
            assert torch.allclose(out.eps.double(), eps, atol=1e-4)
            assert torch.allclose(out.x_prev.double(), want, atol=1e-4), out
            # (x_t, x̂₀, ε̂) of a step satisfy eq. 9
            assert torch.allclose(ab.sqrt() * out.x0.double() + (1 - ab).sqrt() * out.eps.double(), x_t.double(),
                                  atol=1e-4)


def test_ddim_eta_zero_ignores_the_noise_and_eta_one_has_ddpm_sigma():
    s, x_t, eps_hat, z = _step_inputs(T=100)
    ddim0 = DDIM(s, 10, eta=0.0)
    for t in ddim0.timesteps():
        a = ddim0.step(eps_hat, t, x_t, z).x_prev
        assert torch.equal(a, ddim0.step(eps_hat, t, x_t, -z).x_prev)                  # no z in it
        assert float(ddim0.sigma(t)) == 0.0
    ddim1, ddpm = DDIM(s, eta=1.0), DDPM(s, "beta_tilde")
    assert ddim1.timesteps() == ddpm.timesteps() == list(range(99, -1, -1))
    for t in range(1, 100):
        assert torch.allclose(ddim1.sigma(t), ddpm.sigma(t), rtol=1e-4, atol=1e-7), t
        assert torch.allclose(ddim1.step(eps_hat, t, x_t, z).x_prev, ddpm.step(eps_hat, t, x_t, z).x_prev,
                              rtol=1e-4, atol=1e-4), t


@pytest.mark.parametrize("clip", [True, False])
def test_ddpm_through_the_sampler_is_bit_identical_to_the_old_loop(clip):
    """The reverse loop before samplers existed, written out from eq. 9 and 11: same seed, same bits."""
    run = _run(conditional=True, T=20)
    list(train(run, steps=5))
    m, n, seed, w = run.model.eval(), 16, 3, 2.0
    s, (lo, hi), y = m.sched(), m.clip_box(), torch.ones(16, dtype=torch.long)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)                                            # x_T
    with torch.no_grad():
        for t in range(19, -1, -1):
            eps_hat = m.eps(x, t, y, w)
            ab, beta = s.alpha_bar[t], s.betas[t]
            x0 = (x - (1 - ab).sqrt() * eps_hat) / ab.sqrt()
            if clip:
                x0 = torch.maximum(torch.minimum(x0, hi), lo)
                eps_hat = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
            z = torch.randn(x.shape, generator=g)
            mean = (x - beta / (1 - ab).sqrt() * eps_hat) / (1 - beta).sqrt()
            x = mean if t == 0 else mean + s.posterior_var[t].sqrt() * z
    fr = reverse_process(m, n, m.sampler("ddpm", clip=clip), y=1, guidance=w, seed=seed)
    assert torch.equal(fr.result, x)
    assert torch.equal(m.sample(n, y=1, guidance=w, seed=seed, clip=clip), x)
    assert (fr.box is not None) == clip and fr.sampler == "ddpm"
    if clip:
        assert torch.equal(fr.box[0], lo) and (fr.x0 >= fr.box[0]).all() and (fr.x0 <= fr.box[1]).all()


def test_snr_db_and_the_shared_grid():
    s = Schedule(50, "linear")
    assert snr_db(0.5) == pytest.approx(0.0)
    for t in (0, 25, 49):
        assert snr_db(float(s.alpha_bar[t])) == pytest.approx(10 * math.log10(float(s.snr[t])), abs=1e-3)
    pts = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    grid = grid_around(pts, 3, margin=0.5)                # x from −0.5 to 2.5, y from 0.5 to 3.5; x runs fastest
    assert grid.shape == (9, 2) and grid.dtype == torch.float32
    assert torch.equal(grid[:3], torch.tensor([[-0.5, 0.5], [1.0, 0.5], [2.5, 0.5]]))
    assert torch.equal(grid[-1], torch.tensor([2.5, 3.5]))


# ----------------------------------------------------------------------------- models
def _run(dataset="moons", **kw) -> Run:
    cfg = Config(**{"seed": 0, **kw})
    return Run("diffusion", cfg, data.load(dataset), device="cpu")


def test_short_2d_run_lowers_chamfer_well_below_noise():
    run = _run()
    losses = [m.terms["total"] for m in train(run, steps=300)]
    assert {"total", "loss_t_low", "loss_t_high"} <= set(run.history.terms)
    assert sum(losses[-30:]) / 30 < 0.8 * sum(losses[:30]) / 30
    ref = run.data.x_test
    with run.evaluating() as m:
        samples = m.sample(600, seed=1)
    c_model, c_noise = chamfer(samples, ref), noise_baseline(ref, 600, seed=1)
    assert c_model < 0.6 * c_noise, (c_model, c_noise)


def test_frames_are_consistent_and_end_at_the_sample():
    run = _run(T=20)
    list(train(run, steps=5))
    with run.evaluating() as m:
        grid = grid_around(run.data.x, 6)
        fr = reverse_process(m, 30, seed=4, grid=grid)
        final = m.sample(30, seed=4)
        ddim = reverse_process(m, 30, m.sampler("ddim", steps=5, eta=0.0), seed=4)
        short = reverse_process(m, 30, seed=4, max_frames=4)
    assert isinstance(fr, Frames) and len(fr) == 21 and fr.ts == list(range(19, -1, -1))
    assert fr.field.shape == (20, 36, 2) and fr.x.shape == (21, 30, 2)
    assert torch.equal(fr.result, final)                                 # keeping frames changes nothing
    assert torch.equal(ddim.x[0], fr.x[0])                               # same seed, same x_T
    assert len(ddim) == 6 and len(short) == 5 and torch.equal(short.result, final)
    for k in (0, 7, 19):                                                 # x̂_0 solves eq. 9 at each frame
        ab = fr.alpha_bar[k]
        f = fr.frame(k)
        assert torch.allclose(math.sqrt(ab) * f["x0"] + math.sqrt(1 - ab) * f["eps"], f["x"], atol=1e-4)
    assert fr.frame(20)["t"] == -1 and fr.frame(20)["eps"] is None
    lo, hi = (v.cpu() for v in run.model.clip_box())                     # x̂₀ clipped to the data's box
    assert (fr.x0 >= lo - 1e-6).all() and (fr.x0 <= hi + 1e-6).all()
    assert torch.allclose(run.model.x_lo, run.data.x.min(0).values, atol=0.5)


def test_classifier_free_guidance_mixes_the_two_branches():
    run = _run(conditional=True, T=20)
    list(train(run, steps=3))
    m = run.model.eval()
    x, t = torch.randn(8, 2), torch.full((8,), 7)
    y, null = torch.tensor([0, 1] * 4), torch.full((8,), 2)
    with torch.no_grad():
        e_c, e_u = m.net(x, t, y), m.net(x, t, null)
        assert torch.allclose(m.eps(x, t, y, 0.0), e_u, atol=1e-6)
        assert torch.allclose(m.eps(x, t, y, 1.0), e_c, atol=1e-6)
        assert torch.allclose(m.eps(x, t, y, 3.0), e_u + 3 * (e_c - e_u), atol=1e-5)
        fr = reverse_process(m, 10, y=1, guidance=2.5, seed=0)
    assert fr.y.tolist() == [1] * 10 and fr.guidance == 2.5
    assert diversity(torch.zeros(5, 2)) == 0.0
    assert diversity(torch.tensor([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)


def test_unet_on_images_learns_and_samples_in_unit_range():
    torch.manual_seed(0)
    for shape in ((1, 8, 8), (1, 28, 28), (3, 32, 32)):
        net = UNet(shape, 50, width=8, num_classes=3)
        out = net(torch.randn(2, *shape), torch.tensor([0, 49]), torch.tensor([0, 3]))
        assert out.shape == (2, *shape)
    run = _run("digits", T=20, width=8, batch_size=64, lr=3e-3)
    losses = [m.terms["total"] for m in train(run, steps=40)]
    assert sum(losses[-10:]) / 10 < 0.8 * sum(losses[:10]) / 10
    with run.evaluating() as m:
        x = m.sample(4, seed=0)
    assert x.shape == (4, 1, 8, 8) and x.min() >= 0 and x.max() <= 1


def test_trained_steps_travel_with_the_weights():
    run = _run(T=10)
    list(train(run, steps=2))
    fresh = Model(run.cfg, (2,))
    with pytest.raises(ValueError, match="not been trained"):
        fresh.sample(4)
    fresh.load_state_dict(run.model.state_dict())
    assert fresh.sample(4).shape == (4, 2)


def test_chamfer_of_a_set_with_itself_is_zero():
    a = torch.randn(50, 2)
    assert chamfer(a, a) == pytest.approx(0.0, abs=1e-6)
    # ½ (5 + (5 + 10)/2): a's only point is 5 from its nearest; b's points are 5 and 10 from a
    assert chamfer(torch.zeros(1, 2), torch.tensor([[3.0, 4.0], [6.0, 8.0]])) == pytest.approx(6.25)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw", [dict(T=9), dict(T=1001), dict(T=50.5), dict(schedule="quadratic"),
                                dict(lr=0), dict(guidance=-1), dict(p_uncond=1.0)])
def test_bad_config_raises(kw):
    with pytest.raises(ValueError):
        Config(**kw)


def test_bad_steps_and_sampling_before_training_raise():
    with pytest.raises(ValueError, match="between 10 and 1000"):
        Schedule(5)
    s = Schedule(20)
    x = torch.zeros(3, 2)
    for bad in (-1, 20):
        with pytest.raises(ValueError, match="between 0 and"):
            DDPM(s).step(x, bad, x)
        with pytest.raises(ValueError):
            s.q_sample(x, torch.full((3,), bad), x)
    with pytest.raises(ValueError, match="visits only"):
        DDIM(s, 4).step(x, 5, x)                 # t must be one the sampler visits (19, 13, 6, 0)
    with pytest.raises(ValueError, match="η"):
        DDIM(s, eta=1.5)                         # η is checked once, when the sampler is made
    with pytest.raises(ValueError, match="variance"):
        DDPM(s, "beta_hat")
    with pytest.raises(ValueError):
        ddim_timesteps(20, 21)
    run = _run(T=10)
    with pytest.raises(ValueError, match="not been trained"):
        run.model.sample(4)
    with pytest.raises(ValueError, match="not been trained"):
        reverse_process(run.model, 4)
    list(train(run, steps=1))
    fr = reverse_process(run.model, 4)
    for k in (-1, len(fr), 2.0):
        with pytest.raises(ValueError, match="frames"):
            fr.frame(k)
    with pytest.raises(ValueError):
        reverse_process(run.model, 0)
    with pytest.raises(ValueError, match="sampler"):
        run.model.sampler("euler")
    with pytest.raises(ValueError, match="no labels"):
        _run("swiss roll", conditional=True)
    with pytest.raises(ValueError):
        chamfer(torch.zeros(0, 2), torch.zeros(3, 2))
