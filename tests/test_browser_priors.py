"""Issue 12 items 4–6 in headless Chromium: the VAE tab with the learned-prior preset (samples per class from
p(z|y), the formula that follows the settings), and the VQ-VAE tab's gated PixelCNN prior beside the transformer.
Screenshots: tests/artifacts/vae_learned_prior.png, tests/artifacts/vqvae_pixelcnn_prior.png."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from conftest import ARTIFACTS, wait_for_step


def _open(browser, app_url, title):
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url, wait_until="domcontentloaded")
    # force: a busy server may keep a loading overlay over the page for a while; the tab is there
    page.get_by_role("tab", name=title, exact=True).click(force=True)
    return page, errors


def _click(page, name):
    page.get_by_role("button", name=name).locator("visible=true").first.click(force=True)


def test_vae_learned_prior_preset_samples_per_class(browser, app_url):
    page, errors = _open(browser, app_url, "VAE")
    try:
        page.get_by_label("Teaching presets").locator("visible=true").first.click(force=True)
        page.get_by_role("option", name="CVAE with a learned prior p(z|y)").click()
        page.locator(".pg-equation:visible", has_text="Learned prior").first.wait_for(timeout=30_000)
        _click(page, "▶ Train")
        wait_for_step(page, 600, timeout=240_000)
        page.locator(".pg-status:visible", has_text="done").first.wait_for(timeout=400_000)   # 3000 steps
        expect(page.get_by_text("decoder σ (learned)")).to_have_count(0)        # no σ curve without the option
        imgs = page.locator("img[src*='/file='], img[src*='gradio_api/file']").locator("visible=true")
        expect(imgs.nth(1)).to_be_visible(timeout=60_000)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "vae_learned_prior.png"), full_page=True, timeout=120_000)
        page.close()
    assert not errors, errors


def test_vqvae_pixelcnn_prior_beside_the_transformer(browser, app_url):
    page, errors = _open(browser, app_url, "VQ-VAE")
    try:
        steps = page.locator("input[type=number][aria-label*='Steps per Train press']").locator("visible=true").first
        steps.fill("300")                                   # 300 steps: enough codes for a prior to learn
        steps.press("Enter")
        _click(page, "▶ Train")
        wait_for_step(page, 300, timeout=400_000)
        page.locator(".pg-status:visible", has_text="done").first.wait_for(timeout=60_000)
        page.get_by_role("tab", name="Sample (prior)").click(force=True)
        _click(page, "Train prior")                                               # the transformer first
        page.get_by_text("transformer prior: 200 steps").first.wait_for(timeout=240_000)
        page.get_by_label("gated PixelCNN").check(force=True)
        _click(page, "Train prior")
        page.get_by_text("gated PixelCNN prior: 200 steps").first.wait_for(timeout=240_000)
        # the plot's title wraps to its panel's width (playground/static/liveplot.js), lines joined without a
        # space in the text: "…gated" + "PixelCNN (blue) vs transformer (grey)"
        title = re.compile(r"gated\s*PixelCNN\s*\(blue\)\s*vs\s*transformer\s*\(grey\)")
        page.locator(".js-plotly-plot:visible", has_text=title).first.wait_for(timeout=60_000)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "vqvae_pixelcnn_prior.png"), full_page=True, timeout=120_000)
        page.close()
    assert not errors, errors
