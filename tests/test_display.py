"""Projector mode, dark mode, the presenter layout and readable curves (issue 15, items 6, 9 and 10).

The server sends one figure per frame whatever the mode; the page restyles it (static/liveplot.js), so the
mode checks read what Plotly drew (``_fullLayout``, ``_fullData``) in headless Chromium."""
from __future__ import annotations

import json

import gradio as gr
import numpy as np
import pytest
from playwright.sync_api import expect
import torch

from playground import display, figures
from trainers.history import History


# ----------------------------------------------------------------------------- the server half
def _history(n: int = 3000) -> History:
    h = History()
    for i in range(1, n + 1):
        h.append(i, {"loss": 1 / i, "recon": 2 / i, "kl": 0.5, "total": 2.5 / i})
    return h


def test_every_curve_has_a_legend_entry_and_a_colour_of_its_own():
    fig = json.loads(figures.curves(_history(), [["total", "recon"], ["kl"], ["loss"]]).plot)
    lines = [t for t in fig["data"] if t.get("mode") == "lines"]
    assert [t["name"] for t in lines] == ["total", "recon", "KL", "loss"]
    assert all(t["showlegend"] for t in lines)                      # past a few thousand points dashes look solid
    colours = [t["line"]["color"] for t in lines]
    assert len(set(colours)) == len(colours), colours               # before: panel 2's term took panel 1's 2nd colour
    assert [t["line"]["dash"] for t in lines[:2]] == ["solid", "dash"]      # dashes stay, for print and colour-blind
    legend = fig["layout"]["legend"]
    assert legend["orientation"] == "h" and legend["y"] == 0 and legend["yref"] == "container"
    # the legend gets room of its own under the panels, and every title is centred on its panel
    assert fig["layout"]["margin"]["b"] >= 70
    assert all(a["xanchor"] == "center" for a in fig["layout"]["annotations"])


def test_a_terms_colour_does_not_depend_on_which_panels_a_run_has():
    h = _history(10)
    full = json.loads(figures.curves(h, [["penalty"], ["kl"], ["loss"]]).plot)     # no "penalty" in this run
    colour = {t["name"]: t["line"]["color"] for t in full["data"] if t.get("mode") == "lines"}
    assert colour == {"KL": figures.PALETTE[1], "loss": figures.PALETTE[2]}


