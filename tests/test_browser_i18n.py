"""In headless Chromium: the page in Chinese (browser locale, the on-page switch, ?lang=zh), with a screenshot of
every tab in Chinese (tests/artifacts/zh_<tab>.png); and sliders that answer the keyboard (arrow keys, a typed
number, the presenter's "." shortcut) by redrawing their view. Every wait is on a condition, with a deadline."""
from __future__ import annotations

import importlib
import re

from playwright.sync_api import expect

from conftest import ARTIFACTS
from playground import available_tabs, i18n

CJK = re.compile(r"[\u4e00-\u9fff]")


def _titles() -> list[tuple[str, str, str | None]]:
    """(tab id, English title, Chinese title or None while a new tab has no translation yet)."""
    out = []
    for name in available_tabs():
        title = importlib.import_module(f"playground.tabs.{name}").TITLE
        out.append((name, title, i18n.chinese(title)))
    return out


def _page(browser, locale: str, url: str, errors: list[str]):
    ctx = browser.new_context(locale=locale, viewport={"width": 1600, "height": 1200})
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="domcontentloaded")
    return ctx, page


def test_a_chinese_browser_gets_the_chinese_page_and_every_tab_is_shot(browser, app_url):
    errors: list[str] = []
    ctx, page = _page(browser, "zh-CN", app_url, errors)
    try:
        # the panel's own words, then every tab by its Chinese title
        expect(page.get_by_role("button", name="▶ 训练").locator("visible=true").first).to_be_visible(timeout=120_000)
        expect(page.get_by_text("教学预设").locator("visible=true").first).to_be_visible()
        assert page.get_by_role("button", name="▶ Train").locator("visible=true").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        untranslated = []
        for name, title, zh in _titles():
            if zh is None:
                untranslated.append(title)
                continue
            page.get_by_role("tab", name=zh, exact=True).click()
            panel = page.get_by_role("tabpanel").locator("visible=true").first
            expect(panel).to_contain_text(CJK, timeout=30_000)
            # every visible field label of the tab is Chinese, or a name that reads the same (KEEP)
            labels = panel.locator("[data-testid='block-info']").locator("visible=true").all_inner_texts()
            assert len(labels) >= 3, (name, labels)
            english = [t for t in labels if not CJK.search(t) and re.search("[A-Za-z]", t)
                       and t.replace(" ⟳", "").strip() not in i18n.KEEP]
            assert not english, (name, english)
            page.screenshot(path=str(ARTIFACTS / f"zh_{name}.png"), full_page=True)
        assert not untranslated, f"tabs without a Chinese title (add them to playground/i18n_zh_*.py): {untranslated}"
    finally:
        ctx.close()
    assert not errors, errors


def test_the_switch_and_the_url_change_the_language(browser, app_url):
    errors: list[str] = []
    ctx, page = _page(browser, "en-US", app_url, errors)
    try:
        train = page.get_by_role("button", name="▶ Train").locator("visible=true").first
        expect(train).to_be_visible(timeout=120_000)
        page.locator("#pg-lang").get_by_text("中文", exact=True).click()
        expect(page.get_by_role("button", name="▶ 训练").locator("visible=true").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("教学预设").locator("visible=true").first).to_be_visible()
        # what the server says follows the page: the status line after Reset
        page.get_by_role("button", name="↺ 重置").locator("visible=true").first.click()
        expect(page.locator(".pg-status:visible", has_text="已重置").first).to_be_visible(timeout=60_000)
        page.locator("#pg-lang").get_by_text("English", exact=True).click()
        expect(train).to_be_visible(timeout=30_000)
        # a link with ?lang=zh opens in Chinese whatever the browser's language
        page.goto(app_url + "?lang=zh", wait_until="domcontentloaded")
        expect(page.get_by_role("button", name="▶ 训练").locator("visible=true").first).to_be_visible(timeout=120_000)
    finally:
        ctx.close()
    assert not errors, errors


def _src(img) -> str:
    return img.get_attribute("src") or ""


def test_a_slider_answers_the_keyboard(browser, app_url):
    """VAE tab: train a few steps (the "t" shortcut), then the traversal view follows → on its slider, a number
    typed into the slider's box, and the "." shortcut (before, only a mouse release redrew it); "s" stops."""
    errors: list[str] = []
    ctx, page = _page(browser, "en-US", app_url, errors)
    try:
        page.get_by_role("tab", name="VAE", exact=True).click()
        tab = page.get_by_role("tabpanel").locator("visible=true").first
        steps = tab.locator("input[type=number][aria-label*='Steps per Train press']").locator("visible=true").first
        steps.fill("60")
        steps.press("Enter")
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("t")                               # the presenter's Train
        tab.locator(".pg-status", has_text="done").first.wait_for(timeout=240_000)
        page.get_by_role("tab", name="Traversal", exact=True).click()
        view = page.locator("[data-testid='image']:visible, .block:visible").filter(
            has=page.get_by_text("Rows: latent dimensions")).locator("img").locator("visible=true").first
        view.wait_for(timeout=60_000)
        slider = page.locator(".pg-key:visible input[type=range]").first
        before = _src(view)
        slider.focus()
        page.keyboard.press("ArrowRight")
        expect(view).not_to_have_attribute("src", before, timeout=60_000)
        # a number typed into the slider's box
        before = _src(view)
        box = page.locator(".pg-key:visible input[type=number]").first
        box.fill("7")
        expect(view).not_to_have_attribute("src", before, timeout=60_000)
        # the presenter's shortcut, with the focus off any text field
        page.locator("body").click(position={"x": 5, "y": 5})
        before, value = _src(view), slider.input_value()
        page.keyboard.press(".")
        expect(slider).not_to_have_value(value, timeout=10_000)
        expect(view).not_to_have_attribute("src", before, timeout=60_000)
        # and the presenter's Stop ends a long press
        steps.fill("100000")
        steps.press("Enter")
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("t")
        tab.locator(".pg-status", has_text="training…").first.wait_for(timeout=120_000)
        page.keyboard.press("s")
        tab.locator(".pg-status", has_text="stopped").first.wait_for(timeout=120_000)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "keyboard_vae_traversal.png"), full_page=True)
        ctx.close()
    assert not errors, errors

