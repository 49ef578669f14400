"""简体中文 beside English, with Gradio's own i18n (``gr.I18n``), as a pass over the built Blocks.

The tab files write English. :func:`translate` (called once by ``build_app``) walks every block and swaps each
visible English string that the tables know (``i18n_zh_*.py``: English → 简体中文, the class notes' terms)
for ``gr.I18n``'s key; the page then shows it in the browser's language, and the switch at the top of the
page (or ``?lang=zh``) changes it. What Gradio 6.31 translates this way (checked in Chromium): component
``label``/``info``/``placeholder``, ``gr.Markdown`` and ``gr.Button`` values, ``gr.Tab`` and
``gr.Accordion`` labels, and the shown names of Radio/Dropdown choices (the values stay English, so handlers
and the API are unchanged). A plain string is *not* looked up for labels: only ``I18nData`` keys are.

Server-side code that reads a swapped label back (errors that name a field) asks :func:`english`.

Strings made at run time (status lines, notes, errors) are translated on the server for a page in Chinese
(playground/i18n_runtime.py); :func:`runtime` marks one string for the page to translate instead (Gradio
6.31 translates the first key in a Markdown string, none in an error).
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Iterator

import gradio as gr
from gradio.i18n import I18nData

from .i18n_zh_common import KEEP, ZH as _COMMON
from .i18n_zh_tabs1 import ZH as _TABS1
from .i18n_zh_tabs2 import ZH as _TABS2
from .i18n_zh_tabs3 import ZH as _TABS3
from .i18n_zh_tabs4 import ZH as _TABS4
from .i18n_zh_presets import ZH as _PRESETS
from .i18n_zh_words import ZH as _WORDS
from .i18n_zh_display import ZH as _DISPLAY
from .i18n_zh_examples import ZH as _EXAMPLES
from .i18n_zh_quality import ZH as _QUALITY
from .i18n_zh_tour import ZH as _TOUR

ZH: dict[str, str] = {**_COMMON, **_TABS1, **_TABS2, **_TABS3, **_TABS4, **_PRESETS, **_DISPLAY, **_WORDS, **_EXAMPLES, **_QUALITY, **_TOUR}
LOCALE = "zh-CN"                 # Gradio's locale for 简体中文 (its own strings: "设置", "加载中", ...)
SUFFIXES = (" ⟳",)               # added to a field's label by forms.py: translated around the base label

_EN: dict[str, str] = {}
_ZH: dict[str, str] = {}
I18N = gr.I18n(en=_EN, **{LOCALE: _ZH})     # the dicts fill in as keys are made: launch(i18n=I18N)


def key(text: str) -> str:
    """The key of an English string: short, and free of "}" (the page cuts a key's JSON at the first one)."""
    return "pg_" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def chinese(text: str) -> str | None:
    """The table's Chinese for ``text`` (a known suffix such as " ⟳" is kept), or None."""
    if text in ZH:
        return ZH[text]
    if text in KEEP:
        return text
    for suffix in SUFFIXES:
        if text.endswith(suffix):
            base = chinese(text[: -len(suffix)])
            return None if base is None else base + suffix
    return None


def data(text: str) -> I18nData | str:
    """``text`` as an I18n key (registering both languages), or ``text`` itself when no table knows it."""
    zh = chinese(text)
    if zh is None or text in KEEP:
        return text
    k = key(text)
    _EN[k], _ZH[k] = text, zh
    return I18nData(k)


def english(value: Any) -> Any:
    """The English of a value this pass swapped (``value`` itself otherwise)."""
    if isinstance(value, I18nData):
        return _EN.get(value.key, value.key)
    return value


def runtime(text: str) -> str:
    """A Markdown string with ``text`` marked for the page to translate (when a table knows it)."""
    d = data(text)
    return str(d) if isinstance(d, I18nData) else text


def visible(text: Any) -> bool:
    """Strings a reader sees as words: some Latin letters (not "—", "0", "β ⟳"); or one already swapped."""
    return isinstance(text, I18nData) or isinstance(text, str) and re.search(r"[A-Za-z]", text) is not None


_CHOICES = (gr.Radio, gr.Dropdown, gr.CheckboxGroup)


def strings(blocks: gr.Blocks) -> Iterator[tuple[Any, str, int | None, str]]:
    """Every visible English string of the built page: (block, attribute, choice index or None, text)."""
    for block in blocks.blocks.values():
        for attr in ("label", "info", "placeholder"):
            v = getattr(block, attr, None)
            if visible(v):
                yield block, attr, None, v
        if isinstance(block, (gr.Markdown, gr.Button)) and visible(getattr(block, "value", None)):
            yield block, "value", None, block.value
        if isinstance(block, _CHOICES):
            for i, choice in enumerate(block.choices or []):
                shown = choice[0] if isinstance(choice, (tuple, list)) else choice
                if visible(shown):
                    yield block, "choices", i, shown


def where(block: Any) -> str:
    """"VAE › Traversal › Slider" for a message that says where a string is."""
    path, b = [], block
    while b is not None:
        if isinstance(b, gr.Tab):
            path.append(str(english(b.label)))
        b = getattr(b, "parent", None)
    return " › ".join([*reversed(path), type(block).__name__]) if path else f"page › {type(block).__name__}"


def missing(blocks: gr.Blocks) -> list[str]:
    """Lines "where: attribute: 'text'" for every visible string without Chinese (empty when all have it)."""
    out, seen = [], set()
    for block, attr, _, text in strings(blocks):
        text = english(text)
        if isinstance(text, str) and chinese(text) is None and text not in seen:
            seen.add(text)
            out.append(f"{where(block)}: {attr}: {text!r}")
    return out


def translate(blocks: gr.Blocks) -> int:
    """Swap every visible string the tables know for its I18n key; returns how many it swapped."""
    n = 0
    for block, attr, i, text in list(strings(blocks)):
        d = data(text) if isinstance(text, str) else None      # None: swapped already
        if not isinstance(d, I18nData):
            continue
        if attr == "choices":
            choices = list(block.choices)
            old = choices[i]
            choices[i] = (d, old[1] if isinstance(old, (tuple, list)) else old)
            block.choices = choices
        else:
            setattr(block, attr, d)
        n += 1
    return n


# ----------------------------------------------------------------------------- the switch on the page
def switch() -> gr.Radio:
    """English | 中文 at the top of the page (inside ``gr.Blocks``): it sets Gradio's own locale, so the page
    and Gradio's strings change together; ``?lang=zh`` / ``?lang=en`` in the URL and a zh-* browser too."""
    radio = gr.Radio([("English", "en"), ("中文", LOCALE)], value="en", show_label=False, label="Language / 语言",
                     container=False, elem_id="pg-lang")
    radio.input(None, radio, None, js="(v) => { window.pgSetLang && window.pgSetLang(v); return []; }")
    return radio


def on_load(blocks: gr.Blocks, radio: gr.Radio) -> None:
    """After the page (and Gradio's i18n) is up: the language the URL, the last choice or the browser asks."""
    with blocks:
        blocks.load(None, None, radio, js="() => (window.pgInitLang ? window.pgInitLang() : 'en')")


HEAD = """
<style>
#pg-lang { position: absolute; top: 8px; right: 16px; width: auto; z-index: 5; background: none; }
#pg-lang .wrap { gap: 4px; }
</style>
<script>
(() => {
  const ZH = "%s";
  let core = null;
  async function locale() {            // Gradio's own changeLocale: the module the page already loaded
    if (core) return core;
    const url = performance.getEntriesByType("resource").map((r) => r.name)
      .find((n) => /\\/core-[\\w-]+\\.js(\\?|$)/.test(n));
    core = url ? await import(url) : null;
    return core;
  }
  window.pgSetLang = async (lang, remember = true) => {
    lang = (lang || "").toLowerCase().startsWith("zh") ? ZH : "en";
    if (remember) { try { localStorage.setItem("pg-lang", lang); } catch (e) {} }
    document.cookie = "pg-lang=" + lang + "; path=/; SameSite=Lax";   // the server's status lines follow it
    const m = await locale();
    if (m && m.changeLocale) m.changeLocale(lang);
    else console.warn("playground: Gradio's changeLocale not found; use Settings → Language");
    return lang;
  };
  window.pgInitLang = async () => {
    let want = new URLSearchParams(location.search).get("lang");
    if (!want) { try { want = localStorage.getItem("pg-lang"); } catch (e) {} }
    if (!want) {
      const nav = (navigator.language || "").toLowerCase();
      want = nav.startsWith("zh") && !/tw|hk|mo|hant/.test(nav) ? ZH : "en";
    }
    return await window.pgSetLang(want, false);
  };
})();
</script>
""" % LOCALE


def install(blocks: gr.Blocks, radio: gr.Radio | None = None) -> int:
    """The whole pass for ``build_app``: translate, follow the URL/browser on load, and make any
    ``blocks.launch()`` carry the translations (without them the page would show the keys)."""
    from . import i18n_runtime
    n = translate(blocks)
    i18n_runtime.install(blocks)            # status lines, notes and errors, for a page in Chinese
    if radio is not None:
        on_load(blocks, radio)
    launch = blocks.launch

    def launch_with_i18n(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("i18n", I18N)
        return launch(*args, **kwargs)
    blocks.launch = launch_with_i18n        # type: ignore[method-assign]
    return n
