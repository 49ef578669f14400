"""The Compare tab through the running app: a race, its table, grids, curves and CSV; bad budgets; Stop."""
from __future__ import annotations

import csv
import pytest
from gradio_client.exceptions import AppError

from conftest import plain, plot_json, stream_until, value


def race(client, families, budget, kind="steps", data="digits"):
    return client.submit(data=data, families=families, budget_in=kind, budget=budget, api_name="/compare_race")


def _rows(table) -> list[list]:
    return (value(table) or {}).get("data") or []


def test_two_family_race_on_digits_ends_with_table_grids_and_curves(client):
    final = plain(race(client, ["VAE", "GAN"], 40).result(timeout=600))
    status, table, grids, curves, csv_path = final
    assert "Race over: 2 of 2" in status, status
    rows = _rows(table)
    headers = value(table)["headers"]
    assert [r[0] for r in rows] == ["VAE", "GAN"]
    got = {h: [r[i] for r in rows] for i, h in enumerate(headers)}
    assert got["steps"] == [40, 40]
    assert all(p > 1000 for p in got["parameters"])
    assert all(f > 0 for f in got["FID"]) and all(0 <= p <= 1 for p in got["precision"] + got["recall"])
    assert all(t > 0 for t in got["training time (s)"] + got["sampling time (s)"])
    assert len(grids) == 2 and "VAE: FID" in str(grids[0]) and "GAN: FID" in str(grids[1])
    fig = plot_json(curves)
    assert [t["name"] for t in fig["data"]] == ["VAE", "GAN"]
    assert all(len(t["x"]) == 4 for t in fig["data"])          # scored 4 times along each budget
    assert fig["data"][0]["y"][-1] == pytest.approx(got["FID"][0], rel=1e-3)
    with open(csv_path["path"] if isinstance(csv_path, dict) else csv_path, newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == headers and [l[0] for l in lines[1:]] == ["VAE", "GAN"]


@pytest.mark.parametrize("families, kind, budget, data, message", [
    (["VAE"], "steps", 0, "digits", "Budget per family must be a whole number of steps between 1 and"),
    (["VAE"], "steps", 2.5, "digits", "Budget per family must be a whole number"),
    (["VAE"], "seconds", 10_000, "digits", "Budget per family must be a number of seconds between 1 and 300"),
    ([], "steps", 10, "digits", "Families to race: tick at least one"),
    (["VAE"], "steps", 10, "moons", "Families to race: VAE does not train on 2D points"),
])
def test_bad_budget_or_choice_gets_a_message_naming_the_field(client, families, kind, budget, data, message):
    with pytest.raises(AppError, match=message):
        race(client, families, budget, kind, data).result(timeout=120)


def test_stop_ends_the_race_and_keeps_what_finished(client):
    job = race(client, ["VAE", "GAN"], 8, kind="seconds")
    # wait until the second family trains (the first has finished: they race one after another), then Stop
    stream_until(job, lambda o: "GAN" in value(o[0]) and "training" in value(o[0]), timeout=600)
    job.cancel()
    status, table, grids, curves, csv_path = plain(client.predict(api_name="/compare_show"))
    assert "1 family finished" in status, status
    assert [r[0] for r in _rows(table)] == ["VAE"]
    assert len(grids) == 1 and "VAE: FID" in str(grids[0])
    assert plot_json(curves)["data"][0]["name"] == "VAE" and len(plot_json(curves)["data"][0]["x"]) == 4
    with open(csv_path["path"] if isinstance(csv_path, dict) else csv_path, newline="") as f:
        assert [l[0] for l in csv.reader(f)][1:] == ["VAE"]
