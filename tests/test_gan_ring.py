"""GAN runs trained on the ring of 8: the objectives' paper settings and the presets' claims come true."""
from __future__ import annotations

import pytest
import torch

from playground.tabs.gan import PRESETS
from trainers import data
from trainers.gan import Config, paper_settings
from trainers.gan_metrics import dataset_coverage
from trainers.loop import Run, train


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # tiny models on a shared CPU: one thread avoids oversubscription stalls
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# ----------------------------------------------------------------------------- trained on the ring (item 2, 10)
WGAN_GP_STEPS = 2000      # ~26 ms a step on one thread: the ring is covered from ~1,750 steps


def _ring_run(overrides: dict, steps: int, every: int):
    """Train on the ring of 8: {step: coverage of 2,500 samples} every ``every`` steps, and the W curve."""
    run = Run("gan", Config(**overrides), data.load("ring of 8"), device="cpu")
    seen, w = {}, []
    for m in train(run, steps=steps):
        w.append(m.terms.get("wasserstein", float("nan")))
        if m.step % every == 0:
            torch.manual_seed(0)
            seen[m.step] = dataset_coverage(run.model, "ring of 8")
    return seen, w


@pytest.fixture(scope="module")
def wgan_gp_ring():
    return _ring_run(paper_settings("wgan-gp"), WGAN_GP_STEPS, 250)


def test_wgan_gp_with_its_papers_settings_covers_the_ring(wgan_gp_ring):
    seen, _ = wgan_gp_ring
    assert seen[WGAN_GP_STEPS].modes_covered >= 7, seen


def test_preset_wgan_gp_spreads_round_the_ring_then_covers_every_mode(wgan_gp_ring):
    ds, overrides, note = PRESETS["WGAN-GP covers the modes"]
    assert ds == "ring of 8" and Config(**overrides) == Config.for_objective("wgan-gp")    # the same run
    seen, w = wgan_gp_ring
    assert min(seen[500].per_mode) > 0                     # by step 500 every mode has samples: no collapse
    end = seen[WGAN_GP_STEPS]
    assert end.modes_covered == 8 and "all 8" in note, seen
    assert seen[250].high_quality < 5 and end.high_quality > 50 and "over half" in note, seen
    assert sum(w[:100]) > 3 * sum(w[-100:]) > 0            # the Wasserstein estimate falls


def test_preset_mode_collapse_hops_from_mode_to_mode_and_never_covers_the_ring():
    ds, overrides, note = PRESETS["mode collapse"]
    assert ds == "ring of 8" and "0–1 of 8" in note
    seen, _ = _ring_run(overrides, 1200, 100)
    assert all(c.modes_covered <= 1 for c in seen.values()), seen
    assert all(sum(n > 0 for n in c.per_mode) <= 2 for c in seen.values()), seen     # a clump, not a ring
    homes = {max(range(8), key=c.per_mode.__getitem__) for c in seen.values() if sum(c.per_mode) > 20}
    assert len(homes) >= 3, seen                           # it hops
