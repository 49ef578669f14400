"""Issue 15 item 9, a teacher's tour of every tab: the diffusion schedule's three panels side by side, the shared
frame player's Pause (playground/player.py), view sliders whose range follows the run (playground/ranges.py),
views of sub-tabs opened after training, the preset note once a setting changes (playground/presetnote.py) and
the t-SNE/PCA choice kept over a new run (playground/latent.py). Unit checks first, then headless Chromium
against the launched app. Screenshots: tests/artifacts/tour_*.png."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
import torch

from conftest import ARTIFACTS, wait_for_step


# ----------------------------------------------------------------------------- the schedule chart
def test_schedule_chart_puts_its_three_panels_side_by_side():
    from playground.tabs.diffusion_views import schedules
    fig = json.loads(schedules(100, "cosine", 10).plot)
    layout = fig["layout"]
    doms = []
    for i, ax in enumerate(["", "2", "3"]):
        x, y = layout.get(f"xaxis{ax}"), layout.get(f"yaxis{ax}")
        assert x is not None and y is not None, f"panel {i + 1} has no axes of its own: {sorted(layout)}"
        assert x["anchor"] == f"y{ax}" and y["anchor"] == f"x{ax}"
        doms.append(x["domain"])
    assert layout["yaxis3"]["type"] == "log"                                    # SNR on a log axis
    doms.sort()
    for (a0, a1), (b0, b1) in zip(doms, doms[1:]):
        assert 0 <= a0 < a1 < b0 < b1 <= 1, f"panels overlap: {doms}"
    used = {(t.get("xaxis", "x"), t.get("yaxis", "y")) for t in fig["data"]}
    assert used == {("x", "y"), ("x2", "y2"), ("x3", "y3")}


# ----------------------------------------------------------------------------- the frame player
@dataclass
class _View:
    frames: list = field(default_factory=lambda: list(range(10)))
    playing: bool = False


def test_player_pause_stops_the_frames_and_play_resumes_from_there():
    from playground import player
    from playground.panel import as_update
    from playground.session import Session
    view = _View()
    shown = []
    draw = lambda k: shown.append(k) or {"readout": f"frame {k}"}       # noqa: E731
    out = player.start(view, view.frames, 3)
    # the timer goes out as an update of its `active` (a gr.Timer through as_update became its value)
    assert out["timer"] == {"__type__": "update", "active": True} and as_update(out["timer"]) == out["timer"]
    assert out["frame"] == 3 and view.playing
    out = player.tick(view, view.frames, 3, draw)
    assert out["frame"] == 4 and shown == [4] and "timer" not in out
    timer = player.stop(Session(None, view))                     # ❚❚ Pause
    assert timer == {"__type__": "update", "active": False} and not view.playing
    for _ in range(3):                                           # ticks already queued change nothing
        out = player.tick(view, view.frames, 4, draw)
        assert "frame" not in out and out["timer"]["active"] is False
    assert shown == [4]
    assert player.start(view, view.frames, 4)["frame"] == 4      # ▶ Play again: from where it paused
    ks = [4]
    while "timer" not in (out := player.tick(view, view.frames, ks[-1], draw)):
        ks.append(out["frame"])
    assert out["frame"] == 9 and out["timer"]["active"] is False and not view.playing   # stops at the end
    assert player.start(view, view.frames, 9)["frame"] == 0      # Play at the end starts over
    assert player.stop(None)["active"] is False                  # Pause with no run: no error


def test_player_steps_and_says_why_at_either_end():
    from playground import player
    assert player.step(range(5), 2, +1, "first", "last") == 3
    with pytest.raises(ValueError, match="first"):
        player.step(range(5), 0, -1, "first", "last")
    with pytest.raises(ValueError, match="last"):
        player.step(range(5), 4, +1, "first", "last")
    with pytest.raises(ValueError, match="press"):
        player.frames_of(SimpleNamespace(frames=None), "press Sample first")


# ----------------------------------------------------------------------------- slider ranges
def test_slider_ranges_follow_the_run_and_keep_the_value_inside():
    import gradio as gr
    from playground import ranges
    run = SimpleNamespace(model=object(), cfg=SimpleNamespace(num_codes=64),
                          data=SimpleNamespace(x_test=torch.zeros(270, 1, 8, 8)))
    with gr.Blocks():
        sliders = dict(top_n=gr.Slider(1, 1024), idx=gr.Slider(0, 499), other=gr.Slider(0, 9))
    limits = lambda r: dict(top_n=(1, r.cfg.num_codes), idx=ranges.image_index(r, 500))   # noqa: E731
    top, idx, other = ranges.updates(run, sliders, limits, [1024, 300, 5])
    assert (top["minimum"], top["maximum"], top["value"]) == (1, 64, 64)      # "all 1024" becomes all 64
    assert (idx["maximum"], idx["value"]) == (269, 269)                      # digits: 270 test images
    assert other == {"__type__": "update"}                                   # not named: left alone
    top, idx, _ = ranges.updates(run, sliders, limits, [10, 3, 5])
    assert top["value"] == 10 and idx["value"] == 3
    assert all(u == {"__type__": "update"} for u in ranges.updates(None, sliders, limits, [1, 2, 3]))


def test_tab_limits_follow_codebook_sequence_length_and_T():
    """The limits each tab wires, on real runs: keep-N to K, TD-VAE's t to the sequences' last frame."""
    import gradio as gr
    from playground import ranges
    from trainers import tdvae, vqvae
    from trainers.loop import Run
    from trainers.data import load
    seen = {}
    real = ranges.wire
    ranges.wire = lambda panel, sliders, limits: seen.__setitem__(panel.family, (sliders, limits))
    try:
        from playground.tabs import tdvae as tdvae_tab, vqvae as vqvae_tab
        with gr.Blocks():
            vqvae_tab.build()
            tdvae_tab.build()
    finally:
        ranges.wire = real
    run = Run("vqvae", vqvae.Config(num_codes=64), load("digits"), device="cpu")
    assert seen["vqvae"][1](run)["top_n"] == (1, 64)
    cfg = tdvae.Config(length=20)
    run = Run("tdvae", cfg, tdvae_tab.load_data("sine waves", None, cfg), device="cpu")
    lim = seen["tdvae"][1](run)
    assert lim["t"] == (0, 19) and lim["jump"] == (cfg.jump_min, cfg.jump_max)


# ----------------------------------------------------------------------------- preset note, projection choice
def test_preset_note_knows_when_a_setting_left_the_preset():
    from playground import presetnote
    from trainers.vae import Config
    preset = ("digits", dict(beta=8.0), "…")
    names = ["beta", "lr"]
    lr = Config().lr
    assert presetnote.differs(Config, preset, names, "digits", [8, lr]) == []          # 8 == 8.0
    assert presetnote.differs(Config, preset, names, "digits", [4.0, lr]) == ["beta"]
    assert presetnote.differs(Config, preset, names, "mnist", [8.0, lr * 2]) == ["data", "lr"]


def test_projection_chosen_at_the_press_is_honoured_once():
    from playground import latent
    view = SimpleNamespace(latent=latent.LatentView(), projection="t-SNE")   # what a press sets from the radio
    assert latent.chosen(view).proj == "t-SNE" and not hasattr(view, "projection")
    view.latent.proj = "PCA"                                                # the radio changed later: it wins
    assert latent.chosen(view).proj == "PCA"


# ----------------------------------------------------------------------------- in the browser
def _open(browser, app_url, title):
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    page.set_default_timeout(120_000)            # a fresh app on a busy 2-core box answers its first clicks slowly
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_role("tab", name=title, exact=True).click(force=True)
    return page, errors


def _visible(page, sel):
    return page.locator(sel).locator("visible=true").first


def _train(page, steps):
    box = _visible(page, "input[type=number][aria-label*='Steps per Train press']")
    box.fill(str(steps))
    box.press("Enter")
    page.get_by_role("button", name="▶ Train").locator("visible=true").first.click(force=True)
    wait_for_step(page, steps, timeout=300_000)
    page.locator(".pg-status:visible", has_text="done").first.wait_for(timeout=120_000)


def _range_max(page, label, value):
    """Wait until the visible slider labelled ``label`` runs to ``value``."""
    page.wait_for_function("""([label, v]) => [...document.querySelectorAll('input[type=range]')].some(r =>
        r.offsetParent !== null && (r.getAttribute('aria-label') || '').includes(label) && r.max === String(v))""",
                           arg=[label, value], timeout=60_000)


def _has_plot(page, label):
    """A visible live plot under ``label`` drawn at a non-zero size."""
    page.wait_for_function("""(label) => [...document.querySelectorAll('.pg-liveplot-block')].some(b => {
        const d = b.querySelector('.pg-liveplot'); if (!d || b.offsetParent === null) return false;
        return b.innerText.includes(label) && d._fullLayout && d.clientWidth > 100 && d.clientHeight > 100; })""",
                           arg=label, timeout=60_000)


def _has_image(page, label):
    page.wait_for_function("""(label) => [...document.querySelectorAll('img')].some(i => {
        const b = i.closest('.block'); return i.offsetParent !== null && b && b.innerText.includes(label)
            && i.naturalWidth > 0 && i.clientWidth > 50 && i.clientHeight > 20; })""", arg=label, timeout=60_000)


def test_diffusion_schedule_tab_slider_ranges_and_pause(browser, app_url):
    page, errors = _open(browser, app_url, "Diffusion")
    try:
        _train(page, 30)
        _range_max(page, "t (clamped to T)", 100)                 # the default T = 100, not 1000
        page.get_by_role("tab", name="Schedule").click(force=True)
        _has_plot(page, "β_t, ᾱ_t and SNR_t")
        page.screenshot(path=str(ARTIFACTS / "tour_schedule.png"), full_page=True, timeout=120_000)
        doms = page.evaluate("""() => { const d = [...document.querySelectorAll('.pg-liveplot')].find(x =>
            x.offsetParent && x._fullLayout && x._fullLayout.xaxis3); return d ? [1, 2, 3].map(i =>
            d._fullLayout['xaxis' + (i > 1 ? i : '')].domain) : null; }""")
        assert doms and doms[0][1] < doms[1][0] and doms[1][1] < doms[2][0], doms
        page.get_by_role("tab", name="Reverse process").click(force=True)
        page.get_by_role("button", name="Sample and keep every frame").locator("visible=true").first.click(force=True)
        page.get_by_text("Kept ").first.wait_for(timeout=120_000)
        frame = _visible(page, "input[type=number][aria-label*='Frame']")
        page.get_by_role("button", name="▶ Play").locator("visible=true").first.click(force=True)
        page.wait_for_function("(el) => parseInt(el.value) >= 3", arg=frame.element_handle(), timeout=60_000)
        page.get_by_role("button", name="❚❚ Pause").locator("visible=true").first.click(force=True)
        # at most the tick already running lands after Pause; then the frame stays put
        page.wait_for_timeout(1500)
        held = frame.input_value()
        page.wait_for_timeout(2500)
        assert frame.input_value() == held, "the frame kept advancing after ❚❚ Pause"
        page.get_by_role("button", name="▶ Play").locator("visible=true").first.click(force=True)
        page.wait_for_function("([el, k]) => parseInt(el.value) > k", arg=[frame.element_handle(), int(held)],
                               timeout=60_000)                    # resumes from there, not from frame 0
        page.get_by_role("button", name="❚❚ Pause").locator("visible=true").first.click(force=True)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "tour_diffusion.png"), full_page=True, timeout=120_000)
        page.close()
    assert not errors, errors


def test_vqvae_subtabs_after_training_and_keep_n_range(browser, app_url):
    page, errors = _open(browser, app_url, "VQ-VAE")
    try:
        k = _visible(page, "input[type=number][aria-label*='codebook size K']")
        k.fill("64")
        k.press("Enter")
        _train(page, 20)
        page.get_by_role("tab", name="Keep the N most used codes").click(force=True)
        _range_max(page, "Keep the N most used codes", 64)
        _has_image(page, "only the N most used")
        _has_plot(page, "Error as N shrinks")
        page.screenshot(path=str(ARTIFACTS / "tour_vqvae_keep_n.png"), full_page=True, timeout=120_000)
        page.get_by_role("tab", name="Sample (prior)").click(force=True)
        _has_image(page, "Without a prior")
    finally:
        page.screenshot(path=str(ARTIFACTS / "tour_vqvae_prior.png"), full_page=True, timeout=120_000)
        page.close()
    assert not errors, errors


def test_preset_note_says_when_a_setting_changed(browser, app_url):
    from playground.presetnote import CHANGED
    page, errors = _open(browser, app_url, "VAE")
    try:
        page.get_by_label("Teaching presets").locator("visible=true").first.click(force=True)
        page.get_by_role("option", name="KL warm-up").click()
        page.get_by_text("What to watch").first.wait_for(timeout=30_000)
        seed = _visible(page, "input[type=number][aria-label*='seed']")
        seed.fill("7")
        seed.press("Enter")
        page.get_by_text(CHANGED.strip("✏️ *")[:40]).first.wait_for(timeout=30_000)
        assert page.get_by_text("What to watch").locator("visible=true").count() == 0
    finally:
        page.screenshot(path=str(ARTIFACTS / "tour_preset_note.png"), full_page=True, timeout=120_000)
        page.close()
    assert not errors, errors
