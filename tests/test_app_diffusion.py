"""The diffusion tab driven through the running app: train, sample once, move through the frames."""
from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import (plain, assert_bad_input_refused, assert_curves, plot_json, plot_title, step_of, submit_train,
                      trace_names, value, wait_for_step)

SETTINGS = dict(T=30, schedule="cosine", conditional=False, guidance=2.0, hidden=64, layers=2, width=16,
                lr=2e-3, batch_size=128, seed=0, variance="beta_tilde", clip_x0=True, p_uncond=0.1)


def train(client, steps=40, data="moons", **kw):
    return submit_train(client, "diffusion", SETTINGS, data=data, steps=steps, **kw)


def sample(client, sampler="DDPM", steps=10, n=80, **kw):
    """/diffusion_sample's outputs: the frame slider's update (maximum, value), the views, the readout's text."""
    args = dict(sampler=sampler, steps=steps, eta=0.0, n=n, seed=0, guidance=2.0, label=-1, field_mode="ε̂ field",
                guide="classifier-free", scale=2.0)
    *views, readout = client.predict(**{**args, **kw}, api_name="/diffusion_sample")
    return [*views, value(readout)]


def test_train_sample_and_scrub_the_reverse_process(client):
    job = train(client)
    final = job.result(timeout=240)
    status, curves, samples_plot, samples_img, sched, fwd_plot, fwd_img, *latent_views = plain(final)
    assert len(latent_views) == 4 and latent_views[0] is None          # a pixel-space run draws no latent views
    assert "done" in status and step_of(status) == 40
    assert_curves(curves, ["total", "loss_t_low", "loss_t_high"], steps=40)
    points = {t["name"]: t for t in plot_json(samples_plot)["data"]}
    assert set(points) == {"data", "samples"} and len(points["samples"]["x"]) > 0
    assert "at step 40" in plot_title(samples_plot)
    # the schedule and the forward process are sent when they change (the first redraw), skipped after
    sent = [o for o in job.outputs() if value(o[4]) is not None]
    assert sent, "the schedule view was never drawn"
    sched, fwd_plot = sent[-1][4], sent[-1][5]
    lines = [t for t in plot_json(sched)["data"] if t.get("mode") == "lines"]
    assert {t["name"] for t in lines} == {"linear", "cosine"} and all(len(t["x"]) == 30 for t in lines)
    assert "of 30" in plot_title(fwd_plot) and trace_names(fwd_plot) == {"data", "x_t"}
    # DDPM: T + 1 frames, from x_T (frame 0) to x_0 (frame T)
    slider, plot, plot_x0, xt, eps, x0, readout = sample(client)
    assert slider["maximum"] == 30 and slider["value"] == 0
    assert "Kept 31 frames" in readout and "t = 30" in readout
    moving = {t["name"]: t for t in plot_json(plot)["data"]}
    assert len(moving["x_t"]["x"]) == 80 and "ε̂(x, t)" in moving and "frame 0/30" in plot_title(plot)
    headed = {t["name"]: t for t in plot_json(plot_x0)["data"]}
    assert len(headed["x̂₀ (predicted clean)"]["x"]) == 80
    k, plot, *_, readout = plain(client.predict(k=0, api_name="/diffusion_next"))
    assert k == 1 and "frame 1/30" in readout and "t = 29" in readout and "frame 1/30" in plot_title(plot)
    *_, readout = plain(client.predict(k=30, api_name="/diffusion_frame"))
    assert "x₀" in readout
    k, *_ = plain(client.predict(k=30, api_name="/diffusion_prev"))
    assert k == 29
    # stepping past either end is a clear message, and the app keeps serving
    with pytest.raises(AppError, match="last frame"):
        client.predict(k=30, api_name="/diffusion_next")
    with pytest.raises(AppError, match="first frame"):
        client.predict(k=0, api_name="/diffusion_prev")
    with pytest.raises(AppError, match="to 30; got|numbered 0 to 30"):   # the slider checks first
        client.predict(k=31, api_name="/diffusion_frame")
    # DDIM from the same seed: fewer frames
    slider, *_, readout = sample(client, sampler="DDIM", steps=6)
    assert slider["maximum"] == 6 and "DDIM" in readout
    # the kept frames become an animated GIF
    path = value(client.predict(api_name="/diffusion_gif"))
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 7


