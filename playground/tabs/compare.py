"""The Compare tab: race several families on the same data, each for the same budget, and score them alike.

The models train one after another inside one training slot (like a Train press: it queues when the slots are
busy), each streaming its status; each is scored (FID, KID, precision, recall, IS: trainers/quality.py) a few
times along its budget, and the page ends with a table, their samples side by side and FID against training
time. ■ Stop ends the race and keeps what finished. API: ``/compare_race(data, families, budget_in, budget)``
streams [status, table, samples, curves, csv]; ``/compare_show()`` returns what the last race kept.
"""
from __future__ import annotations

import os
import time
from typing import Any

import gradio as gr

from trainers import family
from trainers import quality as Q
from trainers.base import global_rng
from trainers.data import IMAGE_DATASETS, POINT_DATASETS, DataError, load
from trainers.loop import Run, train

from .. import exports, quality, session, zerogpu
from ..liveplot import LivePlot
from ..panel import as_update
from . import compare_race as R

TITLE = "Compare"
DATASETS = [d for d in IMAGE_DATASETS if d != "fashion-mnist"] + list(POINT_DATASETS)
INTRO = (f"**Which family wins on this data, and why?** Tick the families, give each the same budget and press "
         f"**🏁 Race**: they train one after another with their tabs' default settings, and each is scored "
         f"{R.CHECKPOINTS} times along the way on {R.N_SAMPLES} samples. " + quality.WHY)


def build() -> None:
    state = gr.State(None, time_to_live=session.STATE_TTL)
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            with gr.Row():
                race_btn = gr.Button("🏁 Race", variant="primary", elem_classes=["pg-train"])
                stop_btn = gr.Button("■ Stop", variant="stop")
            status = gr.Markdown("Pick the data and the families, then press **🏁 Race**.", elem_classes=["pg-status"])
            data = gr.Dropdown(DATASETS, value="digits", label="Data")
            fams = gr.CheckboxGroup(R.available(), value=["VAE", "GAN"], label="Families to race")
            kind = gr.Radio(["seconds", "steps"], value="seconds", label="Budget in")
            budget = gr.Number(20, label="Budget per family", info=f"Seconds (1–{R.MAX_SECONDS}) or steps "
                               f"(1–{R.MAX_STEPS:,}) of training for each family.")
        with gr.Column(scale=3):
            table = gr.Dataframe(headers=R.COLUMNS, label="Results (FID, KID ↓ better; precision, recall, IS ↑)",
                                 interactive=False, wrap=False)   # headers whole, not a letter a line
            grids = gr.Gallery(label="Samples, one family each", columns=4, height=260, object_fit="contain")
            plot = LivePlot(label="FID against training time")
            csv_file = gr.File(label="The table as CSV", interactive=False)
    outs = [status, table, grids, plot, csv_file]
    ev = race_btn.click(race, [state, data, fams, kind, budget], [state, *outs], api_name="compare_race",
                        concurrency_limit=session.TRAIN_SLOTS, concurrency_id="train",
                        show_progress="full", show_progress_on=[status])
    stop_btn.click(_halt, state, None, cancels=[ev], api_visibility="private", queue=False).then(
        show, state, outs, api_visibility="private")
    gr.Button("Show the last race", visible=False).click(show, state, outs, api_name="compare_show")


def show(race: R.Race | None) -> list[Any]:
    """What the last race kept (after Stop: the families that finished), and its CSV."""
    if race is None:
        return ["No race yet: press **🏁 Race**.", as_update(None), as_update([]), as_update(None), as_update(None)]
    done = f"{len(race.rows)} famil{'y' if len(race.rows) == 1 else 'ies'} finished"
    csv = exports.write_text("compare.csv", race.csv()) if race.rows else None
    return [f"{done} on {race.data_name}.", as_update(race.table()), as_update(list(race.grids)),
            as_update(R.curves(race)), as_update(csv)]


def _halt(race: R.Race | None) -> None:
    if race is not None:
        race.press = None                    # the race ends at its next step, even between yields


