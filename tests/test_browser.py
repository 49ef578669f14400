"""The page in headless Chromium, as a visitor uses it: open each family's tab, press Train, see the curves
and the views appear, press Stop. Screenshots land in tests/artifacts/<tab>_tab.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS

# tab title, and how many images and plots the tab shows (default data) once it has trained a few steps
TABS = [("VAE", 2, 2), ("Autoencoders", 1, 3), ("VQ-VAE", 1, 3), ("GAN", 0, 3), ("Diffusion", 0, 3),
        ("TD-VAE", 0, 2), ("VAE variants", 3, 1)]


@pytest.mark.parametrize("title, min_images, min_plots", TABS)
def test_click_train_draws_the_curves_then_stop(browser, app_url, title, min_images, min_plots):
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_role("tab", name=title, exact=True).click()
        # force: the page may still be laying out the tab; the button is there and enabled
        page.get_by_role("button", name="▶ Train").locator("visible=true").first.click(force=True)
        # the loss curve: a plotly graph with at least one drawn line, inside the curves panel
        page.locator(".pg-curves:visible .js-plotly-plot .scatterlayer path.js-line").first.wait_for(
            timeout=180_000)
        page.locator(".pg-status:visible", has_text="steps/s").first.wait_for(timeout=60_000)
        page.get_by_role("button", name="■ Stop").locator("visible=true").first.click(force=True)
        page.locator(".pg-status:visible", has_text="stopped").first.wait_for(timeout=60_000)
        status = page.locator(".pg-status:visible").first.inner_text()
        assert "step" in status and "cpu" in status, status
        # Stop redraws every view: wait (up to a deadline) for at least that many images and drawn plots
        imgs = page.locator("img[src*='/file='], img[src*='gradio_api/file']").locator("visible=true")
        if min_images:
            expect(imgs.nth(min_images - 1)).to_be_visible(timeout=60_000)
        drawn = page.locator(".js-plotly-plot:visible").filter(has=page.locator(".scatterlayer path, .barlayer path"))
        expect(drawn.nth(min_plots - 1)).to_be_visible(timeout=60_000)
        if title == "VAE":        # the latent scatter is HTML with one dot per test image
            expect(page.locator(".pg-scatter .pt").nth(99)).to_be_attached(timeout=60_000)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{title.lower().replace('-', '')}_tab.png"), full_page=True)
        page.close()
    assert not errors, errors