def test_guidance_readout_on_a_conditional_model(client):
    train(client, conditional=True).result(timeout=240)
    slider, *_, readout = sample(client, label=1, guidance=3.0)
    assert "guidance w = 3" in readout
    fig, text = plain(client.predict(api_name="/diffusion_guidance"))
    assert "Spread within a class" in text
    # one point per guidance scale listed in the text, for the spread and for the distance to the data
    ws = text.count("w=")
    curves = {t["name"]: t for t in plot_json(fig)["data"]}
    assert ws >= 3 and {len(t["x"]) for t in curves.values()} == {ws}, (ws, curves.keys())
    assert "spread within a class" in curves


@pytest.mark.parametrize("change, message", [
    (dict(T=5), "from 10 to"),                 # the form's slider answers (naming the field) before the Config does
    (dict(T=2000), "to 1000; got"),
    (dict(conditional=True, data="swiss roll"), "no labels"),
    (dict(schedule="quadratic"), "must be one of"),
    (dict(lr=0.0), "from 1e-05 to"),
])
def test_bad_inputs_get_a_clear_message_and_the_app_keeps_serving(client, change, message):
    assert_bad_input_refused(client, train, change, message, steps=3)


def test_sampling_before_training_says_train_first(client):
    with pytest.raises(AppError, match="Train a model first"):
        sample(client)
    with pytest.raises(AppError, match="Train a model first"):
        client.predict(k=0, api_name="/diffusion_next")


def test_guidance_and_labels_need_a_conditional_model(client):
    train(client, steps=5).result(timeout=180)
    with pytest.raises(AppError, match="not class-conditional"):
        sample(client, label=1)
    with pytest.raises(AppError, match="class-conditional"):
        client.predict(api_name="/diffusion_guidance")
    with pytest.raises(AppError, match="Sample and keep every frame"):
        client.predict(k=0, api_name="/diffusion_next")


def test_the_tab_in_a_browser_trains_samples_and_steps(browser, app_url):
    from conftest import ARTIFACTS
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_role("tab", name="Diffusion").click()
    page.get_by_role("button", name="▶ Train").locator("visible=true").first.click()
    page.locator(".pg-curves:visible .js-plotly-plot .scatterlayer path.js-line").first.wait_for(timeout=120_000)
    wait_for_step(page, 100, timeout=120_000)          # a model some way into training, then Stop
    page.get_by_role("button", name="■ Stop").locator("visible=true").first.click()
    page.locator(".pg-status:visible", has_text="stopped").first.wait_for(timeout=60_000)
    page.get_by_role("tab", name="Reverse process").click()
    page.get_by_role("button", name="Sample and keep every frame").click()
    page.get_by_text("Kept 101 frames").first.wait_for(timeout=120_000)
    page.get_by_role("button", name="+1 step ▶").click()
    page.get_by_text("frame 1/100").first.wait_for(timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "diffusion_tab.png"), full_page=True)
    assert not errors, errors
    page.close()


# ----------------------------------------------------------------------------- issue 17: words that come true
def _preset_run(name: str, **over):
    """A seeded run with the preset's data and settings (what picking the preset puts in the form)."""
    from playground.tabs.diffusion import PRESETS
    from trainers import data
    from trainers.diffusion import Config
    from trainers.loop import Run
    dataset, settings, _ = PRESETS[name]
    return Run("diffusion", Config(**{"seed": 0, **settings, **over}), data.load(dataset), device="cpu")


def _train(run, steps: int):
    from trainers.loop import train as train_steps
    for _ in train_steps(run, steps=steps - run.step):
        pass
    return run


