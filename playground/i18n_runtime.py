"""Strings the server makes at run time, in the visitor's language: status lines, notes, errors.

Gradio 6.31 translates static strings on the page (playground/i18n.py), but what a handler returns is text,
and the page translates at most one key per string and none in an error. So this pass works on the server:
:func:`install` wraps ``blocks.process_api`` (what every event goes through, streamed frames included) so
that, for a visitor whose page is in Chinese, each ``gr.Markdown`` output and each ``gr.Error`` message is
translated by :func:`chinese` before it leaves: a whole string the tables know, else the sentence patterns
of :data:`RULES` (with their numbers). The language is the page's: the ``pg-lang`` cookie its switch sets
(also for ``?lang=zh`` and a zh-* browser), else the request's Accept-Language. API clients get English.

What stays English: figure titles and axes, data-set notes, preset explanations not in the tables, and any
sentence no rule knows (it is passed through unchanged, never garbled).
"""
from __future__ import annotations

import re
from typing import Any, Callable

import gradio as gr

from . import i18n

def _zh(text: str) -> str:
    return i18n.chinese(text) or text


def _field(m: re.Match) -> str:
    return f"“{_zh(m.group(1))}”"


# (pattern, replacement): applied in order to a string no table knows whole
RULES: list[tuple[re.Pattern, str | Callable[[re.Match], str]]] = [(re.compile(p), r) for p, r in [
    # the status line (playground/panel.py, press.py)
    (r"\*\*(\w+)\*\* · step ([\d,]+) · epoch ([\d.,]+) · ([\d,.]+) steps/s", r"**\1** · 第 \2 步 · 第 \3 轮 · 每秒 \4 步"),
    (r" · drawing (\d+)% of the time", r" · 绘图占 \1% 的时间"),
    (r"training… ([\d,]+) of ([\d,]+) steps", r"训练中… 已完成 \1 / \2 步"),
    (r" · ~([\d,]+) s left", r" · 约剩 \1 秒"),
    (r"done: press \*\*Train\*\* to continue\.", "完成：按 **训练** 继续。"),
    (r"stopped: press \*\*Train\*\* to continue\.", "已停止：按 **训练** 继续。"),
    (r"Reset: press \*\*Train\*\* to start a new run\.", "已重置：按 **训练** 开始新的运行。"),
    (r"paused at step ([\d,]+) after (\d+) s \(the limit of one press\): press \*\*Train\*\* to continue\.",
     r"在第 \1 步暂停，已用 \2 秒（一次按下的时长上限）：按 **训练** 继续。"),
    (r"imported a run at step ([\d,]+): press \*\*Train\*\* to continue\.", r"已导入第 \1 步的运行：按 **训练** 继续。"),
    (r"continuing where it stopped\.", "从停下的地方继续。"),
    (r"continuing; now using (.+?) from the form\.", r"继续；现在使用表单中的 \1。"),
    (r"new run \(changed: (.+?)\)\.", r"新的运行（改动了：\1）。"),
    (r"new run \(new data\)\.", "新的运行（新数据）。"),
    (r"\bnew run\.", "新的运行。"),
    (r"\(ready in ([\d.]+) s\)", r"（\1 秒就绪）"),
    (r"reading the data and building the model… (\d+) s", r"正在读取数据并构建模型… \1 秒"),
    (r"⏳ waiting for a free training slot: other visitors are training \(the queue's place shows here\); "
     r"it starts by itself\.", "⏳ 正在等待空闲的训练槽位：其他访客正在训练（排队位置显示在这里）；轮到时会自动开始。"),
    (r"\*\*What to watch:\*\* (.+)", lambda m: "**看点：** " + _zh(m.group(1))),
    (r"🔗 \[Link to this lesson\]", "🔗 [打开本课的链接]"),
    # errors (playground/forms.py, panel.py)
    (r"^(.+?) must be a number from (\S+) to (\S+); got (.+)\.$", lambda m: f"{_field(m)}必须是 {m.group(2)} 到 "
     f"{m.group(3)} 之间的数；收到的是 {m.group(4)}。"),
    (r"^(.+?) must be one of (.+); got (.+)\.$", lambda m: f"{_field(m)}必须是以下之一：{m.group(2)}；收到的是 {m.group(3)}。"),
    (r"^(.+?) must be true or false; got (.+)\.$", lambda m: f"{_field(m)}必须是 true 或 false；收到的是 {m.group(2)}。"),
    (r"^Please give a value for (.+)\.$", lambda m: f"请为{_field(m)}填写一个值。"),
    (r"Train a model first: press ▶ Train\.", "请先训练模型：按 ▶ 训练。"),
    (r"Nothing to export yet: train a model first\.", "还没有可导出的内容：请先训练模型。"),
    (r"Train a model first: there is no run to pin\.", "请先训练模型：还没有可以固定的运行。"),
    (r"Choose a \.zip exported from this playground\.", "请选择从本演练场导出的 .zip 文件。"),
    (r"Steps per Train press must be a whole number; got (.+)\.", r"每次按“训练”的步数必须是整数；收到的是 \1。"),
    (r"Steps per Train press must be between 1 and 100,000; got (.+)\.", r"每次按“训练”的步数必须在 1 到 100,000 之间；收到的是 \1。"),
]]


from .i18n_zh_examples import RULES as _EXAMPLES  # noqa: E402
RULES += [(re.compile(p), r) for p, r in _EXAMPLES]      # trained examples, links with settings


def chinese(text: str) -> str:
    """``text`` in Chinese as far as the tables and :data:`RULES` know it (the rest stays as it is)."""
    whole = i18n.chinese(text)
    if whole is not None:
        return whole
    for pattern, repl in RULES:
        text = pattern.sub(repl, text)
    return text


def language(request: Any) -> str:
    """"zh" or "en" for a request: the page's ``pg-lang`` cookie, else its Accept-Language."""
    if isinstance(request, list):
        request = request[0] if request else None
    headers = getattr(request, "headers", None) or {}
    cookie = headers.get("cookie", "") or ""
    m = re.search(r"(?:^|;\s*)pg-lang=([\w-]+)", cookie)
    lang = m.group(1) if m else (headers.get("accept-language", "") or "").split(",")[0].strip()
    lang = lang.lower()
    return "zh" if lang.startswith("zh") and not re.search(r"tw|hk|mo|hant", lang) else "en"


def _translate_output(value: Any) -> Any:
    if isinstance(value, str):
        return chinese(value)
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        return {**value, "value": chinese(value["value"])}
    return value


def install(blocks: gr.Blocks) -> None:
    """Translate every event's Markdown outputs and errors for a visitor whose page is in Chinese."""
    process_api = blocks.process_api

    async def translated(*args: Any, **kwargs: Any) -> dict[str, Any]:
        if language(kwargs.get("request")) != "zh":
            return await process_api(*args, **kwargs)
        try:
            out = await process_api(*args, **kwargs)
        except gr.Error as e:
            e.message = chinese(str(e.message))
            raise
        fn = kwargs.get("block_fn", args[0] if args else None)
        fn = blocks.fns[fn] if isinstance(fn, int) else fn
        outputs = getattr(fn, "outputs", None) or []
        data = out.get("data") if isinstance(out, dict) else None
        if isinstance(data, list):
            for i, comp in enumerate(outputs[: len(data)]):
                if isinstance(comp, gr.Markdown):
                    data[i] = _translate_output(data[i])
        return out
    blocks.process_api = translated        # type: ignore[method-assign]
