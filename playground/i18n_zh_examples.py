"""English → 简体中文: trained examples and the copy-link button (playground/examples.py). Keys are the exact
English the page shows; terms follow the class notes."""
from __future__ import annotations

from typing import Any

ZH: dict[str, str] = {
    "Start from a trained example":
        "从训练好的示例开始",
    "A run trained here beforehand: it loads at once, ready to explore or to train further.":
        "事先在这里训练好的运行：立即载入，可以直接探索，也可以继续训练。",
    "Link to this tab":
        "指向本标签页的链接",
    "🔗 Copy link":
        "🔗 复制链接",
    "a link to this tab and these settings":
        "指向本标签页及当前设置的链接",
}



def _loaded(m: Any) -> str:
    from .i18n import chinese          # the example's name is a preset's: the presets table has it
    return f"已载入训练好的示例“{chinese(m.group(1)) or m.group(1)}”（第 {m.group(2)} 步）：按 **▶ 训练** 继续训练。"


# sentences the server makes at run time (playground/i18n_runtime.py applies them in order)
RULES: list[tuple[str, Any]] = [
    (r"loaded the trained example “(.+?)” at step ([\d,]+): press \*\*▶ Train\*\* to go on\.", _loaded),
    (r"This link's settings were not applied: ", "此链接中的设置未被采用："),
    (r"🔗 \[Link to this trained example\]", "🔗 [打开这个训练好的示例的链接]"),
]