def test_the_equation_on_the_page_follows_clipping_variance_and_schedule():
    """Item 4 and 7: the sampler's equation shows the clipped step (and the box) exactly when clipping is on,
    σ_t of both DDPM variances with the chosen one first, DDIM's σ(η), and whether the linear schedule clips."""
    import gradio as gr
    from playground.tabs import diffusion as tab
    on, off = tab.equation_for(100, "cosine", "beta_tilde", True), tab.equation_for(100, "cosine", "beta_tilde", False)
    assert r"\operatorname{clip}" in on and "[-1,1]" in on and "10%" in on and "posterior mean" in on
    assert r"\operatorname{clip}" not in off and "not clipped" in off
    for eq in (on, off):                                       # DDIM's σ(η) (Song et al. eq. 16) either way
        assert r"\sigma_{t\to t'}(\eta)=\eta" in eq and r"\sqrt{1-\bar\alpha_{t'}-\sigma^2}" in eq
    tilde, beta = tab.SIGMA_DDPM["beta_tilde"], tab.SIGMA_DDPM["beta"]
    for variance, first, second in (("beta_tilde", tilde, beta), ("beta", beta, tilde)):
        eq = tab.equation_for(100, "cosine", variance, True)
        assert first in eq and second in eq and eq.index(first) < eq.index(second)
    assert "5 of the 10 β's clipped" in tab.equation_for(10, "linear", "beta", True)
    assert "1000/T" in tab.equation_for(10, "linear", "beta", True)
    assert "clipped" not in tab.schedule_words(100, "linear").split("clipped at 0.999")[1]
    assert "T ≤ 20" in tab.schedule_words(100, "linear")
    with gr.Blocks():
        panel = tab.build()
    fn, fields = panel.equation_for
    assert fn is tab.equation_for and {"clip_x0", "variance", "schedule", "T"} <= set(fields)
    assert r"\operatorname{clip}" in panel.equation_now.value                      # the default clips
    assert "10–45%" in tab.SAMPLER_INFO and "not a bug" in tab.SAMPLER_INFO        # item 9, by the sampler choice


def test_with_the_exact_eps_deterministic_ddim_samples_as_well_as_ddpm():
    """The sampler note (item 9): the DDIM η = 0 gap on trained 2D models is the method (it keeps ε̂'s errors), not the
    sampler: fed the exact ε̂ of a 3-Gaussian mixture, DDIM η = 0 (20 and T steps) lands as close to the data as
    DDPM, with x̂₀ clipped or not."""
    import torch
    from test_diffusion_checks import _mixture_eps
    from trainers.diffusion_samplers import DDIM, DDPM
    from trainers.diffusion_schedules import Schedule
    from trainers.metrics import chamfer
    s, sd, n = Schedule(100, "cosine"), 0.15, 1500
    centres = torch.tensor([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]], dtype=torch.float64)
    eps, g = _mixture_eps(centres, sd, s), torch.Generator().manual_seed(0)
    ref, real = ((centres[torch.arange(n) % 3] + sd * torch.randn(n, 2, generator=g, dtype=torch.float64)).float()
                 for _ in range(2))
    floor = chamfer(real, ref)                                 # n true mixture draws against ref
    box = (torch.tensor([[-3.0, -1.0]]), torch.tensor([[3.0, 3.5]]))
    for clip in (None, box):
        scores = {}
        for name, sampler in (("ddpm", DDPM(s, clip=clip)), ("ddim0-20", DDIM(s, 20, 0.0, clip)),
                              ("ddim0-T", DDIM(s, None, 0.0, clip)), ("ddim1-T", DDIM(s, None, 1.0, clip))):
            g = torch.Generator().manual_seed(1)
            x = torch.randn(n, 2, generator=g)
            for t in sampler.timesteps():
                x = sampler.step(eps(x, t), t, x, torch.randn(n, 2, generator=g)).x_prev
            scores[name] = chamfer(x, ref)
        assert max(scores.values()) < 1.15 * floor, (scores, floor)
        assert scores["ddim0-T"] < 1.05 * scores["ddpm"], scores


def test_preset_moons_starts_on_the_clip_box_and_settles_onto_both_moons():
    import torch
    from trainers.metrics import chamfer, noise_baseline
    run = _train(_preset_run("Moons in 20 seconds"), 1)
    ref, xs, ys = run.data.x_test[:800], run.data.x_test, run.data.y_test
    with run.evaluating() as m:                                # the live view: 20 DDIM steps, seed 1234
        s = m.sample(400, sampler="ddim", steps=20, eta=0.0, seed=1234)
        lo, hi = m.clip_box()
    on_edge = (((s - lo).abs() < 1e-4) | ((s - hi).abs() < 1e-4)).any(1).float().mean()
    assert on_edge > 0.5, on_edge                              # "pinned to the edges of the clip box"
    _train(run, 300)                                           # "within a few hundred steps"
    with run.evaluating() as m:
        s = m.sample(400, sampler="ddim", steps=20, eta=0.0, seed=1234)
        ddpm, ddim0 = (chamfer(m.sample(1000, seed=1, sampler=k, eta=0.0), ref) for k in ("ddpm", "ddim"))
    assert chamfer(s, ref) < 0.4 * noise_baseline(ref, 400, seed=1234)
    moon0 = (torch.cdist(s, xs[ys == 0]).min(1).values < torch.cdist(s, xs[ys == 1]).min(1).values).float().mean()
    assert 0.3 < moon0 < 0.7, moon0                            # both moons
    assert ddim0 > 1.05 * ddpm, (ddim0, ddpm)                  # the sampler note: η = 0 lands farther, even at T steps