def test_grid_padding_is_transparent_for_the_page_and_the_images_are_unchanged():
    torch.manual_seed(0)
    x = torch.rand(5, 1, 3, 4)
    g = figures.grid(x, nrow=3, pad=1)
    assert g.shape == (2 * 4 + 1, 3 * 5 + 1, 3)        # still RGB for every other caller (GIFs, pins)
    out = figures.themed(g)
    assert out.shape == g.shape[:2] + (4,) and type(out) is np.ndarray
    # the reference: each image at its own place, by hand
    want = np.zeros_like(out)
    imgs = (x.clamp(0, 1).expand(-1, 3, -1, -1).permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)
    for i in range(5):
        r, c = divmod(i, 3)
        want[1 + 4 * r: 4 + 4 * r, 1 + 5 * c: 5 + 5 * c, :3] = imgs[i]
        want[1 + 4 * r: 4 + 4 * r, 1 + 5 * c: 5 + 5 * c, 3] = 255
    np.testing.assert_array_equal(out[..., 3], want[..., 3])            # padding and the empty 6th cell: alpha 0
    np.testing.assert_array_equal(out[..., :3][want[..., 3] == 255], want[..., :3][want[..., 3] == 255])
    # upscaled pictures keep their mask; an update carrying a grid is swapped; anything else passes
    big = figures.themed(figures.grid(x, nrow=3, target=64))
    assert big.shape[-1] == 4 and big[0, 0, 3] == 0 and big[big.shape[0] // 4, big.shape[1] // 6, 3] == 255
    upd = figures.themed(gr.update(value=g, visible=True))
    assert upd["value"].shape[-1] == 4 and upd["visible"] is True
    plain = np.zeros((4, 4, 3), np.uint8)
    assert figures.themed(plain) is plain and figures.themed(None) is None


def test_the_key_view_is_the_first_block_under_the_curves_that_shows_something():
    with gr.Blocks():
        with gr.Column() as col:
            with gr.Row() as controls:
                gr.Dropdown(["a"], label="pick")
            with gr.Row() as pictures:
                gr.Image(label="samples")
            gr.Image(label="later")
    assert display.mark_key(col.children) is pictures
    assert display.KEY in pictures.elem_classes and display.KEY not in (controls.elem_classes or [])
    assert display.mark_key(col.children) is pictures                # idempotent: a tab's own mark wins


# ----------------------------------------------------------------------------- the page
FULL = """(sel) => { const d = [...document.querySelectorAll(sel)].find(d => d.clientWidth > 0 && d._fullLayout);
  if (!d) return null;
  const lines = d._fullData.filter(t => t.mode === 'lines' && t.visible !== false);
  return { font: d._fullLayout.font.size, paper: d._fullLayout.paper_bgcolor, color: d._fullLayout.font.color,
           widths: lines.map(t => t.line.width), xmax: Math.max(...lines.flatMap(t => t.x)),
           legend: d._fullLayout.showlegend }; }"""
CURVES = ".pg-curves .js-plotly-plot"


TITLES = {"vae": "VAE", "gan": "GAN", "score": "Score & flow"}


def _train(page, tab: str, steps: int = 30) -> None:
    """Press Train for ``steps`` steps on ``tab`` (opened by the URL) and wait (with a deadline) until it is done."""
    page.locator("button.pg-train:visible").first.wait_for(timeout=180_000)   # a busy box builds the page slowly
    expect(page.get_by_role("tab", name=TITLES[tab], exact=True)).to_have_attribute("aria-selected", "true",
                                                                                    timeout=120_000)
    box = page.locator(".pg-left input[type=number]:visible").first         # steps per Train press
    box.fill(str(steps), timeout=120_000)
    box.press("Enter")
    page.locator("button.pg-train:visible").first.click(force=True, timeout=120_000)
    page.wait_for_function("""([sel, n]) => [...document.querySelectorAll(sel)].some(d => d.clientWidth > 0 && d.data
        && d.data.some(t => (t.x || []).some(v => v >= n)))""", arg=[CURVES, steps], timeout=180_000)
    page.wait_for_function("() => [...document.querySelectorAll('button.pg-train')].some(b => b.offsetParent "
                           "&& !b.disabled)", timeout=120_000)


def _page(browser, url: str, errors: list, width: int = 1280, height: int = 720):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="domcontentloaded")
    return page


