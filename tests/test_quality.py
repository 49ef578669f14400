"""Sample-quality scores (trainers/quality.py) against independent computations, and their classifier."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from trainers import data, quality, quality_classifier


def _scipy_fid(mu1, s1, mu2, s2) -> float:
    """FID the textbook way (Heusel et al.'s reference code): scipy's sqrtm of the product Σ1 Σ2."""
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = np.real(covmean)
    d = mu1 - mu2
    return float(d @ d + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def test_frechet_formula_equals_scipy_sqrtm_on_random_gaussians():
    rng = np.random.default_rng(0)
    for d in (2, 5, 32):
        a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
        s1, s2 = a @ a.T + 0.1 * np.eye(d), b @ b.T + 0.1 * np.eye(d)
        mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
        ours = quality.frechet_distance(mu1, s1, mu2, s2)
        assert ours == pytest.approx(_scipy_fid(mu1, s1, mu2, s2), rel=1e-6, abs=1e-8)
    # closed form for 1-D Gaussians: (μ1 − μ2)² + (σ1 − σ2)²
    assert quality.frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([3.0]),
                                    np.array([[9.0]])) == pytest.approx(4.0 + 1.0)


def test_fid_on_features_matches_scipy_via_sample_statistics():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(500, 8)), rng.normal(1.0, 2.0, size=(400, 8))
    ref = _scipy_fid(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))
    assert quality.fid(x, y) == pytest.approx(ref, rel=1e-6)


def test_kid_unbiased_estimator_equals_a_double_loop():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 4)), rng.normal(0.5, 1.0, size=(25, 4))
    d = x.shape[1]
    k = lambda a, b: (float(a @ b) / d + 1) ** 3          # noqa: E731
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    assert quality.mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-10)
    mean, std = quality.kid(x, y, subsets=1, subset_size=100)          # subsets bigger than the sets: all of both
    assert mean == pytest.approx(quality.mmd2_unbiased(x, y)) and std == 0.0
    # subsets (larger sets): each subset's quadratic-form shortcut equals the estimator on that subset
    big_x, big_y = rng.normal(size=(120, 4)), rng.normal(0.3, 1.0, size=(90, 4))
    r = np.random.default_rng(5)
    direct = []
    for _ in range(4):
        ix, iy = r.choice(120, 50, replace=False), r.choice(90, 50, replace=False)
        direct.append(quality.mmd2_unbiased(big_x[ix], big_y[iy]))
    mean, std = quality.kid(big_x, big_y, subsets=4, subset_size=50, seed=5)
    assert mean == pytest.approx(np.mean(direct), rel=1e-9) and std == pytest.approx(np.std(direct), rel=1e-6)
    # unbiased: on two draws of one distribution it averages ~0 (it can go below zero), far below a shifted one
    same = [quality.mmd2_unbiased(rng.normal(size=(200, 4)), rng.normal(size=(200, 4))) for _ in range(20)]
    shifted = quality.mmd2_unbiased(rng.normal(size=(200, 4)), rng.normal(1.0, 1.0, size=(200, 4)))
    assert abs(np.mean(same)) < 0.05 * shifted and min(same) < 0


def test_precision_recall_brute_force_and_identical_sets():
    rng = np.random.default_rng(3)
    r, g = rng.normal(size=(60, 3)), rng.normal(0.7, 0.6, size=(50, 3))

    def brute(a, b, k=3):       # share of b inside some ball around a's points (radius: its k-th neighbour in a)
        rad = [sorted(np.linalg.norm(a - p, axis=1))[k] for p in a]     # [0] is the point itself
        return np.mean([any(np.linalg.norm(q - p) <= rp for p, rp in zip(a, rad)) for q in b])
    p, rc = quality.precision_recall(r, g)
    assert p == pytest.approx(brute(r, g)) and rc == pytest.approx(brute(g, r))
    assert quality.precision_recall(r, r) == (1.0, 1.0)


def test_inception_score_bounds():
    k = 10
    onehot = torch.eye(k).repeat(5, 1)                          # sure and evenly spread: IS = number of classes
    assert quality.inception_score(onehot) == pytest.approx(k, rel=1e-6)
    assert quality.inception_score(torch.full((50, k), 1 / k)) == pytest.approx(1.0)   # unsure: 1
    assert quality.inception_score(torch.eye(k)[[3] * 50]) == pytest.approx(1.0)       # one class only: 1


@pytest.fixture(scope="module")
def digits_scorer():
    return quality.scorer(data.load("digits"))


def test_classifier_reaches_its_stated_accuracy_on_digits(digits_scorer):
    # shipped weights (assets/quality/digits.safetensors), their accuracy measured here on the test split
    assert digits_scorer.test_accuracy >= 0.93, digits_scorer.source
    net, acc = quality_classifier.fit(data.load("digits"), steps=150)    # and the training code itself works
    assert acc >= 0.85
    assert acc == pytest.approx(quality_classifier.accuracy(net, data.load("digits").x_test,
                                                           data.load("digits").y_test))


def test_shipped_weights_are_safetensors_and_round_trip(tmp_path):
    d = data.load("digits")
    net = quality_classifier.Classifier(d.shape, d.num_classes)
    quality_classifier.save(net, 0.5, tmp_path / "c.safetensors")
    assert (tmp_path / "c.safetensors").read_bytes()[8:9] == b"{"      # a JSON header, not a pickle
    back, acc = quality_classifier.load_file(tmp_path / "c.safetensors")
    assert acc == 0.5
    x = d.x_test[:16]
    assert torch.allclose(back.features(x), net.half().float().features(x), atol=1e-5)


def test_fid_self_zero_halves_small_noise_large(digits_scorer):
    d = data.load("digits")
    s_self, _ = digits_scorer.score(digits_scorer.real)
    assert s_self.fid < 1e-6 and s_self.precision == 1.0 and s_self.recall == 1.0
    a, b = d.x[:700], d.x[700:1400]
    halves = quality.fid(digits_scorer.features(a), digits_scorer.features(b))
    g = torch.Generator().manual_seed(0)
    s_noise, _ = digits_scorer.score(torch.rand(700, *d.shape, generator=g))
    s_train, _ = digits_scorer.score(d.x[:700])
    assert halves < 0.05 * s_noise.fid
    assert s_train.fid < 0.1 * s_noise.fid
    assert s_noise.precision < 0.1 and s_train.precision > 0.8
    assert s_train.kid < 0.05 * s_noise.kid
    assert s_train.inception > 7 > s_noise.inception


def test_mode_collapse_keeps_precision_loses_recall(digits_scorer):
    d = data.load("digits")
    g = torch.Generator().manual_seed(0)
    ones = d.x[d.y == 1]                                        # a generator that only ever draws 1s
    collapsed = ones[torch.randint(0, ones.shape[0], (500,), generator=g)]
    s, _ = digits_scorer.score(collapsed)
    assert s.precision > 0.7 and s.recall < 0.3 and s.recall < s.precision - 0.4
    assert s.inception < 2.0
    every, _ = digits_scorer.score(d.x[torch.randperm(d.x.shape[0], generator=g)[:500]])
    assert every.recall > 0.8 and every.fid < 0.2 * s.fid


def test_points_are_their_own_features():
    moons = data.load("moons")
    sc = quality.scorer(moons)
    assert sc.test_accuracy is None
    good, f = sc.score(moons.x[:800])
    assert torch.equal(f, moons.x[:800].float())
    bad, _ = sc.score(torch.randn(800, 2, generator=torch.Generator().manual_seed(0)) * 3)
    assert good.inception is None
    assert good.fid < 0.05 * bad.fid and good.precision > 0.9 > bad.precision


def test_wrong_shape_is_a_clear_error(digits_scorer):
    with pytest.raises(ValueError, match="shape"):
        digits_scorer.score(torch.rand(10, 1, 28, 28))


def test_knn_radii_equal_scipy_kdtree_distances():
    """The radii now come from ``topk`` of a float32 distance matrix: the same as scipy's exact k-d tree."""
    from scipy.spatial import cKDTree
    f = np.random.default_rng(3).normal(size=(400, 6))
    dist, _ = cKDTree(f).query(f, k=quality.K_NN + 1)           # each point's own 0 comes first
    np.testing.assert_allclose(quality.knn_radii(torch.tensor(f)).numpy(), dist[:, -1] ** 2, rtol=1e-4)


def test_scorer_with_its_cached_real_side_equals_the_plain_functions(digits_scorer):
    """``Scorer.score`` uses the real side's statistics, radii and kernel cached once: the same numbers as the
    module's functions (each tested against scipy or a loop above) computed afresh on both feature sets; and KID
    on large sets (10 subsets, all at once) equals a loop over the subsets' own kernels."""
    d = data.load("digits")
    g = torch.Generator().manual_seed(1)
    x = (d.x[:1200] + 0.3 * torch.rand(1200, *d.shape, generator=g)).clamp(0, 1)
    s, f = digits_scorer.score(x)
    real = digits_scorer.real_features
    assert s.fid == pytest.approx(quality.fid(real, f), rel=1e-9)
    assert (s.precision, s.recall) == pytest.approx(quality.precision_recall(real, f))
    assert (s.kid, s.kid_std) == pytest.approx(quality.kid(real, f), rel=1e-9)
    a, b = quality._np64(digits_scorer.features(d.x[:1500])), quality._np64(f)
    rng, vals = np.random.default_rng(0), []
    for _ in range(4):
        ix, iy = rng.choice(1500, 600, replace=False), rng.choice(1200, 600, replace=False)
        vals.append(quality.mmd2_unbiased(a[ix], b[iy]))               # a new kernel per subset: the textbook way
    assert quality.kid(a, b, subsets=4, subset_size=600) == pytest.approx((np.mean(vals), np.std(vals)), rel=1e-9)
