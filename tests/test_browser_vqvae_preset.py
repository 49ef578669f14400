"""The VQ-VAE tab's "Prior: transformer vs gated PixelCNN" preset in headless Chromium: besides the settings
it sets the controls outside the form (300 steps per Train press, 200 prior steps, the transformer first), and
another preset puts the tab's 2,000 steps back."""
from __future__ import annotations

from playwright.sync_api import expect

from test_browser_priors import _open


def _number(page, label):
    return page.locator(f"input[type=number][aria-label*='{label}']").locator("visible=true").first


def _choose(page, preset):
    page.get_by_label("Teaching presets").locator("visible=true").first.click(force=True)
    page.get_by_role("option", name=preset).click()


def test_pixelcnn_preset_sets_steps_and_prior_controls(browser, app_url):
    page, errors = _open(browser, app_url, "VQ-VAE")
    try:
        page.get_by_role("tab", name="Sample (prior)").click(force=True)
        _choose(page, "Prior: transformer vs gated PixelCNN")
        expect(_number(page, "Steps per Train press")).to_have_value("300", timeout=30_000)
        expect(_number(page, "prior steps per press")).to_have_value("200")
        expect(page.get_by_label("transformer", exact=True).locator("visible=true").first).to_be_checked()
        expect(_number(page, "codebook size K")).to_have_value("32")
        _choose(page, "EMA codebook with restarts")
        expect(_number(page, "Steps per Train press")).to_have_value("2000", timeout=30_000)
        expect(_number(page, "codebook size K")).to_have_value("256")
    finally:
        page.close()
    assert not errors, errors
