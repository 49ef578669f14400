"""English → 简体中文: projector mode and the presenter layout (playground/display.py). Keys are the exact
English the page shows; terms follow the class notes."""

ZH: dict[str, str] = {
    '📽 Projector':
        '📽 投影模式',
}
