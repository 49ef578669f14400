"""Words that help a learner, and accessibility (issue 15, items 7 and 8): a caption under every figure, with
its Chinese; citations a student can find (papers, not the class notes' "seed 00x"); the README names the
tabs as the page does; classes in scatters differ by shape as well as colour; in Chromium every image has a
text alternative, every plot an aria-label, and a tap shows a scatter point's image."""
from __future__ import annotations

import re
from pathlib import Path

import gradio as gr
import numpy as np
import pytest

import playground
from playground import captions, figures, i18n
from playground.liveplot import LivePlot

ROOT = Path(__file__).resolve().parents[1]
SEED = re.compile(r"\bseeds? 0\d\d\b|\bthe seed\b|讲义 ?0\d\d", re.I)


@pytest.fixture(scope="module")
def built():
    """The built app and its panels (caught on their way to lessons.wire)."""
    panels: dict = {}
    orig = playground.lessons.wire

    def spy(demo, tabs, ps):
        panels.update(ps)
        return orig(demo, tabs, ps)
    playground.lessons.wire = spy
    try:
        demo = playground.build_app(delete_cache=None)
    finally:
        playground.lessons.wire = orig
    return demo, panels


def _caption_under(comp) -> gr.Markdown | None:
    """The caption placed right after the figure (its plot block, for a LivePlot) in the same parent."""
    sibs = comp.parent.children
    nxt = sibs[sibs.index(comp) + 1] if sibs.index(comp) + 1 < len(sibs) else None
    return nxt if isinstance(nxt, gr.Markdown) and "pg-caption" in (nxt.elem_classes or []) else None


def test_every_wired_view_and_every_figure_has_a_caption_with_chinese(built):
    demo, panels = built
    figures_seen, wired = 0, 0
    for tab, panel in panels.items():
        for name, comp in (getattr(panel, "views", None) or {}).items():
            if isinstance(comp, (*captions.FIGURES, gr.HTML)) and not isinstance(comp, gr.Markdown):
                wired += 1
                assert captions.caption(tab, name), f"{tab}/{name}: no caption in playground/captions.py"
    assert wired >= 50, wired
    for block in demo.blocks.values():
        if not isinstance(block, captions.FIGURES):
            continue
        figures_seen += 1
        cap = _caption_under(block)
        assert cap is not None, f"{i18n.where(block)} ({i18n.english(block.label)!r}): no caption under it"
        text = i18n.english(cap.value)
        assert len(text.split()) >= 6, f"{i18n.where(block)}: caption too short to say anything: {text!r}"
        assert i18n.chinese(text), f"{i18n.where(block)}: caption without Chinese: {text!r}"
        assert re.search(r"[\u4e00-\u9fff]", i18n.chinese(text))
        target = block.plot_html if isinstance(block, LivePlot) else block
        assert any(c.startswith("pg-fig-") for c in target.elem_classes), i18n.where(block)
        assert cap.elem_id == "pg-cap-" + next(c for c in target.elem_classes if c.startswith("pg-fig-"))[7:]
    assert figures_seen >= 80, figures_seen


def test_a_caption_in_a_row_sits_under_its_figure_not_beside_it(built):
    demo, _ = built
    for block in demo.blocks.values():
        if isinstance(block, gr.Markdown) and "pg-caption" in (block.elem_classes or []):
            assert not isinstance(block.parent, gr.Row), f"{i18n.where(block)}: caption beside its figure"


def test_no_visible_string_cites_the_class_notes_seeds(built):
    demo, _ = built
    bad = []
    for block, attr, _, text in i18n.strings(demo):
        en = str(i18n.english(text))
        zh = i18n.chinese(en) or ""
        if SEED.search(en) or SEED.search(zh):
            bad.append(f"{i18n.where(block)}: {attr}: {en[:100]!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("tab, paper", [
    ("vae", "Kingma & Welling 2014, eq. 3 and 10"), ("gan", "Goodfellow et al. 2014, eq. 1"),
    ("vqvae", "van den Oord et al. 2017"), ("diffusion", "Ho et al. 2020"), ("tdvae", "Gregor et al. 2019"),
    ("ae", "Hinton & Salakhutdinov 2006"), ("vaevariants", "Larsen et al. 2016"), ("score", "Song et al. 2021")])
def test_each_tab_equation_cites_the_paper_it_comes_from(tab, paper):
    import importlib
    mod = importlib.import_module(f"playground.tabs.{tab}")
    assert paper in mod.EQUATION, f"{tab}: the equation box should cite {paper!r}"
    zh = i18n.chinese(mod.EQUATION) or i18n.chinese(mod.EQUATION.strip())
    assert zh and paper.split(",")[0] in zh, f"{tab}: the Chinese equation box lost the citation"


def test_readme_names_the_tabs_as_the_page_does():
    import importlib
    titles = [importlib.import_module(playground._module(t)).TITLE for t in playground.available_tabs()]
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## What is in it", 1)[1].split("\n\n", 2)[1]
    rows = [line.split("|")[1].strip() for line in table.splitlines()[2:] if line.startswith("|")]
    assert rows == titles, (rows, titles)
    from playground import references
    assert "## References" in readme and references.LIST.strip() in readme    # the page's list = the README's
    assert "J. Ho, A. Jain, P. Abbeel, *Denoising diffusion probabilistic models*, NeurIPS 2020" in references.LIST