def _luminance(css: str) -> float:
    css = css.strip()
    if css.startswith("#"):
        h = css[1:]
        h = "".join(c * 2 for c in h) if len(h) == 3 else h
        rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    else:
        rgb = [float(v) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


def test_the_projector_switch_restyles_the_drawn_curves_without_retraining(browser, app_url):
    errors: list[str] = []
    page = _page(browser, f"{app_url}?tab=vae&projector=0", errors)
    try:
        _train(page, "vae")
        before = page.evaluate(FULL, CURVES)
        assert before["legend"] and before["font"] == 15 and set(before["widths"]) == {2}
        page.locator("#pg-projector input[type=checkbox]").check()
        page.wait_for_function("(sel) => [...document.querySelectorAll(sel)].some(d => d.clientWidth > 0 "
                               "&& d._fullLayout && d._fullLayout.font.size > 15)", arg=CURVES, timeout=30_000)
        after = page.evaluate(FULL, CURVES)
        assert after["font"] >= 1.3 * before["font"] and set(after["widths"]) == {4}
        assert after["xmax"] == before["xmax"]                     # the same run's curves, not a new frame
        assert page.evaluate("() => document.documentElement.classList.contains('pg-projector')")
        page.locator("#pg-projector input[type=checkbox]").uncheck()
        page.wait_for_function("(sel) => [...document.querySelectorAll(sel)].some(d => d.clientWidth > 0 "
                               "&& d._fullLayout && d._fullLayout.font.size === 15)", arg=CURVES, timeout=30_000)
    finally:
        page.close()
    assert not errors, errors


def test_projector_from_the_url_and_dark_theme_colour_the_plots_and_the_pictures(browser, app_url):
    errors: list[str] = []
    page = _page(browser, f"{app_url}?tab=vae&projector=1&__theme=dark", errors)
    try:
        expect_checked = page.locator("#pg-projector input[type=checkbox]")
        page.wait_for_function("() => document.querySelector('#pg-projector input') "
                               "&& document.querySelector('#pg-projector input').checked", timeout=60_000)
        assert expect_checked.is_checked()
        assert page.evaluate("() => document.body.classList.contains('dark')")
        _train(page, "vae")
        got = page.evaluate(FULL, CURVES)
        assert got["font"] > 15 and _luminance(got["paper"]) < 0.3 and _luminance(got["color"]) > 0.6, got
        # the recon grid's padding lets the dark page show through: the picture's corner pixel is transparent
        alpha = page.evaluate("""async () => {
            const img = [...document.querySelectorAll('.pg-keyview img')].find(i => i.offsetParent && i.naturalWidth);
            if (!img) return null;
            await img.decode();
            const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
            const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            return [g.getImageData(0, 0, 1, 1).data[3], g.getImageData(Math.floor(c.width / 16) + 1,
                    Math.floor(c.height / 8) + 1, 1, 1).data[3]]; }""")
        assert alpha is not None and alpha[0] < 10 and alpha[1] > 245, alpha
    finally:
        page.screenshot(path=str(_artifact("display_dark_projector.png")))
        page.close()
    assert not errors, errors


def _artifact(name: str):
    from conftest import ARTIFACTS
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@pytest.mark.parametrize("tab", ["vae", "gan"])
def test_presenter_layout_shows_the_curves_and_the_key_view_on_the_first_screen(browser, app_url, tab):
    errors: list[str] = []
    page = _page(browser, f"{app_url}?tab={tab}&projector=1", errors)
    try:
        _train(page, tab)
        # the curves' plot, and the key view's first picture (an image or a plot)
        boxes = page.evaluate("""() => ['.pg-curves .js-plotly-plot', '.pg-keyview img, .pg-keyview .js-plotly-plot'].map(sel => {
            const el = [...document.querySelectorAll(sel)].find(e => e.offsetParent && e.getBoundingClientRect().width > 0);
            if (!el) return null;
            const r = el.getBoundingClientRect();
            return { sel, left: r.left, top: r.top, right: r.right, bottom: r.bottom }; })""")
        for b in boxes:
            assert b is not None, boxes
            assert b["left"] >= 0 and b["top"] >= 0 and b["right"] <= 1280 and b["bottom"] <= 720, b
        curves, key = boxes
        assert curves["right"] <= key["left"]               # side by side, not one under the other
    finally:
        page.screenshot(path=str(_artifact(f"display_presenter_{tab}.png")))
        page.close()
    assert not errors, errors


@pytest.mark.parametrize("tab", ["vae", "score"])
def test_panel_titles_do_not_overprint_at_1280_px(browser, app_url, tab):
    errors: list[str] = []
    page = _page(browser, f"{app_url}?tab={tab}&projector=0", errors, height=900)
    try:
        _train(page, tab)
        rects = page.evaluate("""(sel) => { const d = [...document.querySelectorAll(sel)].find(d => d.clientWidth > 0);
            return [...d.querySelectorAll('g.annotation')].map(a => { const r = a.getBoundingClientRect();
                return [r.left, r.right, r.top, r.bottom]; }); }""", CURVES)
        assert len(rects) >= 2, rects
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                apart = a[1] <= b[0] + 1 or b[1] <= a[0] + 1 or a[3] <= b[2] + 1 or b[3] <= a[2] + 1
                assert apart, (a, b)
    finally:
        page.close()
    assert not errors, errors
