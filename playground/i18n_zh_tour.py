"""English → 简体中文: strings of the tour fixes (issue 15 item 9): the preset note once a setting leaves the preset
(playground/presetnote.py). Keys are the exact English the page shows; terms follow the class notes."""

ZH: dict[str, str] = {
    "✏️ *You changed a setting the preset had set, so its note no longer describes this run. "
    "Choose the preset again to restore its settings.*":
        "✏️ *你改动了预设设定的参数，所以它的说明已不再描述这次运行。再选一次该预设即可恢复它的设置。*",
}
