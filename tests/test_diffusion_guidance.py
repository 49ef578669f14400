"""Classifier guidance (Dhariwal & Nichol 2021, Alg. 1 and 2), checked against independent references."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from trainers.data import load
from trainers.diffusion import Config, Model, reverse_process
from trainers.diffusion_guidance import ClassifierGuidance, NoisyClassifier, grad_log_prob, noisy_accuracy
from trainers.diffusion_samplers import DDPM
from trainers.loop import Run, train


def _model(**kw) -> Model:
    torch.manual_seed(0)
    m = Model(Config(T=20, hidden=32, layers=1, classifier=True, clip_x0=False, **kw), (2,), num_classes=2)
    m.trained_steps += 1                       # untrained weights are fine here: only the plumbing is checked
    m.x_lo.fill_(-2.0)
    m.x_hi.fill_(2.0)
    return m.eval()


class Linear(nn.Module):
    """A known classifier on 2D points: logits = W x + b, the same at every t."""

    def __init__(self) -> None:
        super().__init__()
        self.W = nn.Parameter(torch.tensor([[1.5, -0.5], [-1.0, 2.0], [0.3, 0.7]]))
        self.b = nn.Parameter(torch.tensor([0.2, -0.1, 0.0]))

    def forward(self, x, t):
        return x @ self.W.T + self.b


def _reference_grad(clf: Linear, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """∇_x log p(y | x) through torch.distributions.Categorical, by autograd on a fresh leaf."""
    with torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        logp = torch.distributions.Categorical(logits=x @ clf.W.T.detach() + clf.b.detach()).log_prob(y).sum()
        return torch.autograd.grad(logp, x)[0]


@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_scale_zero_equals_unguided_sampling_step_by_step(sampler):
    m = _model()
    smp = lambda: m.sampler(sampler, steps=7)                          # noqa: E731
    y = torch.arange(64) % 2
    plain = reverse_process(m, 64, smp(), seed=11)
    zero = reverse_process(m, 64, smp(), seed=11, cg=ClassifierGuidance(m.classifier, 0.0, y))
    for a, b in [(plain.x, zero.x), (plain.eps, zero.eps), (plain.x0, zero.x0)]:
        assert torch.equal(a, b)                                      # every frame, bit for bit
    guided = reverse_process(m, 64, smp(), seed=11, cg=ClassifierGuidance(m.classifier, 3.0, y))
    assert torch.equal(guided.x[0], plain.x[0])                       # same x_T …
    assert not torch.allclose(guided.x[-1], plain.x[-1])              # … and s > 0 does move the samples


def test_ddpm_shift_is_s_sigma2_grad_log_p_at_every_step():
    m, clf, s, n, seed = _model(), Linear(), 1.7, 32, 4
    y = torch.arange(n) % 3
    fr = reverse_process(m, n, m.sampler("ddpm"), seed=seed, cg=ClassifierGuidance(clf, s, y))
    # the same chain rebuilt by hand: same noise stream, Alg. 1 with the reference gradient
    ddpm = DDPM(m.sched(), m.cfg.variance)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    with torch.no_grad():
        for k, t in enumerate(ddpm.timesteps()):
            assert torch.allclose(fr.x[k], x, atol=1e-5), f"frame {k} differs"
            z = torch.randn(x.shape, generator=g)
            plain = ddpm.step(m.eps(x, t), t, x, z).x_prev
            shift = s * ddpm.sigma(t) ** 2 * _reference_grad(clf, x, y)
            x = plain + shift
            if k == 0:
                guided_mean_shift = fr.x[1] - plain                    # the mean moved by s σ_t² ∇ log p
                assert torch.allclose(guided_mean_shift, shift, atol=1e-6)
                assert shift.abs().max() > 1e-3                         # not a vacuous comparison
    assert torch.allclose(fr.x[-1], x, atol=1e-5)


def test_ddim_eps_shift_is_sqrt_one_minus_alpha_bar_s_grad():
    m, clf, s, n = _model(), Linear(), 2.5, 16
    y = torch.full((n,), 1)
    smp = m.sampler("ddim", steps=5)
    plain = reverse_process(m, n, smp, seed=2)
    fr = reverse_process(m, n, smp, seed=2, cg=ClassifierGuidance(clf, s, y))
    t = smp.timesteps()[0]
    expected = -(1 - m.sched().alpha_bar[t]).sqrt() * s * _reference_grad(clf, plain.x[0], y)
    assert torch.allclose(fr.eps[0] - plain.eps[0], expected, atol=1e-5)


def test_grad_log_prob_matches_the_closed_form_of_softmax():
    clf, x = Linear(), torch.randn(50, 2)
    y = torch.randint(0, 3, (50,))
    g = grad_log_prob(clf, x, 3, y)
    p = torch.softmax(clf(x, None), -1).detach()
    closed = clf.W.detach()[y] - p @ clf.W.detach()                 # W_y − Σ_k p_k W_k
    assert torch.allclose(g, closed, atol=1e-6)


def test_bad_settings_are_named():
    m = _model()
    with pytest.raises(ValueError, match="classifier scale s"):
        ClassifierGuidance(m.classifier, -1.0, torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="one label per sample"):
        reverse_process(m, 4, cg=ClassifierGuidance(m.classifier, 1.0, torch.zeros(3, dtype=torch.long)))
    with pytest.raises(ValueError, match="labelled dataset"):
        NoisyClassifier((2,), 20, 0)
    with pytest.raises(ValueError, match="labelled dataset"):
        Run("diffusion", Config(classifier=True), load("swiss roll"), device="cpu")


def test_noisy_classifier_beats_chance_after_a_short_seeded_run():
    data = load("moons")
    run = Run("diffusion", Config(T=20, hidden=32, layers=1, batch_size=128, lr=5e-3, classifier=True),
              data, device="cpu")
    before = noisy_accuracy(run.model.eval(), data.x_test, data.y_test, t_max=5)
    run.model.train()
    for _ in train(run, steps=120):
        pass
    assert "clf_ce" in run.history.terms and "clf_acc" in run.history.terms
    ce = run.history.series("clf_ce")[1]
    assert ce[-20:].mean() < ce[:10].mean()                           # the cross-entropy falls
    acc = noisy_accuracy(run.model.eval(), data.x_test, data.y_test, t_max=5)   # held-out, fresh noise
    assert acc > 0.8, (before, acc)                                   # chance is 0.5 on two moons
