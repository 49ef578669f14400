"""Issue 16 item 6: Reset (and Stop) end the running press and the page shows the fresh state, whenever
they land: while the press reads its data and builds the model (no run to halt yet), or while it draws a
frame. Before: in Chromium the discarded run sometimes still said "training… 1 of 100,000" after Reset,
because a press that began before there was a run to halt went on and drew its first frame."""
from __future__ import annotations

import itertools
import time

import pytest

from conftest import ARTIFACTS


@pytest.fixture(scope="module")
def vae_panel():
    import playground
    from playground import bursts
    playground.build_app(delete_cache=None)
    return bursts.PANELS["vae"]


def _press(panel, key, steps: int = 100_000):
    from playground.press import PRESSES
    from trainers.vae import Config
    fields = list(panel.form)
    values = [getattr(Config(), f) for f in fields]
    return panel._train(fields, PRESSES.begin(key), None, "digits", steps, *values, None)


def test_reset_after_the_run_is_built_silences_the_press(vae_panel):
    from playground.press import PRESSES
    key = ("page-a", "vae")
    gen = _press(vae_panel, key)
    for out in gen:                        # until the press hands the page its new run
        if vae_panel.state in out:
            break
    s = out[vae_panel.state]
    PRESSES.retire(key)                    # what Reset and Stop do for this page
    assert list(itertools.islice(gen, 3)) == [], "the press kept streaming after Reset"
    assert s.run.step < 100_000


def test_reset_while_the_data_is_read_ends_the_press_before_it_trains(vae_panel, monkeypatch):
    from playground.press import PRESSES
    real, started = vae_panel._prepare, []

    def slow(*a, **kw):                    # a long upload decode or model build
        started.append(time.perf_counter())
        time.sleep(1.0)
        return real(*a, **kw)
    monkeypatch.setattr(vae_panel, "_prepare", slow)
    key = ("page-b", "vae")
    gen = _press(vae_panel, key)
    first = next(gen)
    assert "reading the data" in first[vae_panel.status]
    PRESSES.retire(key)
    assert list(itertools.islice(gen, 3)) == [], "Reset during the data read: the press went on to train"


def test_a_newer_press_of_the_page_silences_the_older_one():
    from playground.press import Ledger
    ledger = Ledger()
    old = ledger.begin(("p", "vae"))
    other_tab = ledger.begin(("p", "gan"))
    new = ledger.begin(("p", "vae"))
    assert not old.live() and new.live() and other_tab.live()
    ledger.forget("p")                     # the page closed
    assert not new.live() and not other_tab.live() and len(ledger) == 0
    assert Ledger.key(None, "vae") is None and ledger.begin(None).live()   # a direct call: always live


def test_retire_waits_until_the_press_is_quiet():
    """Reset's reply must not overtake the press's last frame: it waits until the press said its last word."""
    import threading
    from playground.press import Ledger
    ledger = Ledger()
    press = ledger.begin(("p", "vae"))
    assert not ledger.retire(("p", "vae"), wait=0.05)          # still drawing: the wait runs out
    press = ledger.begin(("p", "vae"))
    threading.Timer(0.2, press.done).start()
    assert ledger.retire(("p", "vae"), wait=30)               # returns once the press is done
    assert press.quiet.is_set() and len(ledger) == 0
    assert ledger.retire(("p", "vae"), wait=30)               # nothing running: at once


def test_the_api_does_not_show_the_request(client):
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name in ("/vae_train", "/vae_reset"):
        params = [p["parameter_name"] for p in info[name]["parameters"]]
        assert "request" not in params, (name, params)


def test_reset_in_the_browser_leaves_the_fresh_state(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_role("tab", name="VAE", exact=True).click()
        steps = page.get_by_label("Steps per Train press").locator("visible=true").first
        steps.fill("100000")
        steps.press("Enter")
        page.get_by_role("button", name="▶ Train").locator("visible=true").first.click(force=True)
        # the press runs (reading its data or drawing its first frames): the moment of the old race
        page.locator(".pg-status:visible", has_text="…").first.wait_for(timeout=180_000)
        page.get_by_role("button", name="↺ Reset").locator("visible=true").first.click(force=True)
        page.locator(".pg-status:visible", has_text="Reset").first.wait_for(timeout=120_000)
        # the press is over when Train is enabled again; after that, nothing may overwrite the reset state
        page.wait_for_function("""() => [...document.querySelectorAll('button.pg-train')].some(b =>
            b.offsetParent !== null && !b.disabled)""", timeout=60_000)
        status = page.locator(".pg-status:visible").first.inner_text()
        assert status.startswith("Reset") and "training" not in status, status
    finally:
        page.screenshot(path=str(ARTIFACTS / "reset.png"))
        page.close()
