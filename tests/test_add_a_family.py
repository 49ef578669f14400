"""CONTRIBUTING.md's promise, kept: a new family is a Config, a Model with a loss, a tab with its views,
and one line in each registry. This file is that family (a linear autoencoder), registered by the test,
trained through the real generic panel of the real app via gradio_client, exported, and imported."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pytest
import torch
from torch import Tensor, nn

import playground
import trainers
from trainers.base import Batch, ConfigBase, GenerativeModel, param
from trainers.loop import Run

from conftest import step_of, value


# ----------------------------------------------------------------------------- the family (trainers side)
@dataclass
class Config(ConfigBase):
    code: int = param(4, "Size of the code.", lo=1, hi=32, step=1)
    noise: float = param(0.0, "Std of the noise added to the input (drawn from the run's generator).",
                         lo=0.0, hi=1.0, step=0.05)
    lr: float = param(1e-2, "Learning rate.", lo=1e-5, hi=1.0, log=True, live=True)
    batch_size: int = param(64, "Images per step.", lo=1, hi=512, step=1, advanced=True)
    seed: int = param(0, "Random seed.", lo=0, hi=1000, step=1)


class Model(GenerativeModel):
    family = "toy"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        d = int(torch.tensor(data_shape).prod())
        self.enc, self.dec = nn.Linear(d, cfg.code), nn.Linear(cfg.code, d)

    def reconstruct(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.dec(self.enc(x.flatten(1)))).view_as(x)

    def loss(self, batch: Batch) -> dict[str, Tensor]:
        x = batch.x
        x_in = x + self.cfg.noise * self.randn(like=x)
        recon = (torch.sigmoid(self.dec(self.enc(x_in.flatten(1)))).view_as(x) - x).pow(2).flatten(1).sum(1).mean()
        return {"loss": recon, "recon": recon.detach()}


# ----------------------------------------------------------------------------- the family (page side)
TITLE = "Toy"


@dataclass
class View:
    shown: int = 8


def render(run: Run, view: View) -> dict[str, Any]:
    from playground import figures
    with run.evaluating() as m:
        x = run.data.x_test[:view.shown]
        return {"recon": figures.grid(torch.cat([x, m.reconstruct(x)]), nrow=view.shown)}


def build():
    from playground.panel import Panel
    panel = Panel("toy", Config, datasets=["digits"], equation="$$\\|x - f(g(x))\\|^2$$",
                  curve_groups=[["recon"]], view_state=View, default_steps=20)
    with panel.layout():
        recon = gr.Image(label="inputs · reconstructions", format="png")
    panel.wire({"recon": recon}, render)
    return panel


# ----------------------------------------------------------------------------- the test
@pytest.fixture()
def toy_app(monkeypatch):
    monkeypatch.setitem(trainers.FAMILIES, "toy", __name__)         # registry line 1
    monkeypatch.setattr(playground, "TABS", [*playground.TABS, __name__])   # registry line 2
    demo = playground.build_app(delete_cache=None)
    demo.queue()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_a_family_defined_here_trains_exports_and_imports_through_the_generic_panel(toy_app):
    from gradio_client import Client, handle_file
    client = Client(toy_app, verbose=False)
    params = [p["parameter_name"] for p in client.view_api(return_format="dict")
              ["named_endpoints"]["/toy_train"]["parameters"]]
    assert params == ["data", "steps", "code", "noise", "lr", "batch_size", "seed", "upload"]
    status, curves, recon = client.predict(data="digits", steps=30, code=6, noise=0.1, lr=0.01, batch_size=32,
                                           seed=3, api_name="/toy_train")
    assert step_of(status) == 30 and "done" in value(status)
    assert recon and curves
    again = client.predict(data="digits", steps=10, code=6, noise=0.1, lr=0.005, batch_size=32, seed=3,
                           api_name="/toy_train")
    assert step_of(again[0]) == 40                                  # a live setting continues the run
    exported = client.predict(api_name="/toy_export")
    fresh = Client(toy_app, verbose=False)
    imported = fresh.predict(data="digits", upload=None, path=handle_file(exported), api_name="/toy_import")
    assert "imported a run at step 40" in value(imported[0])
    data, *settings = [value(v) for v in imported[3:]]             # the form now shows the run's data and settings ...
    assert data == "digits" and settings == [6, 0.1, 0.005, 32, 3]
    cont = fresh.predict(data=data, steps=5, **dict(zip(["code", "noise", "lr", "batch_size", "seed"], settings)),
                         api_name="/toy_train")
    assert step_of(cont[0]) == 45              # ... so Train continues the imported run
    with pytest.raises(Exception, match="to 32; got"):
        client.predict(data="digits", steps=5, code=99, noise=0.0, lr=0.01, batch_size=32, seed=0,
                       api_name="/toy_train")
