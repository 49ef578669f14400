"""Issue 15 item 5: a link such as ``?tab=diffusion&preset=…`` opens the page on that tab with that preset
set (its data in the form and its note shown); each preset's note carries that link."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from playground import lessons

PRESET = "Classifier-free guidance (moons)"


class _Panel:
    presets = {PRESET: ("moons", {}, "…")}


def test_the_query_names_a_known_tab_and_preset_or_nothing():
    tabs = {"diffusion": _Panel(), "compare": None}
    assert lessons.choose({"tab": "diffusion", "preset": PRESET}, tabs) == ("diffusion", PRESET)
    assert lessons.choose({"tab": "diffusion", "preset": "no such"}, tabs) == ("diffusion", None)
    assert lessons.choose({"tab": "compare", "preset": PRESET}, tabs) == ("compare", None)
    assert lessons.choose({"tab": "<script>", "preset": PRESET}, tabs) == (None, None)
    assert lessons.choose({}, tabs) == (None, None)
    q = parse_qs(urlsplit(lessons.link("diffusion", PRESET)).query)
    assert q == {"tab": ["diffusion"], "preset": [PRESET]}        # the link reads back as it was written


def test_a_lesson_link_opens_its_tab_with_its_preset(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(app_url.rstrip("/") + "/" + lessons.link("diffusion", PRESET), wait_until="domcontentloaded")
        expect(page.get_by_role("tab", name="Diffusion", exact=True)).to_have_attribute(
            "aria-selected", "true", timeout=120_000)
        note = page.locator("text=What to watch").locator("visible=true").first
        expect(note).to_be_visible(timeout=60_000)
        link = page.get_by_role("link", name="Link to this lesson").locator("visible=true").first
        assert "preset=Classifier-free" in (link.get_attribute("href") or "")
    finally:
        page.screenshot(path="tests/artifacts/lesson_link.png")
        page.close()
