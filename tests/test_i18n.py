"""简体中文 beside English (playground/i18n.py): every visible string of every tab has Chinese, the pass swaps
them for gr.I18n keys the page translates, and nothing the server reads back breaks.

When a new English string appears (a new label, a reworded help text), ``test_every_visible_string_has_chinese``
fails and lists each one with where it is: add a line to playground/i18n_zh_*.py (or KEEP for a name that
reads the same in both languages)."""
from __future__ import annotations

import re

import gradio as gr
import pytest
from gradio.i18n import I18nData

from playground import available_tabs, build_app, forms, i18n

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def demo():
    return build_app(delete_cache=None)


def _english(demo, cls, text):
    """The component of class ``cls`` whose English label is ``text``."""
    found = [b for b in demo.blocks.values() if isinstance(b, cls) and i18n.english(getattr(b, "label", None)) == text]
    assert found, f"no {cls.__name__} labelled {text!r}"
    return found[0]


def test_every_visible_string_has_chinese(demo):
    missing = i18n.missing(demo)
    assert not missing, ("visible strings without Chinese: add them to playground/i18n_zh_*.py (English → 简体中文) "
                         "or to KEEP if they read the same in both languages:\n  " + "\n  ".join(missing))


def test_the_walk_reaches_every_tab(demo):
    """The check above cannot pass by walking nothing: every tab's title and hundreds of strings are seen."""
    texts = [i18n.english(t) for _, _, _, t in i18n.strings(demo)]
    import importlib
    for name in available_tabs():
        mod = importlib.import_module(f"playground.tabs.{name}")
        assert mod.TITLE in texts, name
    assert len(set(texts)) > 300
    # and it does fail on a string no table knows, naming where it is
    with gr.Blocks() as other:
        with gr.Tab("VAE"):
            gr.Slider(0, 1, label="A label nobody translated", info="Help nobody translated either.")
    lines = i18n.missing(other)
    assert lines == ["VAE › Slider: label: 'A label nobody translated'",
                     "VAE › Slider: info: 'Help nobody translated either.'"]


def test_strings_become_keys_with_both_languages(demo):
    steps = _english(demo, gr.Slider, "Steps per Train press")
    assert isinstance(steps.label, I18nData)
    en, zh = i18n.I18N.translations_dict["en"], i18n.I18N.translations_dict[i18n.LOCALE]
    assert en[steps.label.key] == "Steps per Train press"
    assert zh[steps.label.key] == "每次按“训练”的步数"
    assert set(en) == set(zh) and len(en) > 300
    # a live setting keeps its ⟳ in both languages
    beta = _english(demo, gr.Slider, "β ⟳")       # no Latin letters: shown as is
    assert beta.label == "β ⟳"
    lr = _english(demo, gr.Number, "learning rate ⟳")
    assert zh[lr.label.key] == "学习率 ⟳"
    # choices: the shown name is translated, the value the handlers get stays English
    data = _english(demo, gr.Dropdown, "Data")
    shown = {v: i18n.english(d) for d, v in data.choices}
    assert shown["digits"] == "digits" and zh[data.choices[0][0].key] == "手写数字 (digits)"
    # tab titles, buttons, accordions, Markdown
    keys = {type(b).__name__ + ":" + zh.get(getattr(v, "key", ""), "") for b in demo.blocks.values()
            for v in [getattr(b, "label", None), getattr(b, "value", None)]}
    for want in ["Tab:自编码器", "Tab:扩散模型", "Button:▶ 训练", "Accordion:它训练的方程", "Markdown:按 **▶ 训练** 开始。"]:
        assert want in keys, want


def test_tables_keep_the_equations_and_are_chinese():
    """A translation keeps the English's LaTeX and bold marks, and is Chinese (not a copied English line)."""
    for en, zh in i18n.ZH.items():
        assert en.count("$") == zh.count("$"), en[:60]
        assert en.count("**") == zh.count("**"), en[:60]
        assert CJK.search(zh), en[:60]
        for cmd in set(re.findall(r"\\[A-Za-z]+", en)):
            assert cmd in zh, (cmd, en[:60])
    assert not set(i18n.ZH) & i18n.KEEP


