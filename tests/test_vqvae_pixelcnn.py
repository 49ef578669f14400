"""The gated PixelCNN prior over VQ-VAE code maps (issue 12, item 6): causal by autograd, and it learns."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from trainers.loop import Run, train
from trainers.vqvae import Config
from trainers.vqvae_pixelcnn import GatedPixelCNN, PixelCNNPrior
from trainers.vqvae_prior import CodePrior, PriorConfig, code_sequences


def _dependence(net: GatedPixelCNN, K: int, H: int, W: int, cond: torch.Tensor | None = None) -> torch.Tensor:
    """(H, W, H, W): whether the logits at (i, j) have a nonzero gradient w.r.t. the input at (a, b)."""
    torch.manual_seed(1)
    x = F.one_hot(torch.randint(0, K, (1, H, W)), K).permute(0, 3, 1, 2).float().requires_grad_()
    out = net(x, cond)                                                   # (1, K, H, W)
    dep = torch.zeros(H, W, H, W, dtype=torch.bool)
    for i in range(H):
        for j in range(W):
            g, = torch.autograd.grad(out[0, :, i, j].sum(), x, retain_graph=True)
            dep[i, j] = g[0].abs().sum(0) > 0
    return dep


@pytest.mark.parametrize("depth, cond", [(1, False), (3, False), (6, False), (6, True)])
def test_the_mask_is_causal_at_every_position(depth, cond):
    torch.manual_seed(0)
    K, H, W = 5, 5, 6
    net = GatedPixelCNN(K, 16, depth=depth, cond_ch=3 if cond else 0)
    with torch.no_grad():                      # no zero weight may hide a leak: perturb every parameter
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    c = torch.randn(1, 3, H, W) if cond else None
    dep = _dependence(net, K, H, W, c)
    raster = torch.arange(H * W).view(H, W)
    for i in range(H):
        for j in range(W):
            later = raster >= raster[i, j]                                # at and after (i, j), itself included
            assert not dep[i, j][later].any(), f"({i}, {j}) sees {dep[i, j][later].nonzero().tolist()}"
            if (i, j) != (0, 0):
                assert dep[i, j].any(), f"({i}, {j}) sees nothing"
            if j > 0:
                assert dep[i, j, i, j - 1], f"({i}, {j}) does not see its left neighbour"
            if i > 0:
                assert dep[i, j, i - 1, j], f"({i}, {j}) does not see the cell above"
                if j + 1 < W:     # the blind spot of a single masked stack: the gated two-stack design sees it
                    assert dep[i, j, i - 1, j + 1], f"({i}, {j}) does not see the cell above-right"
    if depth == 6:    # deep enough for this map: every earlier cell is in the receptive field, no blind spot
        for i in range(H):
            for j in range(W):
                earlier = raster < raster[i, j]
                assert dep[i, j][earlier].all(), f"({i}, {j}) misses {(earlier & ~dep[i, j]).nonzero().tolist()}"


def test_the_condition_reaches_every_cell():
    torch.manual_seed(0)
    net = GatedPixelCNN(4, 8, depth=2, cond_ch=3)
    c = torch.randn(2, 3, 3, 3, requires_grad=True)
    out = net(torch.zeros(2, 4, 3, 3), c)
    g, = torch.autograd.grad(out[0].sum(), c)
    assert (g[0].abs().sum(0) > 0).all() and g[1].abs().sum() == 0      # its own image's map, every cell


@pytest.fixture(scope="module")
def trained(digits):
    run = Run("vqvae", Config(num_codes=32, width=16, seed=1), digits, "cpu")
    list(train(run, steps=4 * run.steps_per_epoch + 2))
    return run


def test_pixelcnn_prior_learns_code_maps_and_samples_images(trained, digits):
    torch.manual_seed(0)
    seqs = code_sequences(trained.model, digits.x)
    prior = PixelCNNPrior(PriorConfig(batch_size=64, width=32), trained.model)
    assert isinstance(prior, CodePrior) and prior.T == 16
    losses = [loss for _, loss in prior.fit(seqs, steps=60)]
    assert losses[0] == pytest.approx(math.log(32), abs=0.5)               # starts near uniform over K
    assert sum(losses[-10:]) / 10 < losses[0] - 0.7
    with torch.no_grad():
        nll = prior.nll(seqs[:500]).item()
        # nll is the mean of −log p(k_t | k_<t) over cells: the same from the per-cell logits by hand
        logits = prior.level_logits("bottom", prior.split(seqs[:500]))        # (500, K, 4, 4)
        by_hand = -torch.distributions.Categorical(logits=logits.permute(0, 2, 3, 1)).log_prob(
            prior.split(seqs[:500])["bottom"]).mean().item()
    assert nll == pytest.approx(by_hand, rel=1e-5)
    p = torch.bincount(seqs.flatten(), minlength=32).float()
    assert nll < torch.distributions.Categorical(probs=p / p.sum()).entropy().item()   # beats the unigram
    torch.manual_seed(5)
    imgs = prior.sample_images(trained.model, 6, temperature=0.8)
    torch.manual_seed(5)
    drawn = prior.split(prior.sample_seq(6, 0.8))
    assert imgs.shape == (6, 1, 8, 8) and drawn["bottom"].shape == (6, 4, 4)
    torch.testing.assert_close(imgs, trained.model.decode_codes(drawn), rtol=0, atol=0)
    assert len({tuple(c.flatten().tolist()) for c in drawn["bottom"]}) > 1
    with pytest.raises(ValueError, match="temperature"):
        prior.sample_seq(2, 0.0)


def test_sampling_draws_each_cell_from_its_conditional(trained):
    """Cell by cell: the first cell's draws follow softmax(logits) of the empty map (chi-square)."""
    prior = PixelCNNPrior(PriorConfig(width=16), trained.model)
    with torch.no_grad():
        for p in prior.parameters():
            p.add_(0.3 * torch.randn_like(p))
        probs = F.softmax(prior.level_logits("bottom", {"bottom": torch.zeros(1, 4, 4, dtype=torch.long)})[0, :, 0, 0], 0)
    g = torch.Generator().manual_seed(0)
    first = prior.sample_seq(4000, 1.0, generator=g)[:, 0]
    counts = torch.bincount(first, minlength=32).float()
    keep = probs * 4000 >= 5
    chi2 = float(((counts[keep] - 4000 * probs[keep]) ** 2 / (4000 * probs[keep])).sum())
    assert chi2 < 2 * int(keep.sum()) + 20, chi2


