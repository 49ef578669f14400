"""Issue 16, hosted for a class: Stop and Reset end whatever trains for a visitor (a Train press or a side
training), side trainings wait for a training slot, a control's error touches only its own views, and one
seed gives one run whatever another visitor does at the same time."""
from __future__ import annotations

import time

import pytest

from conftest import step_of, stream_until, submit_train, value


def _wait_done(job, timeout: float) -> float:
    """Seconds until the job is over (polled with a deadline), or an assertion error."""
    t0 = time.time()
    while not job.done():
        if time.time() - t0 > timeout:
            raise AssertionError(f"the job still runs {timeout:.0f} s later; last: {str(job.outputs()[-1:])[:200]}")
        time.sleep(0.2)
    return time.time() - t0


def test_reset_ends_the_running_press_and_frees_its_slot(client):
    """Before: /vae_reset left the discarded run training to its step budget (≈ 10 min) inside a slot."""
    job = submit_train(client, "vae", data="digits", steps=100_000)
    stream_until(job, lambda o: step_of(o[0]) > 0 and "training" in value(o[0]), timeout=180)
    status = value(client.predict(api_name="/vae_reset")[0])
    assert status.startswith("Reset")
    _wait_done(job, 30)
    # the visitor has nothing left to export: the run is gone, not training somewhere
    with pytest.raises(Exception, match="Nothing to export"):
        client.predict(api_name="/vae_export")


def test_side_trainings_use_the_train_slots_and_reset_ends_them(client):
    import app
    deps = {fn.api_name: fn for fn in app.demo.fns.values() if fn.api_name}
    for name in ("ae_train", "ae_train_vae", "ae_compare_plain", "ae_anomaly"):
        assert deps[name].concurrency_id == "train", f"/{name} runs outside the training slots"
    submit_train(client, "ae", data="digits", steps=20).result(timeout=240)
    side = client.submit(20_000, api_name="/ae_train_vae")       # a VAE trained on the spot, 20,000 steps
    deadline = time.time() + 120
    while str(side.status().code) != "Status.PROCESSING" and time.time() < deadline:
        time.sleep(0.2)
    client.predict(api_name="/ae_reset")
    _wait_done(side, 30)
    holes, note = (value(v) for v in side.result())
    steps = int(note.split("VAE trained ")[1].split(" steps")[0].replace(",", ""))
    assert 0 <= steps < 20_000, note                               # it stopped there, at Reset


def test_a_bad_cell_touches_only_the_edit_views(client):
    """Before: an out-of-range cell emptied five unrelated VQ-VAE panels (their outputs were every view)."""
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert len(info["/vqvae_edit"]["returns"]) == 2            # the code map and the edited image, nothing else
    assert len(info["/vqvae_top_n"]["returns"]) == 2
    assert len(info["/vae_tsne"]["returns"]) == 2               # the projection choice and the scatter


def _weights(client, family: str) -> dict:
    """The run's weights, from its export (tensors: the file's header order is not byte-stable)."""
    import zipfile

    from safetensors.torch import load
    path = client.predict(api_name=f"/{family}_export")
    with zipfile.ZipFile(value(path)) as z:
        return load(z.read("model.safetensors"))


def test_one_seed_one_run_while_another_visitor_works(app_url):
    """Two visitors at once: one trains the VAE with seed 7 while the other trains, redraws views and
    builds models; then the seed is trained again alone. The weights are the same, bit for bit."""
    import torch
    from gradio_client import Client
    a, b = Client(app_url, verbose=False), Client(app_url, verbose=False)
    noise = submit_train(b, "gan", data="ring of 8", steps=1000)          # draws views while a trains
    first = submit_train(a, "vae", data="digits", steps=300, seed=7)
    for _ in range(3):                                                  # models built while a trains
        submit_train(b, "ae", data="digits", steps=5, seed=_ + 1).result(timeout=240)
    first.result(timeout=300)
    noise.cancel()
    h1 = _weights(a, "vae")
    c = Client(app_url, verbose=False)
    submit_train(c, "vae", data="digits", steps=300, seed=7).result(timeout=300)
    h2 = _weights(c, "vae")
    assert h1.keys() == h2.keys() and all(torch.equal(h1[k], h2[k]) for k in h1), "same seed, other weights"


@pytest.mark.parametrize("case", __import__("test_run_travels").CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_views_leave_the_global_rng_alone(case):
    """Every draw from torch's global RNG outside training holds the process-wide lock and puts the state
    back (trainers.base.global_rng): so a view redrawn for one visitor never changes the weights another
    visitor's seed builds. Rendering each tab's views twice leaves the global state exactly as it was."""
    import importlib

    import torch

    from test_run_travels import _run
    fam, dataset, settings = case
    run = _run(fam, dataset, settings)
    for _ in __import__("trainers.loop", fromlist=["train"]).train(run, steps=3):
        pass
    tab = importlib.import_module(f"playground.tabs.{fam}")
    view = tab.View()
    before = torch.get_rng_state()
    for _ in range(2):
        assert tab.render(run, view)
    assert torch.equal(torch.get_rng_state(), before), f"a {fam} view drew from the global RNG unlocked"


def test_a_closed_page_frees_its_runs_and_its_session():
    """Gradio 6.31 keeps a closed page's gr.State for an hour and its session until there are 10,000: a
    crowd's runs stayed in memory (bench/load.py: RSS 1.86× its start 60 s after 16 visitors left). The
    app's unload handler frees them as soon as the page goes."""
    from gradio_client import Client

    import playground
    from conftest import _free_port
    demo = playground.build_app()
    demo.queue()
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_port=port, server_name="127.0.0.1", ssr_mode=False, quiet=True)
    try:
        c = Client(f"http://127.0.0.1:{port}/", verbose=False)
        submit_train(c, "vae", data="digits", steps=20).result(timeout=180)
        sessions = list(demo.state_holder.session_data.values())
        held = [v for s in sessions for v in s.state_data.values() if getattr(v, "run", None) is not None]
        assert len(sessions) == 1 and len(held) == 1
        c.close()                                               # the page goes away
        deadline = time.time() + 90
        while demo.state_holder.session_data and time.time() < deadline:
            time.sleep(0.5)
        assert not demo.state_holder.session_data, "the closed page's session is still held"
        assert held[0].run is None, "its run was not freed"
    finally:
        demo.close()
