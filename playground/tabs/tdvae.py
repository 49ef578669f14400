"""The TD-VAE tab: train on generated sequences, then roll out several possible futures (jumpy prediction)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from trainers import tdvae_data
from trainers.base import global_rng
from trainers.data import Dataset
from trainers.loop import Run
from trainers.tdvae import Config

from .. import display, figures, ranges
from ..panel import LivePlot, Panel

TITLE = "TD-VAE"
DATASETS = list(tdvae_data.SEQUENCE_DATASETS)[::-1]          # sine waves first: it learns in seconds
TRUTH, SEEN, FUTURE = "#ea580c", "#1e3a8a", "#9333ea"      # orange truth ahead, blue seen, purple futures

EQUATION = r"""
### What it trains (eq. 14: the TD-VAE loss on a pair $t_1<t_2$, Gregor et al. 2019)
Pick $t_1<t_2$ with the jump $t_2-t_1$ in your range; draw $z_{t_2}\sim p_B(\cdot\mid b_{t_2})$, then
$z_{t_1}\sim p_S(\cdot\mid z_{t_2},b_{t_1},b_{t_2})$, and maximise
$$J=\mathbb{E}\big[\log p_D(x_{t_2}\mid z_{t_2})+\log p_B(z_{t_1}\mid b_{t_1})+\log p_T(z_{t_2}\mid z_{t_1})
-\log p_B(z_{t_2}\mid b_{t_2})-\log p_S(z_{t_1}\mid z_{t_2},b_{t_1},b_{t_2})\big]$$
$b_t=\mathrm{LSTM}(x_1,\dots,x_t)$ is the **belief**; the loss is $-J$. The curves show each term as it enters
the loss: decoder $-\log p_D$, belief at $t_1$ $-\log p_B$, transition $-\log p_T$, belief at $t_2$ $+\log p_B$,
smoothing $+\log p_S$; the last four together are the KL part.
**Jumpy prediction:** from the belief at $t$, draw $z_t\sim p_B$ and jump $z\to z'\sim p_T(z'\mid z)$ again and
again, decoding each $z'$: several possible futures, never looking at frames after $t$.
"""

PRETTY = {"decoder_nll": "−log p_D (decoder)", "belief_t1": "−log p_B(z_t1|b_t1)",
          "transition": "−log p_T(z_t2|z_t1)", "belief_t2": "+log p_B(z_t2|b_t2)",
          "smoothing": "+log p_S(z_t1|z_t2,b_t1,b_t2)", "total": "total −J"}
for _k, _v in PRETTY.items():
    figures.PRETTY.setdefault(_k, _v)     # additive: names for the curve legends

PRESETS = {   # notes measured on seeded runs at the tab's 3000 steps (tests/test_app_tdvae.py checks them)
    "Sine waves: jumpy prediction": (
        "sine waves", dict(length=32, jump_min=1, jump_max=4),
        "the belief must work out each wave's phase and frequency from noisy values. After a few hundred steps "
        "the purple futures follow the orange truth for the first steps, then fan out: by step 300 the average "
        "future's next value is ≈ 4× closer (squared error) to the truth than repeating the last value (≈ 6× "
        "by step 3000), and over all 16 steps its error is about half of repeating's (the numbers above the "
        "plot). With jump 4 the model predicts 4 steps at once: its first point is ≈ 10× closer than repeating "
        "(≈ 16× by step 3000)."
        " ⏱ A whole press (3,000 steps) takes about 2½ minutes of one CPU core (bench/presets.py); "
        "step 300 comes after about 15 seconds."),
    "Bouncing ball": (
        "bouncing ball", dict(length=20, jump_min=1, jump_max=3),
        "first the decoder learns an average blob: around steps 50–100 the KL is near 0 and every future is "
        "the same blob in the middle. Then the belief learns where the ball is: by step ~400 the KL has climbed "
        "to ≈ 4.8 nats and the decoder term fallen from ≈ 54 to ≈ 10, and the futures start to move and spread. "
        "By step 3000 the average future's centre is about a quarter closer to the true ball than staying put "
        "(0.7 vs 1.0 px one frame ahead, 2.5 vs 3.6 px four ahead), and the futures fan out the farther they "
        "look (≈ 0.8 px apart one frame ahead, ≈ 3 px ten frames ahead)."
        " ⏱ A whole press (3,000 steps) takes about 2 minutes of one CPU core (bench/presets.py); "
        "step 400 comes after about 20 seconds."),
    "Moving digit": (
        "moving digit", dict(length=20, jump_min=1, jump_max=3, z_dim=16),
        "the latent state would have to hold the digit's identity as well as its position and velocity: watch "
        "what it keeps. As with the ball, the futures first sit still as one blob (KL near 0 around step 100), "
        "then move: by step 1000 they head the way the digit goes (their centre ≈ 0.9 px off one frame ahead, "
        "against 1.3 px for staying put). But what moves is a grey, digit-sized blob, the same for every digit: "
        "in 3000 steps this small model learns where the digit is and where it is going, not which digit it is."),
    "One transition for every jump": (
        "sine waves", dict(length=32, jump_min=1, jump_max=6, condition_on_jump=False),
        "p_T does not know the jump size, so it learns a blend of jumps 1 to 6: a rollout with jump 1 "
        "overshoots. Its first point misses the truth by ≈ 0.5 (squared error; repeating the last value misses "
        "by 0.2), where the same model with 'condition on jump size' ticked misses by ≈ 0.15 at step 300 and "
        "≈ 0.06 at step 3000; the futures also spread wider (std ≈ 0.70 vs 0.63 with jump 1, 0.67 vs 0.50 "
        "with jump 6)."),
}


def load_data(name: str, upload: str | None, cfg: Config | None) -> Dataset:
    """The sequence sets, generated at the length the settings ask for."""
    return tdvae_data.load(name, length=None if cfg is None else cfg.length)


# ----------------------------------------------------------------------------- settings of the view
@dataclass
class View:
    roll: dict[str, int] | None = None    # the rollout chosen last (None: defaults that fit the data)


def _settings(run: Run, view: View) -> dict[str, int]:
    """The rollout settings for this run: the last ones chosen, or defaults that fit its data."""
    T, cfg = run.data.x.shape[1], run.cfg
    s = view.roll
    if s is None:
        t = max(0, T // 2 - 1)
        jump = cfg.jump_min
        s = dict(seq=0, t=t, jump=jump, n=8, steps=max(1, min(16, (T - 1 - t) // jump)), draw=0)
    return s


def choose(run: Run, view: View, seq: float, t: float, jump: float, n: float, steps: float) -> dict[str, int]:
    """Validate a choice from the sliders (ValueError with a clear sentence) and keep it with the run."""
    vals = {}
    for name, v in dict(seq=seq, t=t, jump=jump, n=n, steps=steps).items():
        if v is None or not math.isfinite(float(v)) or float(v) != int(float(v)):
            raise ValueError(f"The {name} must be a whole number; got {v!r}.")
        vals[name] = int(float(v))
    n_test = run.data.x_test.shape[0]
    if not 0 <= vals["seq"] < n_test:
        raise ValueError(f"The test sequence # must be between 0 and {n_test - 1}; got {vals['seq']}.")
    run.model.check_rollout(run.data.x_test[vals["seq"]], vals["t"], vals["n"], vals["jump"], vals["steps"])
    vals["draw"] = _settings(run, view).get("draw", 0) + 1    # "roll out" again: new futures
    view.roll = vals
    return vals


# ----------------------------------------------------------------------------- render
def render(run: Run, view: View) -> dict[str, Any]:
    """The jumpy-prediction views: one rollout from the chosen test sequence and time."""
    s = _settings(run, view)
    x = run.data.x_test[s["seq"]]                                        # (T, D)
    T = x.shape[0]
    with run.evaluating() as m, global_rng(s["draw"]):                 # same futures until "roll out" again
        fut = m.rollout(x, s["t"], s["n"], s["jump"], s["steps"])        # (n, steps, D)
    times = s["t"] + s["jump"] * np.arange(1, s["steps"] + 1)
    inside = times < T
    mean = fut.mean(0)
    truth = x[torch.as_tensor(times[inside])]
    err = float(((mean[: int(inside.sum())] - truth) ** 2).mean()) if inside.any() else float("nan")
    rep = float(((x[s["t"]] - truth) ** 2).mean()) if inside.any() else float("nan")
    info = (f"**Test sequence #{s['seq']}**, belief at **t = {s['t']}**, {s['n']} futures × {s['steps']} jumps "
            f"of **{s['jump']}** (times {', '.join(str(int(v)) for v in times[:8])}{' …' if len(times) > 8 else ''}).  \n"
            f"Mean squared error of the average future: **{err:.4f}**, of repeating frame t: **{rep:.4f}**"
            + ("" if inside.all() else f" (only the {int(inside.sum())} times before {T} have a truth)."))
    if tdvae_data.is_image(run.data):
        info += ("  \n*First picture:* the test sequence, white = seen by the model (frames 0 … t), orange = still "
                 "to come. *Second:* top row = frame t, then the truth at t + jump, t + 2·jump, … (orange); "
                 "each row below = one possible future rolled out by the model (purple).")
        h, w = tdvae_data.frame_shape(run.data)
        strip = _strip(x, s["t"], h, w)
        grid = _futures_grid(x, fut, s["t"], times, h, w)
        hide = gr.update(visible=False)
        return {"info": info, "strip": gr.update(value=strip, visible=True),
                "futures": gr.update(value=grid, visible=True), "plot": hide}
    plot = _line_plot(x[:, 0].cpu().numpy(), fut[..., 0].cpu().numpy(), s["t"], times)
    hide = gr.update(visible=False)
    return {"info": info, "strip": hide, "futures": hide, "plot": gr.update(value=plot, visible=True)}


def _tint(frames: torch.Tensor, rgb: tuple[float, float, float]) -> torch.Tensor:
    """(N, H, W) grey -> (N, 3, H, W) coloured: future frames stand out from seen ones."""
    return frames[:, None] * torch.tensor(rgb, device=frames.device)[None, :, None, None]


def _strip(x: torch.Tensor, t: int, h: int, w: int) -> np.ndarray:
    """The whole test sequence: frames the model saw (≤ t) in white, the ones it must predict in orange."""
    frames = x.reshape(-1, h, w).clamp(0, 1)
    T = frames.shape[0]
    seen = torch.arange(T, device=x.device) <= t
    col = torch.where(seen[:, None, None, None], _tint(frames, (1, 1, 1)), _tint(frames, (1.0, 0.55, 0.1)))
    return figures.grid(col, nrow=T if T <= 16 else -(-T // 2), pad=2, pad_value=90, target=1000)


def _futures_grid(x: torch.Tensor, fut: torch.Tensor, t: int, times: np.ndarray, h: int, w: int) -> np.ndarray:
    """Row 1: the truth at t, t+jump, …; below it one row per rolled-out future (purple)."""
    T = x.shape[0]
    n, steps = fut.shape[:2]
    blank = torch.full((h, w), 0.15, device=x.device)
    truth = [x[t].reshape(h, w)] + [x[int(k)].reshape(h, w) if k < T else blank for k in times]
    rows = [_tint(torch.stack(truth[:1]), (1, 1, 1)), _tint(torch.stack(truth[1:]).clamp(0, 1), (1.0, 0.55, 0.1))]
    for i in range(n):
        rows.append(_tint(x[t].reshape(1, h, w), (1, 1, 1)))
        rows.append(_tint(fut[i].reshape(steps, h, w).clamp(0, 1), (0.8, 0.55, 1.0)))
    return figures.grid(torch.cat(rows), nrow=steps + 1, pad=2, pad_value=90, target=900)


def _line_plot(x: np.ndarray, fut: np.ndarray, t: int, times: np.ndarray) -> Any:
    """1D: the sequence (seen part solid), each future as a thin line, their mean ± 2 std as a band."""
    T = len(x)
    tt = np.concatenate([[t], times])
    start = np.full((fut.shape[0], 1), x[t])
    paths = np.concatenate([start, fut], 1)                              # (n, steps + 1)
    mean, sd = paths.mean(0), paths.std(0)
    data = [dict(type="scatter", x=np.arange(T), y=x, mode="lines", name="true sequence",
                 line=dict(color="#94a3b8", width=2, dash="dot")),
            dict(type="scatter", x=tt, y=mean + 2 * sd, mode="lines", line=dict(width=0), showlegend=False,
                 hoverinfo="skip"),
            dict(type="scatter", x=tt, y=mean - 2 * sd, mode="lines", line=dict(width=0), fill="tonexty",
                 fillcolor="rgba(147,51,234,0.18)", name="futures: mean ± 2 std")]
    for i, p in enumerate(paths):
        data.append(dict(type="scatter", x=tt, y=p, mode="lines", line=dict(color=FUTURE, width=1.2),
                         opacity=0.45, name="possible futures", showlegend=i == 0, legendgroup="fut"))
    data += [dict(type="scatter", x=tt, y=mean, mode="lines+markers", name="mean future",
                  line=dict(color=FUTURE, width=3), marker=dict(size=8)),
             dict(type="scatter", x=np.arange(t + 1), y=x[: t + 1], mode="lines+markers", name="seen by the model",
                  line=dict(color=SEEN, width=3), marker=dict(size=6))]
    ins = times < T
    if ins.any():
        data.append(dict(type="scatter", x=times[ins], y=x[times[ins]], mode="markers", name="truth ahead",
                         marker=dict(color=TRUTH, size=11, symbol="diamond")))
    shapes = [dict(type="line", x0=t, x1=t, yref="paper", y0=0, y1=1, line=dict(color=SEEN, dash="dash"))]
    return figures.fig(data, dict(height=430, hovermode="closest", shapes=shapes,
                                  title=dict(text=f"Futures rolled out from the belief at t = {t}", font=dict(size=17)),
                                  xaxis=dict(title=dict(text="time step")), yaxis=dict(title=dict(text="x_t")),
                                  legend=dict(orientation="h", y=-0.28)))


# ----------------------------------------------------------------------------- layout
def build() -> Panel:
    panel = Panel("tdvae", Config, datasets=DATASETS, equation=EQUATION, load_data=load_data,
                  upload_choice=None, presets=PRESETS, default_steps=3000, view_state=View,
                  curve_groups=[["total", "kl"], ["decoder_nll"],
                                ["belief_t1", "transition", "belief_t2", "smoothing"]],
                  curve_titles=["total −J (solid) · its KL part (dashed)", "decoder −log p_D(x_t2|z_t2)",
                                "latent terms: belief_t1 ─, transition ╌, belief_t2 ┈, smoothing ─·"])
    with panel.layout():
        gr.Markdown("### Jumpy prediction: several possible futures from the belief at time t")
        with gr.Row():
            seq = gr.Slider(0, 249, value=0, step=1, label="Test sequence # (of the test set)")
            t = gr.Slider(0, 63, value=9, step=1, label="Time t (the model sees frames 0 … t)")
            jump = gr.Slider(1, 63, value=1, step=1, label="Jump size (within the trained range)")
        with gr.Row():
            n = gr.Slider(1, 16, value=8, step=1, label="Number of futures")
            steps = gr.Slider(1, 16, value=8, step=1, label="Jumps per future")
            again = gr.Button("Roll out again", variant="secondary", scale=0, min_width=160)
        info = gr.Markdown("Press **Train**, then pick a sequence and a time.", elem_classes=["pg-status"])
        # no label overlays: they would hide the top row of frames (the legend is in the text above)
        with gr.Column(elem_classes=[display.KEY]):   # the key view (projector): the plot or the frames
            strip = gr.Image(label="The test sequence", show_label=False, interactive=False, format="png",
                             visible=False)
            grid = gr.Image(label="Truth and rolled-out futures", show_label=False, interactive=False,
                            format="png", visible=False)
            plot = LivePlot(label="Jumpy prediction", visible=True)
    panel.wire(dict(info=info, strip=strip, futures=grid, plot=plot), render)

    def roll(run: Run, view: View, seq: float, t: float, jump: float, n: float, steps: float) -> dict[str, Any]:
        choose(run, view, seq, t, jump, n, steps)     # named, so the API reads seq=, t=, jump=, n=, steps=
        return render(run, view)

    inputs = [seq, t, jump, n, steps]
    panel.on(again.click, roll, inputs, api_name="tdvae_rollout")
    for s in (seq, t, jump, n, steps):
        panel.on(s.release, roll, inputs)
    ranges.wire(panel, dict(seq=seq, t=t, jump=jump),
                lambda run: dict(seq=(0, run.data.x_test.shape[0] - 1), t=(0, run.data.x_test.shape[1] - 1),
                                 jump=(run.cfg.jump_min, run.cfg.jump_max)))
    return panel
