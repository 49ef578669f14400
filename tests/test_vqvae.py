"""VQ-VAE: quantiser maths (eq. 11–13), codebook statistics, restarts, VQ-VAE-2, the code prior."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from trainers.base import Batch
from trainers.metrics import pca, pca_shared
from trainers.vqvae_codebook import VectorQuantizer, edit_code_map, perplexity, top_n_mask
from trainers.loop import Run, train
from trainers.vqvae_prior import CodePrior, PriorConfig, code_sequences
from trainers.vqvae import Config, Model


@pytest.fixture(scope="module")
def trained(digits):
    """A VQ-VAE trained for a few epochs on digits (shared by the read-only tests)."""
    run = Run("vqvae", Config(num_codes=32, width=16, seed=1), digits, "cpu")
    first = next(train(run, steps=1)).terms["recon"]
    list(train(run, steps=4 * run.steps_per_epoch + 2))   # ~50 steps: learns, and several epochs end
    return run, first


# ----------------------------------------------------------------------------- eq. 11 and the STE
def test_quantizer_picks_nearest_code_and_passes_gradient_straight_through():
    torch.manual_seed(0)
    vq = VectorQuantizer(8, 3)
    vq.embedding.data = torch.randn(8, 3)
    z_e = torch.randn(2, 3, 2, 2, requires_grad=True)
    q = vq(z_e)
    # eq. 11 against a brute-force distance table
    flat = z_e.detach().permute(0, 2, 3, 1).reshape(-1, 3)
    want = torch.cdist(flat, vq.embedding.detach()).argmin(1)
    assert torch.equal(q.indices.flatten(), want)
    assert torch.allclose(q.z_q.detach().permute(0, 2, 3, 1).reshape(-1, 3), vq.embedding.detach()[want])
    q.z_q.retain_grad()
    w = torch.randn_like(z_e)
    (q.z_q * w).sum().backward()
    assert torch.allclose(z_e.grad, q.z_q.grad)
    assert torch.allclose(z_e.grad, w)


def test_model_gradient_at_encoder_output_equals_gradient_at_quantised_output(digits):
    torch.manual_seed(0)
    # β = 0 and the loss update: the only path to z_e is the straight-through copy of ∇_{z_q}
    model = Model(Config(beta=0.0, update="loss"), digits.shape)
    grabbed = {}

    def keep_z_e(_m, _i, out):
        out.retain_grad()
        grabbed["z_e"] = out

    def keep_z_q(_m, _i, out):
        out.z_q.retain_grad()
        grabbed["z_q"] = out.z_q

    model.pre_b.register_forward_hook(keep_z_e)
    model.vq_b.register_forward_hook(keep_z_q)
    model.loss(Batch(digits.x[:16]))["loss"].backward()
    g_e, g_q = grabbed["z_e"].grad, grabbed["z_q"].grad
    assert g_q.abs().sum() > 0
    assert torch.allclose(g_e, g_q)
    assert model.vq_b.embedding.grad is not None and model.vq_b.embedding.grad.abs().sum() > 0


# ----------------------------------------------------------------------------- eq. 12: terms, normalisation, stop-gradients
def test_loss_terms_are_the_per_element_means_the_page_writes(digits):
    from playground.tabs import vqvae as tab, vqvae_views as views
    torch.manual_seed(0)
    model = Model(Config(update="loss", beta=0.4, width=8), digits.shape)
    grabbed = {}
    model.pre_b.register_forward_hook(lambda _m, _i, out: grabbed.__setitem__("z_e", out.detach()))
    x = digits.x[:16]
    out = model.loss(Batch(x))
    z_e = grabbed["z_e"]                                               # (B, D, h, w)
    B, D, h, w = z_e.shape
    C, H, W = digits.shape
    # eq. 11 by brute force, then eq. 12's squared norms by hand
    e = model.vq_b.embedding.detach()
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, D)
    e_k = e[torch.cdist(flat, e).argmin(1)]                            # (B·h·w, D)
    x_hat = model.decode_quantized({"bottom": e_k.view(B, h, w, D).permute(0, 3, 1, 2)})
    sq = (flat - e_k).pow(2).sum()                                     # Σ_images ‖z_e − e_k‖²
    torch.testing.assert_close(out["recon"], ((x - x_hat).pow(2).sum() / (B * C * H * W)).detach(),
                               rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(out["vq"], sq / (B * h * w * D), rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(out["commit"], 0.4 * sq / (B * h * w * D), rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(out["loss"].detach(), out["recon"] + out["vq"] + out["commit"])
    assert h * w * D == 4 * C * H * W                  # why it matters on digits: plain norms would weigh VQ 4×
    # every form of eq. 12 the page shows carries the same normalisation as the code
    for text in (tab.EQUATION, views.EQ12, views.EQ13):
        norms = re.findall(r"(\\tfrac\{1\}\{\w+\})?\\\|([^|]*)\\\|\^2", text)
        assert norms, text
        for frac, inside in norms:
            want = r"\tfrac{1}{CHW}" if inside.startswith("x-D") else r"\tfrac{1}{hwD}"
            assert frac == want, (inside, frac, text)
    assert "mean over its elements" in tab.EQUATION


def test_commitment_term_does_not_reach_the_codebook_nor_the_vq_term_the_encoder(digits):
    torch.manual_seed(0)
    model = Model(Config(update="loss", width=8), digits.shape)
    x = digits.x[:32]
    encoder = [p for n, p in model.named_parameters() if n.startswith(("enc.", "pre_b."))]
    book = model.vq_b.embedding
    assert encoder and book.requires_grad

    def grads(term, params):
        gs = torch.autograd.grad(term, params, retain_graph=True, allow_unused=True)
        return [torch.zeros_like(p) if g is None else g for g, p in zip(gs, params)]

    _, q, _ = model.forward_levels(x)
    qb = q["bottom"]
    # the commitment term: nothing reaches the codebook, something reaches the encoder
    assert grads(qb.commit, [book])[0].abs().max() == 0
    assert sum(float(g.abs().sum()) for g in grads(qb.commit, encoder)) > 0
    # the VQ term: the other way round
    assert all(float(g.abs().max()) == 0 for g in grads(qb.vq, encoder))
    assert grads(qb.vq, [book])[0].abs().sum() > 0
    # so the whole loss moves the codebook by the VQ term alone: ∂/∂e_i = 2 Σ_{j→i} (e_i − z_j) / (N·D)
    model.zero_grad()
    out = model.loss(Batch(x))
    out["loss"].backward()
    flat, idx = qb.flat, qb.indices.flatten()
    N, D = flat.shape
    want = torch.zeros_like(book).index_add_(0, idx, 2 * (book.detach()[idx] - flat) / (N * D))
    torch.testing.assert_close(book.grad, want, rtol=1e-4, atol=1e-9)


# ----------------------------------------------------------------------------- eq. 13
def test_one_ema_update_matches_eq13_by_hand():
    vq = VectorQuantizer(2, 2, update="ema", gamma=0.5)
    vq.embedding.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    vq.ema_m.copy_(vq.embedding)
    vq.ema_N.fill_(1.0)
    z = torch.tensor([[0.1, 0.0], [0.9, 1.0], [1.3, 1.2]])
    idx = vq.nearest(z)
    assert idx.tolist() == [0, 1, 1]
    vq.ema_update(z, idx)
    # N = 0.5·1 + 0.5·n = (1, 1.5); m_0 = 0.5·(0,0) + 0.5·(0.1,0) = (0.05, 0); m_1 = 0.5·(1,1) + 0.5·(2.2,2.2) = (1.6,1.6)
    assert torch.allclose(vq.ema_N, torch.tensor([1.0, 1.5]))
    assert torch.allclose(vq.ema_m, torch.tensor([[0.05, 0.0], [1.6, 1.6]]))
    assert torch.allclose(vq.embedding, torch.tensor([[0.05, 0.0], [1.6 / 1.5, 1.6 / 1.5]]))


def test_several_ema_updates_match_a_hand_loop_of_eq13():
    """Five steps of eq. 13 through after_step (no restarts) against plain Python lists. There is no
    Laplace smoothing: e_i = m_i / N_i exactly, and a code no cell picks keeps its place (m and N decay alike)."""
    g = torch.Generator().manual_seed(0)
    K, D, gamma = 4, 2, 0.8
    vq = VectorQuantizer(K, D, update="ema", gamma=gamma, restart=False)
    e0 = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]             # code 3 sits far away: never chosen
    vq.embedding.copy_(torch.tensor(e0))
    vq.ema_m.copy_(vq.embedding)
    vq.ema_N.fill_(1.0)
    N, m, e = [1.0] * K, [list(r) for r in e0], [list(r) for r in e0]
    for step in range(5):
        z = torch.rand(6 + step, D, generator=g) * 1.2 - 0.1          # a batch of encoder outputs
        rows = z.tolist()
        # eq. 11 by hand
        idx = [min(range(K), key=lambda i: sum((a - b) ** 2 for a, b in zip(r, e[i]))) for r in rows]
        for i in range(K):                                             # eq. 13 by hand
            n_i = sum(1 for k in idx if k == i)
            s_i = [sum(r[d] for r, k in zip(rows, idx) if k == i) for d in range(D)]
            N[i] = gamma * N[i] + (1 - gamma) * n_i
            m[i] = [gamma * m[i][d] + (1 - gamma) * s_i[d] for d in range(D)]
            e[i] = [m[i][d] / N[i] for d in range(D)]
        got = vq.nearest(z)
        assert got.tolist() == idx, step
        vq.after_step(z, got)
        torch.testing.assert_close(vq.ema_N, torch.tensor(N), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(vq.ema_m, torch.tensor(m), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(vq.embedding, torch.tensor(e), rtol=1e-5, atol=1e-6)
    assert 3 not in idx and vq.embedding[3].tolist() == [5.0, 5.0]
    assert len(set(idx)) >= 2                          # the hand loop moved more than one code


def test_ema_codebook_is_not_an_optimised_parameter(digits):
    model = Model(Config(update="ema"), digits.shape)
    assert "vq_b.embedding" not in dict(model.named_parameters())
    assert "vq_b.embedding" in model.state_dict()


# ----------------------------------------------------------------------------- statistics
def test_perplexity_is_K_for_uniform_use_and_1_for_collapse():
    K = 37
    assert perplexity(torch.full((K,), 5.0)).item() == pytest.approx(K, rel=1e-5)
    one = torch.zeros(K)
    one[11] = 123
    assert perplexity(one).item() == pytest.approx(1.0, abs=1e-6)
    counts = torch.randint(0, 50, (K,)).float()
    want = torch.distributions.Categorical(probs=counts / counts.sum()).entropy().exp()
    assert perplexity(counts).item() == pytest.approx(want.item(), rel=1e-5)


def test_epoch_usage_counts_every_cell_of_the_epoch(trained, digits):
    run, _ = trained
    vq = run.model.vq_b
    cells = len(digits) * 4 * 4        # 8×8 digits -> a 4×4 grid of codes
    assert vq.last_counts.sum().item() == cells
    assert run.history.terms["perplexity_epoch"][-1] == pytest.approx(perplexity(vq.last_counts).item(), rel=1e-5)


def test_keep_top_n_codes_yields_only_those_indices(trained, digits):
    run, first_recon = trained
    with run.evaluating() as model:
        counts = model.vq_b.usage()
        for n in (1, 3, 8):
            mask = top_n_mask(counts, n)
            assert int(mask.sum()) == n
            # the kept codes are the n most used
            assert counts[mask].min() >= counts[~mask].max()
            idx = model.codes(digits.x_test, {"bottom": mask})["bottom"]
            assert set(idx.unique().tolist()) <= set(mask.nonzero().flatten().tolist())
        err_all = model.per_image_error(digits.x_test).mean()
        err_one = model.per_image_error(digits.x_test, {"bottom": top_n_mask(counts, 1)}).mean()
    assert err_one > err_all
    assert run.history.terms["recon"][-1] < 0.5 * first_recon      # and it did learn


def test_top_n_mask_by_hand_and_bad_n():
    mask = top_n_mask(torch.tensor([3.0, 9.0, 0.0, 9.0, 1.0]), 2)
    assert mask.tolist() == [False, True, False, True, False]
    with pytest.raises(ValueError):
        top_n_mask(torch.ones(5), 0)
    with pytest.raises(ValueError):
        top_n_mask(torch.ones(5), 6)


def test_switching_codes_off_and_editing_a_cell(trained, digits):
    run, _ = trained
    with run.evaluating() as model:
        x = digits.x_test[:4]
        codes = model.codes(x)
        used = codes["bottom"][0, 1, 2].item()
        off = torch.ones(32, dtype=torch.bool)
        off[used] = False
        assert used not in model.codes(x, {"bottom": off})["bottom"].unique().tolist()
        new = (used + 1) % 32
        edited = {"bottom": edit_code_map(codes["bottom"], 1, 2, new, 32)}
        assert edited["bottom"][0, 1, 2].item() == new and codes["bottom"][0, 1, 2].item() == used
        diff = (model.decode_codes(edited) - model.decode_codes(codes)).abs()
        assert diff.sum() > 0
        pc, pz = pca_shared(model.vq_b.embedding, model.encoder_outputs(x))
        assert pc.shape == (32, 2) and pz.shape == (4 * 16, 2)


def test_shared_pca_matches_sklearn_up_to_sign():
    from sklearn.decomposition import PCA
    g = torch.Generator().manual_seed(0)
    rot = torch.linalg.qr(torch.randn(6, 6, generator=g))[0]
    scale = torch.tensor([5.0, 3.0, 1.0, 0.5, 0.2, 0.1])             # well separated variances: unique axes
    a = (torch.randn(40, 6, generator=g) * scale) @ rot + 2.0
    b = (torch.randn(70, 6, generator=g) * scale) @ rot - 1.0
    pa, pb = pca_shared(a, b)
    assert pa.shape == (40, 2) and pb.shape == (70, 2)
    ref = PCA(n_components=2).fit(np.concatenate([a.numpy(), b.numpy()]))   # one fit on both, like ours
    ra, rb = ref.transform(a.numpy()), ref.transform(b.numpy())
    sign = np.sign((pa * ra).sum(0) + (pb * rb).sum(0))              # each component's sign is arbitrary
    np.testing.assert_allclose(pa, ra * sign, atol=1e-4)
    np.testing.assert_allclose(pb, rb * sign, atol=1e-4)
    # one array: pca is pca_shared of it, and again sklearn's projection up to sign
    one = pca(a)
    np.testing.assert_array_equal(one, pca_shared(a)[0])
    r1 = PCA(n_components=2).fit_transform(a.numpy())
    np.testing.assert_allclose(one, r1 * np.sign((one * r1).sum(0)), atol=1e-4)
    # fewer dimensions than components: centred and padded with zeros
    c = torch.randn(9, 1, generator=g)
    np.testing.assert_allclose(pca(c), np.concatenate([(c - c.mean()).numpy(), np.zeros((9, 1))], 1), atol=1e-6)


def test_code_edits_outside_the_grid_raise(trained):
    codes = torch.zeros(4, 4, dtype=torch.long)
    for row, col, code in [(4, 0, 1), (0, -1, 1), (0, 0, 32), (0, 0, -1)]:
        with pytest.raises(ValueError):
            edit_code_map(codes, row, col, code, 32)
    run, _ = trained
    with pytest.raises(ValueError):
        run.model.decode_codes({"bottom": torch.zeros(1, 5, 5, dtype=torch.long)})


# ----------------------------------------------------------------------------- dead codes
def _collapsed_run(digits, restart: bool) -> Run:
    run = Run("vqvae", Config(num_codes=32, width=8, update="loss", restart=restart, dead_after=5, seed=3), digits, "cpu")
    with torch.no_grad():   # seeded to collapse: one code at the origin, the rest far from every z_e
        e = run.model.vq_b.embedding
        e.copy_(50.0 + torch.randn_like(e))
        e[0] = 0.0
    return run


def test_dead_code_restart_brings_dead_codes_down(digits):
    used, dead = {}, {}
    for restart in (False, True):
        run = _collapsed_run(digits, restart)
        for m in train(run, steps=30):
            pass
        dead[restart] = m.terms["dead_codes"]
        with run.evaluating() as model:
            used[restart] = model.codes(digits.x)["bottom"].unique().numel()
    assert dead[False] >= 30 and used[False] <= 2          # the collapse holds without restarts
    assert dead[True] < dead[False] / 2
    assert used[True] >= 3 * used[False]


# ----------------------------------------------------------------------------- training, shapes
@pytest.mark.parametrize("kw", [dict(update="ema"), dict(update="loss", restart=False)])
def test_loss_falls(digits, kw):
    run = Run("vqvae", Config(seed=0, width=16, **kw), digits, "cpu")
    with run.evaluating() as model:
        before = model.test_loss(digits.x_test)["recon"]
    list(train(run, steps=30))
    with run.evaluating() as model:
        after = model.test_loss(digits.x_test)["recon"]
    assert after < 0.6 * before


@pytest.mark.parametrize("shape,grid", [((1, 8, 8), (4, 4)), ((1, 28, 28), (7, 7)), ((3, 32, 32), (8, 8))])
def test_grid_of_codes_per_image_size(shape, grid):
    model = Model(Config(width=8, code_dim=4), shape).eval()
    x = torch.rand(2, *shape)
    assert tuple(model.codes(x)["bottom"].shape) == (2, *grid)
    assert model.reconstruct(x).shape == x.shape


def test_two_level_vqvae2_levels_each_matter(digits):
    torch.manual_seed(0)
    run = Run("vqvae", Config(two_level=True, num_codes=16, width=16, dead_after=4, seed=0), digits, "cpu")
    list(train(run, steps=15))
    assert "perplexity_top" in run.history.terms and "dead_codes_top" in run.history.terms
    with run.evaluating() as model:
        x = digits.x_test[:8]
        codes = model.codes(x)
        assert codes["top"].shape == (8, 2, 2) and codes["bottom"].shape == (8, 4, 4)
        full = model.decode_codes(codes)
        assert torch.allclose(full, model.reconstruct(x), atol=1e-5)
        for lv in ("top", "bottom"):
            for how in ("zero", "random"):
                assert (model.decode_codes(codes, {lv: how}) - full).abs().mean() > 1e-4
        assert model.sample(5).shape == (5, 1, 8, 8)


# ----------------------------------------------------------------------------- the prior
def test_prior_learns_code_maps_and_samples_images(trained, digits):
    run, _ = trained
    torch.manual_seed(0)
    seqs = code_sequences(run.model, digits.x)
    assert seqs.shape == (len(digits), 16)
    prior = CodePrior(PriorConfig(batch_size=64, width=32), run.model)
    losses = [loss for _, loss in prior.fit(seqs, steps=60)]
    assert losses[0] == pytest.approx(math.log(32), abs=0.5)          # starts near uniform over K
    assert sum(losses[-10:]) / 10 < losses[0] - 0.7
    with torch.no_grad():
        nll = prior.nll(seqs[:500]).item()
    # better than coding each cell independently by its frequency (the unigram entropy)
    p = torch.bincount(seqs.flatten(), minlength=32).float()
    assert nll < torch.distributions.Categorical(probs=p / p.sum()).entropy().item()
    torch.manual_seed(5)
    imgs = prior.sample_images(run.model, 6, temperature=0.8)
    torch.manual_seed(5)
    drawn = prior.split(prior.sample_seq(6, 0.8))                      # the same draw of code maps
    assert imgs.shape == (6, 1, 8, 8) and drawn["bottom"].shape == (6, 4, 4)
    torch.testing.assert_close(imgs, run.model.decode_codes(drawn), rtol=0, atol=0)   # images = decoded maps
    assert len({tuple(c.flatten().tolist()) for c in drawn["bottom"]}) > 1             # and they differ


def test_prior_before_any_vqvae_raises(digits):
    with pytest.raises(ValueError, match="VQ-VAE"):
        CodePrior(PriorConfig(), None)
    with pytest.raises(ValueError, match="not been trained"):
        CodePrior(PriorConfig(), Model(Config(), digits.shape))
    with pytest.raises(ValueError):
        code_sequences(None, digits.x)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw", [dict(num_codes=4), dict(num_codes=2000), dict(code_dim=1), dict(code_dim=1000),
                                dict(update="adam"), dict(gamma=1.5), dict(beta=-1.0), dict(num_codes=12.5)])
def test_bad_config_raises(kw):
    with pytest.raises(ValueError):
        Config(**kw)


def test_bad_data_raises():
    with pytest.raises(ValueError, match="images"):
        Model(Config(), (2,))
    with pytest.raises(ValueError, match="divide"):
        Model(Config(), (1, 30, 30))
    with pytest.raises(ValueError):
        PriorConfig(width=40)
