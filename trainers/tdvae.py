"""TD-VAE: temporal difference variational auto-encoder (seed 000 §1.3.3; Gregor et al., ICLR 2019).

Four learned distributions over one layer of latent state z, all diagonal Gaussians (μ, log σ):
    belief      p_B(z_t | b_t)                    b_t = LSTM(x_1 .. x_t), the belief state
    smoothing   p_S(z_t1 | z_t2, b_t1, b_t2)      looks back from t2 to infer where we were at t1
    transition  p_T(z_t2 | z_t1)                  the jumpy model of the world
    decoder     p_D(x_t | z_t)                    Bernoulli pixels or a Gaussian signal

For two times t1 < t2 with the jump t2 − t1 drawn uniformly from [jump_min, jump_max], draw
z_t2 ~ p_B(·|b_t2), then z_t1 ~ p_S(·|z_t2, b_t1, b_t2), and maximise (eq. 14)
    J = log p_D(x_t2|z_t2) + log p_B(z_t1|b_t1) + log p_T(z_t2|z_t1) − log p_B(z_t2|b_t2) − log p_S(z_t1|z_t2, b_t1, b_t2)
The loss is −J, averaged over the (t1, t2) pairs of a batch. Each term is shown as it enters the loss:
    decoder_nll = −log p_D   belief_t1 = −log p_B(z_t1)   transition = −log p_T
    belief_t2  = +log p_B(z_t2)   smoothing = +log p_S      kl = the four latent terms together
(`belief_t2 + transition` is a one-sample estimate of KL(p_B(z_t2|b_t2) ‖ p_T(z_t2|z_t1)), and
`smoothing + belief_t1` one of KL(p_S ‖ p_B(z_t1|b_t1)).)

One choice beyond the seed: with ``condition_on_jump`` the transition and smoothing networks also see
the jump size (one-hot), so a rollout "3 steps ahead" really means 3 steps, as in the paper's
jumpy experiments. Without it, p_T learns a mixture of every jump in the range.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import Batch, ConfigBase, GenerativeModel, param
from .data import Dataset
from .layers import mlp

LOG_2PI = math.log(2 * math.pi)


@dataclass
class Config(ConfigBase):
    length: int = param(20, "Frames per generated sequence (the data are made at this length; a model trained on "
                            "other data uses that data's length).", lo=8, hi=64, step=1, label="sequence length")
    jump_min: int = param(1, "Shortest jump t2 − t1 the model is trained on (eq. 14).",
                          lo=1, hi=63, step=1, label="shortest jump")
    jump_max: int = param(4, "Longest jump t2 − t1; must be shorter than the sequences.",
                          lo=1, hi=63, step=1, label="longest jump")
    condition_on_jump: bool = param(True, "Transition and smoothing also see the jump size, so a rollout "
                                          "with jump k predicts exactly k frames ahead.",
                                    label="condition on jump size")
    z_dim: int = param(8, "Size of the latent state z.", lo=1, hi=64, step=1, label="latent size")
    belief_dim: int = param(64, "Size of the LSTM's belief state b_t.", lo=8, hi=512, step=8,
                            label="belief size")
    hidden: int = param(128, "Width of the hidden layers of every MLP.", lo=16, hi=1024, step=16,
                        label="hidden units")
    pairs: int = param(8, "(t1, t2) pairs drawn from each sequence per step: more pairs, smoother curves.",
                       lo=1, hi=32, step=1, label="pairs per sequence")
    likelihood: str = param("auto", "Decoder p_D: Bernoulli pixels, a Gaussian with fixed σ, or auto "
                                    "(Bernoulli for image frames of ≥ 16 pixels, Gaussian for signals).",
                            choices=("auto", "bernoulli", "gaussian"), label="decoder likelihood")
    obs_std: float = param(0.1, "σ of the Gaussian decoder (1D signals): the noise it expects.",
                           lo=0.01, hi=1.0, step=0.01, label="decoder σ")
    lr: float = param(3e-3, "Adam learning rate.", lo=1e-5, hi=0.1, log=True, label="learning rate", live=True)
    batch_size: int = param(64, "Sequences per step.", lo=1, hi=1024, step=1, label="batch size")
    seed: int = param(0, "Random seed: same seed, same run.", lo=0, hi=2**31 - 1, step=1)

    def validate(self) -> None:
        if self.jump_min > self.jump_max:
            raise ValueError(f"The shortest jump ({self.jump_min}) must not be longer than the longest "
                             f"jump ({self.jump_max}).")
        if self.jump_max >= self.length:
            raise ValueError(f"The longest jump ({self.jump_max}) must be shorter than the sequences "
                             f"({self.length} frames): set it to at most {self.length - 1}.")


def load_data(name: str, shape: list[int] | tuple[int, ...] | None = None) -> Dataset:
    """The family's own data sets (sequences) by name; the length comes from a stored data shape."""
    from . import tdvae_data
    return tdvae_data.load(name, length=shape[0] if shape else None)