def test_the_page_lists_the_references_in_both_languages(built):
    demo, _ = built
    from playground import references
    acc = [b for b in demo.blocks.values() if isinstance(b, gr.Accordion) and b.elem_id == "pg-references"]
    assert len(acc) == 1 and i18n.english(acc[0].label) == references.TITLE
    md = acc[0].children[0]
    assert "Kingma, M. Welling" in i18n.english(md.value)
    assert "*扩散模型*" in i18n.chinese(i18n.english(md.value))


def test_scatter_classes_differ_by_shape_and_the_legend_shows_the_same_shapes():
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 10
    h = figures.scatter_html(rng.normal(size=(40, 2)), labels, figures.thumbnails(__import__("torch").rand(40, 1, 8, 8)),
                             "t", [str(i) for i in range(10)])
    dots = re.findall(r'<i class="pt (s\d+)" tabindex="0"[^>]*color:(#[0-9a-f]+)', h)
    assert len(dots) == 40
    shape_of = {}
    for (shape, color), lab in zip(dots, labels):
        assert shape_of.setdefault(int(lab), shape) == shape          # one shape per class
    assert len(set(shape_of.values())) == 10                         # ten classes, ten shapes
    legend = re.findall(r'<i class="mk (s\d+)" style="color:(#[0-9a-f]+)"></i> (\d)', h)
    assert {int(k): s for s, _, k in legend} == shape_of
    for s in shape_of.values():                                      # every shape has a clip-path rule
        assert f".pg-scatter .{s}::before {{ clip-path:" in figures.SCATTER_CSS
    assert ".pt:focus .pop" in figures.SCATTER_CSS                    # a tap/click shows the image too
    assert len(re.findall(r'alt="test image \d+, label \d"', h)) == 40


def test_gan_lab_tells_real_from_generated_by_shape():
    import inspect
    from playground.tabs import gan
    src = inspect.getsource(gan)
    real = re.search(r'name="real",\s*marker=dict\(([^)]*)\)', src).group(1)
    fake = re.search(r'name="generated",\s*marker=dict\(([^)]*)\)', src).group(1)
    sym = lambda m: (re.search(r'symbol="(\w+)"', m) or [None, "circle"])[1]   # noqa: E731
    assert sym(real) != sym(fake)


# ----------------------------------------------------------------------------------------- in Chromium
def test_in_the_browser_images_have_alt_plots_have_labels_and_a_tap_shows_a_point(browser, app_url):
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_role("tab", name="VAE", exact=True).click()
        tab = page.get_by_role("tabpanel").locator("visible=true").first
        steps = tab.locator("input[type=number][aria-label*='Steps per Train press']").locator("visible=true").first
        steps.fill("60")
        steps.press("Enter")
        tab.get_by_role("button", name="▶ Train").locator("visible=true").first.click(force=True)
        tab.locator(".pg-status", has_text="done").first.wait_for(timeout=240_000)
        # the page's script has given every image of a figure its caption as alt, every plot a label
        page.wait_for_function("""() => {
            const imgs = [...document.querySelectorAll('.pg-fig img')];
            return imgs.length >= 3 && imgs.every(i => i.alt.length > 10);
        }""", timeout=60_000)
        info = page.evaluate("""() => ({
            noalt: [...document.querySelectorAll('img')].filter(i => !i.alt).map(i => i.outerHTML.slice(0, 100)),
            recon: (document.querySelector('.pg-fig-vae-recon img') || {}).alt,
            plots: [...document.querySelectorAll('.pg-fig .js-plotly-plot')].map(p =>
                [p.getAttribute('role'), p.getAttribute('aria-label') || '']),
            shown: [...document.querySelectorAll('.pg-caption')].filter(c =>
                c.getBoundingClientRect().height > 0).map(c => c.id),
        })""")
        assert not info["noalt"], info["noalt"]
        assert "Rows 1 and 3 are test images" in info["recon"], info["recon"]
        assert info["plots"] and all(r == "img" and len(a) > 20 for r, a in info["plots"]), info["plots"]
        assert {"pg-cap-vae-recon", "pg-cap-vae-curves", "pg-cap-vae-latent"} <= set(info["shown"]), info["shown"]
        assert "pg-cap-vae-pinned" not in info["shown"]          # no pinned run: its gallery and caption hide
        # a tap (click) on a scatter point shows its image, as hovering does
        pt = page.locator(".pg-scatter .pt").nth(5)
        pt.click(force=True)
        expect_pop = page.locator(".pg-scatter .pt:focus .pop")
        expect_pop.first.wait_for(state="visible", timeout=10_000)
        # in Chinese the text alternative follows the page's language
        page.locator("#pg-lang").get_by_text("中文", exact=True).click()
        page.wait_for_function("""() => /[\\u4e00-\\u9fff]/.test(
            (document.querySelector('.pg-fig-vae-recon img') || {}).alt || '')""", timeout=30_000)
    finally:
        page.screenshot(path=str(ROOT / "tests" / "artifacts" / "words_vae.png"), full_page=True)
        page.close()
    assert not errors, errors
