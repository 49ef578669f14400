"""The "Sample quality" section of the image tabs, driven through the running app (gradio_client)."""
from __future__ import annotations

import re

import pytest
from gradio_client.exceptions import AppError

from conftest import plain, plot_json, submit_train

SETTINGS = dict(latent_dim=8, hidden=128, seed=0)


def _fid(table: str) -> float:
    row = [line for line in table.splitlines() if line.startswith("| ") and "FID" not in line][0]
    return float(row.split("|")[1].replace(",", ""))


def test_scores_on_demand_after_training(client):
    with pytest.raises(AppError, match="Train a model first"):
        client.predict(samples=100, api_name="/vae_quality")
    submit_train(client, "vae", SETTINGS, data="digits", steps=5).result(timeout=240)
    early_table, curves, pca = plain(client.predict(samples=300, api_name="/vae_quality"))
    assert "FID" in early_table and "held-out accuracy on digits" in early_table
    acc = float(re.search(r"\*\*([\d.]+)%\*\*", early_table).group(1))
    assert acc >= 93.0                                         # the classifier's features can be trusted
    submit_train(client, "vae", SETTINGS, data="digits", steps=400).result(timeout=300)
    table, curves, pca = plain(client.predict(samples=300, api_name="/vae_quality"))
    assert _fid(table) < _fid(early_table)                   # 400 more steps: the samples got closer to the data
    fig = plot_json(curves)
    fid_vs_step = [t for t in fig["data"] if t["name"] == "FID" and t["xaxis"] == "x"][0]
    assert fid_vs_step["x"] == [5, 405]                       # one point per scoring, at its step
    assert {t["name"] for t in fig["data"]} >= {"FID", "precision", "recall"}
    names = {t["name"] for t in plot_json(pca)["data"]}
    assert names == {"real (test set)", "generated"}
    with pytest.raises(AppError, match="Samples to score must be"):
        client.predict(samples=10, api_name="/vae_quality")
