"""The page in headless Chromium: press Train in the VAE tab and see the curve and views appear."""
from __future__ import annotations

from conftest import ARTIFACTS


def test_click_train_draws_the_curve_then_stop(browser, app_url):
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_role("button", name="▶ Train").locator("visible=true").first.click()
    # the loss curve: a plotly graph with at least one drawn line, inside the curves panel
    page.locator(".pg-curves .js-plotly-plot .scatterlayer path.js-line").first.wait_for(timeout=120_000)
    page.locator(".pg-status:visible", has_text="steps/s").first.wait_for(timeout=60_000)
    page.wait_for_timeout(3000)
    page.get_by_role("button", name="■ Stop").locator("visible=true").first.click()
    page.locator(".pg-status:visible", has_text="stopped").first.wait_for(timeout=60_000)
    status = page.locator(".pg-status:visible").first.inner_text()
    assert "step" in status and "cpu" in status
    # reconstructions and samples are images on the page; the latent scatter is an SVG with points
    imgs = page.locator("img[src*='/file='], img[src*='gradio_api/file']").locator("visible=true")
    assert imgs.count() >= 2
    assert page.locator(".pg-scatter .pt").count() >= 100
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "vae_tab.png"), full_page=True)
    assert not errors, errors
    page.close()
