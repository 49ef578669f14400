"""English → 简体中文: sample quality while training (playground/quality_live.py, issue 14). Keys are the exact
English the page shows; terms follow the class notes and i18n_zh_tabs4.py (精确率、召回率、样本质量)."""

ZH: dict[str, str] = {
    'Score every N steps (0 = off)':
        '每 N 步打一次分（0 = 关闭）',
    "While training, every N steps: FID, KID, precision & recall of 250 samples, drawn in a second row under the loss curves and kept in the exported metrics.csv. Fewer samples than the button's, so training pauses less; FID reads higher on fewer samples.":
        '训练时每 N 步：用 250 个样本计算 FID、KID、精确率与召回率，画在损失曲线下方的第二行，并保存在导出的 metrics.csv 中。样本比按钮用的少，所以训练停顿更短；样本越少，FID 读数越高。',
}
