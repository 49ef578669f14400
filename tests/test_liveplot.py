"""LivePlot (playground/liveplot.py): figures go out as JSON, and in the page one Plotly div per plot is
redrawn in place while training streams (Gradio 6.31's gr.Plot adds a new div on every update)."""
from __future__ import annotations

import json

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import pytest

from conftest import ARTIFACTS
from playground import figures
from playground.liveplot import HEAD, HIDDEN, LIVE_JS, PLOTLY_JS, LivePlot


# ----------------------------------------------------------------------------- the server half
def test_a_figure_goes_out_as_json_that_round_trips_its_traces():
    fig = go.Figure([go.Scatter(x=[0, 1, 2], y=[3.0, 1.5, 0.5], mode="lines", name="loss"),
                     go.Bar(x=[0, 1], y=[2, 4], name="kl")], layout=dict(title="t", height=300))
    out = json.loads(LivePlot().postprocess(fig))
    assert [(t["type"], t["name"]) for t in out["data"]] == [("scatter", "loss"), ("bar", "kl")]
    assert out["data"][0]["x"] == [0, 1, 2] and out["data"][0]["y"] == [3.0, 1.5, 0.5]
    assert out["layout"]["height"] == 300


def test_the_apps_own_figures_and_figure_dicts_go_out_unchanged():
    made = figures.bars(np.array([0.5, 0.0, 2.0]), "KL", threshold=0.01)       # PlotData, as the tabs return
    assert LivePlot().postprocess(made) == made.plot
    assert json.loads(LivePlot().postprocess({"data": [{"type": "bar", "y": [1]}], "layout": {}}))["data"][0]["y"] == [1]
    assert LivePlot().postprocess(made.plot) == made.plot
    with pytest.raises(TypeError):
        LivePlot().postprocess(3.5)


def test_none_clears_and_a_hidden_plot_says_so():
    assert LivePlot().postprocess(None) is None
    hidden = LivePlot(visible=False, render=False)          # the copy Gradio builds for gr.update(visible=False)
    assert hidden.postprocess(None) == HIDDEN and hidden.postprocess(go.Figure()) == HIDDEN
    # a show/hide update carries a value, so the page hears of it; value updates pass as they are
    assert LivePlot.fold(gr.update(visible=False)) == {"__type__": "update", "visible": False, "value": None}
    upd = gr.update(value="{}", visible=True)
    assert LivePlot.fold(upd) == upd


def test_built_in_a_blocks_it_places_a_div_then_itself_hidden_with_a_js_only_redraw():
    with gr.Blocks() as demo:
        p = LivePlot(label="Loss", elem_classes=["pg-curves"], show_label=False, height=330)
    html = p.plot_html
    assert isinstance(html, gr.HTML) and html._id < p._id
    assert 'class="pg-liveplot"' in html.value and "min-height: 330px" in html.value
    assert "pg-curves" in html.elem_classes and html.elem_id == p.plot_id and not html.show_label
    assert p.visible == "hidden" and p.get_block_name() == "textbox"
    redraw = [f for f in demo.fns.values() if p in [demo.blocks[t[0]] for t in f.targets if t[0] in demo.blocks]]
    assert len(redraw) == 1 and redraw[0].fn is None and json.dumps(p.plot_id) in redraw[0].js
    assert PLOTLY_JS.is_file() and LIVE_JS.is_file() and PLOTLY_JS.name in HEAD and LIVE_JS.name in HEAD
    # copies made per update (render=False, outside any Blocks) build no second div
    assert LivePlot(label="Loss", render=False).plot_html is None


# ----------------------------------------------------------------------------- the page
PLOT_STATE = """(sel) => [...document.querySelectorAll(sel)].filter(d => d.clientWidth > 0 && d.data).map(d => ({
    width: d.clientWidth, drawn: d._fullLayout ? d._fullLayout.width : 0,
    step: Math.max(...d.data.flatMap(t => (t.x || []).filter(v => typeof v === 'number')), -1),
    lines: d.querySelectorAll('.scatterlayer path.js-line').length}))"""


def _curves(page) -> dict:
    states = page.evaluate(PLOT_STATE, ".pg-curves .js-plotly-plot")
    assert len(states) == 1, states
    return states[0]


def _redrawn_past(page, step: int) -> None:
    """Wait (up to a deadline) until the visible curves reach beyond ``step``: the page drew a newer frame."""
    page.wait_for_function("""([sel, n]) => [...document.querySelectorAll(sel)].some(d => d.clientWidth > 0 && d.data
        && d.data.some(t => (t.x || []).some(v => v > n)))""", arg=[".pg-curves .js-plotly-plot", step],
                           timeout=120_000)


def _plots(page) -> int:
    return page.evaluate("document.querySelectorAll('.js-plotly-plot').length")


def _full_width(page, sel: str) -> list[dict]:
    """Every visible plot under ``sel`` is laid out at its div's width (not at 0 or plotly's 700 px default)."""
    states = page.evaluate(PLOT_STATE, sel)
    assert states, f"no drawn plot under {sel}"
    for s in states:
        assert s["width"] > 300 and abs(s["drawn"] - s["width"]) <= 2, states
    return states


def test_vae_curves_redraw_in_place_and_plots_render_at_full_width(browser, app_url):
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_role("tab", name="VAE", exact=True).click()
        steps = page.get_by_label("number input for Steps per Train press").locator("visible=true").first
        steps.fill("100000")        # the press outlasts the redraws watched here, however busy the box; Stop ends it
        steps.press("Enter")
        page.get_by_role("button", name="▶ Train").locator("visible=true").first.click(force=True)
        page.locator(".pg-curves:visible .js-plotly-plot .scatterlayer path.js-line").first.wait_for(timeout=180_000)
        first = _curves(page)
        assert first["lines"] >= 3 and first["step"] >= 0, first
        _redrawn_past(page, first["step"])
        n_plots, mid = _plots(page), _curves(page)
        _redrawn_past(page, mid["step"])
        _redrawn_past(page, _curves(page)["step"])
        assert _plots(page) == n_plots, "a redraw added Plotly plots to the page"
        page.get_by_role("button", name="■ Stop").locator("visible=true").first.click(force=True, timeout=120_000)
        page.locator(".pg-status:visible", has_text="stopped").first.wait_for(timeout=180_000)
        assert _plots(page) == n_plots
        _full_width(page, ".pg-curves .js-plotly-plot")
        kl = _full_width(page, ".pg-liveplot-block .js-plotly-plot")      # the curves and the KL bars
        assert len(kl) == 2, kl
        page.screenshot(path=str(ARTIFACTS / "liveplot_vae.png"), full_page=True)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        try:                # a page still busy streaming must not hide the failure that got here
            page.screenshot(path=str(ARTIFACTS / "liveplot_after.png"), full_page=True, timeout=120_000)
        except Exception as e:     # noqa: BLE001
            print(f"no screenshot: {e}")
        page.close()
    assert not errors, errors