def test_errors_still_name_the_field_in_english(demo):
    """forms.name_errors reads the label back: it must say "Steps per Train press", not a key."""
    steps = _english(demo, gr.Slider, "Steps per Train press")
    with pytest.raises(gr.Error) as e:
        steps.preprocess(-5)
    assert "Steps per Train press must be a number from 1 to 100000" in e.value.message
    assert "__i18n__" not in e.value.message
    assert forms._label(steps) == "Steps per Train press"


def test_the_page_config_carries_keys_and_translations(demo):
    """What the browser gets: labels as __i18n__ markers, the two dictionaries beside them."""
    from app import launch_kwargs
    assert launch_kwargs()["i18n"] is i18n.I18N
    cfg = demo.get_config_file()
    steps = _english(demo, gr.Slider, "Steps per Train press")
    comp = next(c for c in cfg["components"] if c["id"] == steps._id)
    assert isinstance(comp["props"]["label"], I18nData) or "__i18n__" in str(comp["props"]["label"])
    assert i18n.runtime("Press **▶ Train** to start.").startswith("__i18n__")
    assert i18n.runtime("not in any table") == "not in any table"


# ----------------------------------------------------------------------------- strings made at run time
def test_status_lines_and_errors_in_chinese():
    from playground.i18n_runtime import chinese
    line = ("**cpu** · step 1,200 · epoch 3.4 · 850 steps/s · drawing 12% of the time  \n"
            "training… 1,200 of 3,000 steps · ~2 s left")
    assert chinese(line) == ("**cpu** · 第 1,200 步 · 第 3.4 轮 · 每秒 850 步 · 绘图占 12% 的时间  \n"
                             "训练中… 已完成 1,200 / 3,000 步 · 约剩 2 秒")
    assert chinese("Reset: press **Train** to start a new run.") == "已重置：按 **训练** 开始新的运行。"
    assert chinese("Steps per Train press must be a number from 1 to 100000; got -5.") == \
        "“每次按“训练”的步数”必须是 1 到 100000 之间的数；收到的是 -5。"
    assert chinese("new run (changed: beta). digits: 1,797 images (ready in 0.3 s)") == \
        "新的运行（改动了：beta）。 digits: 1,797 images （0.3 秒就绪）"
    # a whole string a table knows, and one nobody knows (passed through, not garbled)
    assert chinese("Press **▶ Train** to start.") == "按 **▶ 训练** 开始。"
    assert chinese("A sentence no rule knows: 42.") == "A sentence no rule knows: 42."


def test_the_language_of_a_request():
    from types import SimpleNamespace as NS
    from playground.i18n_runtime import language
    assert language(NS(headers={"cookie": "a=1; pg-lang=zh-CN", "accept-language": "en-US"})) == "zh"
    assert language(NS(headers={"cookie": "pg-lang=en", "accept-language": "zh-CN,zh;q=0.9"})) == "en"
    assert language(NS(headers={"accept-language": "zh-CN,zh;q=0.9"})) == "zh"
    assert language(NS(headers={"accept-language": "zh-TW"})) == "en"      # not 简体中文
    assert language(None) == "en" and language([]) == "en"


def test_the_server_answers_a_chinese_page_in_chinese(app_url):
    """Through the running app: the same call gets its error in Chinese with the page's cookie, English without."""
    from gradio_client import Client
    for headers, want in [({"Cookie": "pg-lang=zh-CN"}, "还没有可导出的内容：请先训练模型。"),
                          ({}, "Nothing to export yet: train a model first.")]:
        client = Client(app_url, verbose=False, headers=headers)
        with pytest.raises(Exception) as e:
            client.predict(api_name="/vae_export")
        assert want in str(e.value), str(e.value)


def test_every_preset_note_has_chinese(demo):
    """The "What to watch" notes are made when a preset is picked: each needs a line in i18n_zh_presets.py."""
    from playground import bursts
    from playground.i18n_runtime import chinese
    notes = [(fam, name, expl) for fam, panel in bursts.PANELS.items() for name, (_, _, expl) in panel.presets.items()]
    assert len(notes) > 20
    missing = [f"{fam} › {name}: {expl!r}" for fam, name, expl in notes if i18n.chinese(expl) is None]
    assert not missing, "preset notes without Chinese (add them to playground/i18n_zh_presets.py):\n  " + \
        "\n  ".join(missing)
    fam, name, expl = notes[0]
    assert chinese(f"**What to watch:** {expl}") == f"**看点：** {i18n.ZH[expl]}"