def race(prev: R.Race | None, data: str, families: list[str] | None, budget_in: str, budget: Any):
    """The race, as a generator (Stop acts at its yields): [state, status, table, grids, plot, csv]. The API
    names its inputs after this function's parameters: data, families, budget_in, budget."""
    data_name, labels, budget_kind = data, families, budget_in
    none = [as_update(None), as_update([]), as_update(None), as_update(None)]
    try:
        if data_name not in DATASETS:
            raise ValueError(f"Data must be one of {', '.join(DATASETS)}; got {data_name!r}.")
        data = load(data_name)
        labels, amount = R.check(data, labels, budget_kind, budget)
    except (ValueError, DataError) as e:
        yield [prev, f"⚠️ {e}", *none]
        raise gr.Error(str(e)) from None
    rc = R.Race(data_name=data_name)
    rc.press = token = object()
    live = lambda: rc.press is token                                   # noqa: E731
    yield [rc, f"preparing the scorer for {data_name}…", *none]
    box: dict[str, Any] = {}
    for waited in session.in_worker(lambda: box.update(sc=Q.scorer(data))):
        yield [rc, f"preparing the scorer for {data_name} (its classifier trains once)… {waited:.0f} s", *none]
    sc = box["sc"]
    acc = "" if sc.test_accuracy is None else f" · classifier {100 * sc.test_accuracy:.1f}% on held-out {data_name}"
    for i, label in enumerate(labels):
        fam, overrides, _, sample_kw = R.ENTRIES[label]
        head = f"**{label}** ({i + 1} of {len(labels)}){acc}"
        try:
            cfg = family(fam).Config(**overrides)
            session.check_budget(fam, cfg, data)
            run = Run(fam, cfg, data, device=zerogpu.host_device())
        except (ValueError, DataError) as e:
            yield [rc, f"⚠️ {label}: {e}", *_views_out(rc)]
            continue
        rc.curves[label] = []
        scores = None
        for c in range(R.CHECKPOINTS):
            chunk = dict(steps=max(1, round(amount * (c + 1) / R.CHECKPOINTS) - run.step)) \
                if budget_kind == "steps" else dict(seconds=amount / R.CHECKPOINTS)
            tick = 0.0
            for _ in train(run, cancel=lambda: not live(), **chunk):
                if time.perf_counter() - tick > session.TICK:
                    tick = time.perf_counter()
                    yield [rc, f"{head}: training… step {run.step:,} · {run.train_seconds:.1f} s", *SKIP]
            if not live():
                return
            box.clear()
            for _ in session.in_worker(lambda: box.update(out=quality.sample_and_score(run, R.N_SAMPLES, **sample_kw))):
                yield [rc, f"{head}: scoring {R.N_SAMPLES} samples at step {run.step:,}…", *SKIP]
            _, scores, sample_s, _ = box["out"]
            rc.curves[label].append((run.train_seconds, run.step, scores.fid))
            yield [rc, f"{head}: FID {scores.fid:.2f} at step {run.step:,}", gr.update(), gr.update(),
                   as_update(R.curves(rc)), gr.update()]
        with run.evaluating() as m, global_rng(1):
            pic = R.picture(m.sample(16, **sample_kw), data)
        rc.rows.append(R.row(label, run, scores, sample_s))
        rc.grids.append((pic, f"{label}: FID {scores.fid:.2f}"))
        run.model = None                                              # free it: only its numbers stay
        yield [rc, f"{head}: done, FID {scores.fid:.2f}.", *_views_out(rc)]
    csv = exports.write_text("compare.csv", rc.csv()) if rc.rows else None
    yield [rc, f"Race over: {len(rc.rows)} of {len(labels)} families on {data_name}. Lowest FID: "
               f"**{min(rc.rows, key=lambda r: r['FID'])['family'] if rc.rows else '—'}**.",
           *_views_out(rc)[:3], as_update(csv)]


SKIP = [gr.update()] * 4        # a status-only yield: the views stay (an update, never a plain value: see as_update)


def _views_out(rc: R.Race) -> list[Any]:
    return [as_update(rc.table()), as_update(list(rc.grids)), as_update(R.curves(rc)), as_update(None)]