def gaussian_log_prob(z: Tensor, mu: Tensor, logsigma: Tensor) -> Tensor:
    """log N(z; μ, σ²) summed over the last dimension: (...)."""
    return (-0.5 * ((z - mu) * torch.exp(-logsigma)) ** 2 - logsigma - 0.5 * LOG_2PI).sum(-1)


class GaussianHead(nn.Module):
    """An MLP that outputs the (μ, log σ) of a diagonal Gaussian, as in the paper's D blocks."""

    def __init__(self, n_in: int, hidden: int, n_out: int) -> None:
        super().__init__()
        self.net = mlp([n_in, hidden, hidden, 2 * n_out], act=nn.Tanh)

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor]:
        mu, logsigma = self.net(h).chunk(2, dim=-1)
        return mu, logsigma.clamp(-7.0, 4.0)     # σ in [1e-3, 55]: keeps the log-densities finite


class Model(GenerativeModel):
    family = "tdvae"

    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        super().__init__(cfg, data_shape, num_classes)
        if len(self.data_shape) != 2:
            raise ValueError(f"TD-VAE trains on sequences shaped (time, frame); this dataset's items have "
                             f"shape {self.data_shape}. Pick a sequence dataset.")
        T, D = self.data_shape
        if T < 2:
            raise ValueError(f"TD-VAE needs sequences of at least 2 frames; got {T}.")
        if cfg.jump_max > T - 1:
            raise ValueError(f"The longest jump ({cfg.jump_max}) must be shorter than the sequences "
                             f"({T} frames): set it to at most {T - 1}.")
        self.T, self.D = T, D
        bern = cfg.likelihood == "bernoulli" or (cfg.likelihood == "auto" and D >= 16)
        self.bernoulli = bool(bern)
        z, H, Hb = cfg.z_dim, cfg.hidden, cfg.belief_dim
        self.n_jump = cfg.jump_max if cfg.condition_on_jump else 0     # one-hot width
        # belief network: per-frame features, then a forward LSTM so b_t summarises x_1..x_t
        self.frame_net = mlp([D, H], last_act=True)
        self.lstm = nn.LSTM(H, Hb, batch_first=True)
        self.p_B = GaussianHead(Hb, H, z)
        self.p_S = GaussianHead(z + 2 * Hb + self.n_jump, H, z)
        self.p_T = GaussianHead(z + self.n_jump, H, z)
        self.p_D = mlp([z, H, H, D])
        self._context: Tensor | None = None     # a few training sequences, for sample()

    # -- the four distributions -----------------------------------------------------------
    def belief(self, x: Tensor) -> Tensor:
        """b_t for every t: (B, T, D) -> (B, T, belief_dim); b_t has seen x_1..x_t only."""
        b, _ = self.lstm(self.frame_net(x))
        return b

    def _jump_code(self, jump: Tensor) -> Tensor | None:
        if not self.n_jump:
            return None
        return F.one_hot(jump - 1, self.n_jump).float()

    def transition(self, z1: Tensor, jump: Tensor) -> tuple[Tensor, Tensor]:
        """p_T(z_t2 | z_t1): (μ, log σ). The mean is z_t1 plus a learned step (a residual)."""
        code = self._jump_code(jump)
        mu, logsigma = self.p_T(z1 if code is None else torch.cat([z1, code], -1))
        return z1 + mu, logsigma

    def smoothing(self, z2: Tensor, b1: Tensor, b2: Tensor, jump: Tensor) -> tuple[Tensor, Tensor]:
        """p_S(z_t1 | z_t2, b_t1, b_t2): (μ, log σ)."""
        parts = [z2, b1, b2]
        code = self._jump_code(jump)
        if code is not None:
            parts.append(code)
        return self.p_S(torch.cat(parts, -1))

    def decoder_log_prob(self, x: Tensor, z: Tensor) -> Tensor:
        """log p_D(x | z) summed over the frame: (...)."""
        out = self.p_D(z)
        if self.bernoulli:
            return -F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(-1)
        ls = torch.full_like(out, math.log(self.cfg.obs_std))
        return gaussian_log_prob(x, out, ls)

    def decode(self, z: Tensor) -> Tensor:
        """The mean frame of p_D(x|z): pixel probabilities, or the Gaussian mean."""
        out = self.p_D(z)
        return torch.sigmoid(out) if self.bernoulli else out

    # -- eq. 14 -----------------------------------------------------------------------------
    def eq14_terms(self, x: Tensor, t1: Tensor, t2: Tensor, eps1: Tensor, eps2: Tensor) -> dict[str, Tensor]:
        """The five log-densities of eq. 14 for given times and noises, each (B, K).

        x: (B, T, D); t1, t2: (B, K) integer times; eps1, eps2: (B, K, z_dim) standard normal noise
        (fixed noise makes every term checkable against torch.distributions).
        """
        B = x.shape[0]
        jump = t2 - t1                                                  # (B, K)
        # 1. belief states along every sequence, then the ones at t1 and t2
        b = self.belief(x)                                              # (B, T, Hb)
        rows = torch.arange(B, device=x.device)[:, None]
        b1, b2, x2 = b[rows, t1], b[rows, t2], x[rows, t2]              # (B, K, Hb), (B, K, Hb), (B, K, D)
        # 2. z_t2 ~ p_B(z | b_t2), reparameterised
        mu_b2, ls_b2 = self.p_B(b2)                                     # (B, K, z)
        z2 = mu_b2 + torch.exp(ls_b2) * eps2
        # 3. z_t1 ~ p_S(z | z_t2, b_t1, b_t2), reparameterised
        mu_s, ls_s = self.smoothing(z2, b1, b2, jump)
        z1 = mu_s + torch.exp(ls_s) * eps1
        # 4. the densities the sampled pair gets under each distribution
        mu_b1, ls_b1 = self.p_B(b1)
        mu_t, ls_t = self.transition(z1, jump)
        return {"log_p_D": self.decoder_log_prob(x2, z2),              # log p_D(x_t2 | z_t2)
                "log_p_B_t1": gaussian_log_prob(z1, mu_b1, ls_b1),      # log p_B(z_t1 | b_t1)
                "log_p_T": gaussian_log_prob(z2, mu_t, ls_t),           # log p_T(z_t2 | z_t1)
                "log_p_B_t2": gaussian_log_prob(z2, mu_b2, ls_b2),      # log p_B(z_t2 | b_t2)
                "log_p_S": gaussian_log_prob(z1, mu_s, ls_s)}           # log p_S(z_t1 | z_t2, b_t1, b_t2)

    def sample_times(self, B: int) -> tuple[Tensor, Tensor]:
        """(t1, t2), each (B, pairs): jump uniform in [jump_min, jump_max], t1 uniform where t2 fits."""
        K, lo, hi = self.cfg.pairs, self.cfg.jump_min, self.cfg.jump_max
        jump = self.randint(lo, hi + 1, (B, K))
        t1 = (self.rand(B, K) * (self.T - jump)).long()                      # t1 in [0, T-1-jump]
        return t1, t1 + jump

    def _check_x(self, x: Tensor) -> None:
        if x.dim() != 3 or tuple(x.shape[1:]) != (self.T, self.D):
            raise ValueError(f"Expected sequences shaped (batch, {self.T}, {self.D}); got {tuple(x.shape)}.")

    def loss(self, batch: Batch) -> dict[str, Tensor]:
        x = batch.x
        self._check_x(x)
        B, z = x.shape[0], self.cfg.z_dim
        t1, t2 = self.sample_times(B)
        eps1 = self.randn(B, self.cfg.pairs, z)
        eps2 = self.randn(like=eps1)
        self._context = x[:16, :1].detach()
        return self.loss_from(x, t1, t2, eps1, eps2)

    def loss_from(self, x: Tensor, t1: Tensor, t2: Tensor, eps1: Tensor, eps2: Tensor) -> dict[str, Tensor]:
        """−J of eq. 14 for given times and noises, averaged over the pairs, with every term named."""
        lp = {k: v.mean() for k, v in self.eq14_terms(x, t1, t2, eps1, eps2).items()}
        # each term signed as it enters the loss −J
        terms = {"decoder_nll": -lp["log_p_D"], "belief_t1": -lp["log_p_B_t1"], "transition": -lp["log_p_T"],
                 "belief_t2": lp["log_p_B_t2"], "smoothing": lp["log_p_S"]}
        kl = terms["belief_t1"] + terms["transition"] + terms["belief_t2"] + terms["smoothing"]
        loss = terms["decoder_nll"] + kl
        out = {"loss": loss, "total": loss.detach(), "kl": kl.detach()}
        out.update({k: v.detach() for k, v in terms.items()})
        return out

    # -- using the model -----------------------------------------------------------------
    def check_rollout(self, x: Tensor, t: int, n_futures: int, jump: int, steps: int) -> Tensor:
        """The sequence as (T, D), or a ValueError a student understands."""
        if x.dim() == 3 and x.shape[0] == 1:
            x = x[0]
        if x.dim() != 2 or x.shape[1] != self.D:
            raise ValueError(f"Roll out one sequence shaped (time, {self.D}); got {tuple(x.shape)}.")
        T = x.shape[0]
        if not 0 <= int(t) < T:
            raise ValueError(f"The time t must be between 0 and {T - 1}; got {t}.")
        if not self.cfg.jump_min <= int(jump) <= self.cfg.jump_max:
            raise ValueError(f"The jump must be in the trained range {self.cfg.jump_min}–{self.cfg.jump_max}; "
                             f"got {jump}.")
        if not 1 <= int(n_futures) <= 64:
            raise ValueError(f"The number of futures must be between 1 and 64; got {n_futures}.")
        if not 1 <= int(steps) <= 64:
            raise ValueError(f"The number of rollout steps must be between 1 and 64; got {steps}.")
        return x

    @torch.no_grad()
    def rollout(self, x: Tensor, t: int, n_futures: int = 8, jump: int = 1, steps: int = 4) -> Tensor:
        """Several possible futures of one sequence from its belief at time t (jumpy prediction).

        x: (T, D) (or (1, T, D)); only x_0..x_t are looked at. Draws z_t ~ p_B(z|b_t), then
        ``steps`` jumps z ← z' ~ p_T(z'|z) of size ``jump``, decoding each: (n_futures, steps, D)
        mean frames for the times t + jump, t + 2·jump, ...
        """
        x = self.check_rollout(x, t, n_futures, jump, steps).to(self.device)
        b_t = self.belief(x[None, : int(t) + 1])[0, -1]                   # (Hb,)
        mu, ls = self.p_B(b_t.expand(int(n_futures), -1))                 # (n, z)
        z = mu + torch.exp(ls) * torch.randn_like(mu)
        jumps = torch.full((int(n_futures),), int(jump), dtype=torch.long, device=z.device)
        frames = []
        for _ in range(int(steps)):
            mu, ls = self.transition(z, jumps)
            z = mu + torch.exp(ls) * torch.randn_like(mu)
            frames.append(self.decode(z))                                 # (n, D)
        return torch.stack(frames, 1)                                     # (n, steps, D)

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        """Each frame decoded from the mean of its belief p_B(z|b_t): (B, T, D)."""
        self._check_x(x)
        return self.decode(self.p_B(self.belief(x))[0])

    @torch.no_grad()
    def sample(self, n: int, y: Tensor | None = None) -> Tensor:
        """n sequences of T frames: the first frame of a recently seen sequence, then jumps of jump_min."""
        ctx = self._context
        if ctx is None:
            ctx = torch.zeros(1, 1, self.D, device=self.device)
        seqs = []
        for i in range(int(n)):
            first = ctx[i % ctx.shape[0], 0]                              # (D,)
            steps = -(-(self.T - 1) // self.cfg.jump_min)
            fut = self.rollout(first[None], 0, 1, self.cfg.jump_min, min(64, steps))[0]
            seqs.append(torch.cat([first[None], fut], 0)[: self.T])
        return torch.stack(seqs)                                           # (n, ≤T, D)