def test_preset_guidance_keeps_samples_on_their_moon_and_the_chart_says_what_it_shows():
    from playground.tabs import diffusion as tab
    run = _train(_preset_run("Classifier-free guidance (moons)"), 300)
    g = tab.guidance_scan(run)
    w = g["w"]
    at = {x: i for i, x in enumerate(w)}
    assert g["elsewhere"][at[0.0]] > 0.3 and g["elsewhere"][at[1.0]] < 0.05      # w = 0: half on the other moon
    assert g["spread"][-1] < g["spread"][at[1.0]] < g["spread"][0]                 # larger w: less spread
    best = min(range(len(w)), key=g["chamfer"].__getitem__)
    assert w[best] in (1.0, 2.0) and g["chamfer"][-1] > 2 * g["chamfer"][best]     # closest near 1, then farther
    title = plot_title({"plot": tab.compare_guidance(run, tab.View())["plot"].plot})
    assert f"closest to their class's data at w = {w[best]:g}" in title and "farther beyond" in title, title
    assert "fidelity" not in title


def test_preset_ten_step_chain_has_beta_near_one_and_coarse_frames():
    from trainers.diffusion import reverse_process
    runs = {T: _train(_preset_run("A 10-step chain", T=T), 100) for T in (10, 100)}
    assert runs[10].cfg.T == 10 and float(runs[10].model.schedule.betas[-1]) >= 0.99    # "the last β is 0.999"
    move = {}
    for T, run in runs.items():
        with run.evaluating() as m:
            fr = reverse_process(m, 300, seed=0)
        move[T] = float((fr.x[1:] - fr.x[:-1]).norm(dim=-1).mean(1).median())
    assert move[10] > 2 * move[100], move                      # "over twice as far per step as with T = 100"


def test_preset_digits_x0_looks_done_while_x_t_is_still_noise():
    import torch
    from trainers.diffusion import reverse_process, to_unit
    from trainers.metrics import chamfer
    run = _train(_preset_run("Digits with a U-Net"), 80)       # "within about a hundred steps"
    ref = run.data.x_test[:300]
    noise = to_unit(torch.randn(64, 1, 8, 8, generator=torch.Generator().manual_seed(0)))
    with run.evaluating() as m:
        fr = reverse_process(m, 64, seed=0)
        final = chamfer(m.to_data_space(fr.result), ref)
        k = min(range(len(fr.ts)), key=lambda k: abs(fr.alpha_bar[k] - 0.2))         # x_t still mostly noise
        x0, xt = (chamfer(m.to_data_space(v[k]), ref) for v in (fr.x0, fr.x))
    assert final < 0.6 * chamfer(noise, ref)                   # noise → digit-like shapes
    assert x0 < 1.1 * final and xt > 1.5 * final, (x0, xt, final)


def test_the_reverse_process_shows_the_clip_box_when_clipping(client):
    """Item 4 on the page: the readout names the box x̂₀ was clipped to and the x̂₀ plot draws it; without
    clipping the readout says so and no box is drawn."""
    train(client, steps=20).result(timeout=240)
    _, _, plot_x0, *_, readout = plain(sample(client))
    assert "x̂₀ clipped to [" in readout and " × [" in readout, readout
    assert "clip box" in trace_names(plot_x0) and "dashed box" in plot_title(plot_x0)
    train(client, steps=20, clip_x0=False).result(timeout=240)
    _, _, plot_x0, *_, readout = plain(sample(client))
    assert "x̂₀ not clipped" in readout and "clip box" not in trace_names(plot_x0)