def test_two_levels_the_bottom_prior_is_conditioned_on_the_top(digits):
    run = Run("vqvae", Config(two_level=True, num_codes=16, width=16, seed=0), digits, "cpu")
    list(train(run, steps=3))
    prior = PixelCNNPrior(PriorConfig(width=16), run.model)
    assert prior.levels == ["top", "bottom"] and prior.T == 4 + 16
    assert prior.nets["top"].layers[0].cond is None and prior.nets["bottom"].layers[0].cond is not None
    seqs = code_sequences(run.model, digits.x[:64])
    maps = prior.split(seqs)
    a = prior.level_logits("bottom", maps)
    other = dict(maps, top=(maps["top"] + 1) % 16)
    assert (prior.level_logits("bottom", other) - a).abs().max() > 1e-6       # the top map changes the bottom
    with torch.no_grad():
        assert float(prior.nll(seqs)) == pytest.approx(math.log(16), abs=0.6)
    imgs = prior.sample_images(run.model, 3)
    assert imgs.shape == (3, 1, 8, 8)


def test_preset_transformer_vs_pixelcnn_note_comes_true(digits):
    """The VQ-VAE tab's preset, as the page runs it: 300 VQ-VAE steps, then each prior 200 steps on the code
    maps of the training images (seeded as the tab seeds them); the note's numbers, within a tolerance."""
    from playground.tabs.vqvae import N_PRIOR_IMAGES, PRESET_CONTROLS, PRESETS
    from trainers.base import global_rng
    name = "Prior: transformer vs gated PixelCNN"
    ds, overrides, note = PRESETS[name]
    steps, prior_steps, _ = PRESET_CONTROLS[name]
    assert ds == "digits" and (steps, prior_steps) == (300, 200) and "1.85" in note and "1.98" in note
    run = Run("vqvae", Config(**overrides), digits, "cpu")
    list(train(run, steps=steps))
    seqs = code_sequences(run.model, digits.x[:N_PRIOR_IMAGES])
    last = {}
    for cls in (CodePrior, PixelCNNPrior):
        cfg = PriorConfig(steps=prior_steps)
        with global_rng(cfg.seed):
            prior = cls(cfg, run.model)
        losses = [loss for _, loss in prior.fit(seqs, steps=cfg.steps)]
        last[cls.kind] = sum(losses[-10:]) / 10
    p = torch.bincount(seqs.flatten(), minlength=32).float()
    unigram = torch.distributions.Categorical(probs=p / p.sum()).entropy().item()
    assert unigram == pytest.approx(3.04, abs=0.1) and math.log(32) == pytest.approx(3.47, abs=0.01)
    assert last["transformer"] == pytest.approx(1.85, abs=0.12), last
    assert last["gated PixelCNN"] == pytest.approx(1.98, abs=0.12), last
    assert last["transformer"] < last["gated PixelCNN"] < unigram - 0.8, last
