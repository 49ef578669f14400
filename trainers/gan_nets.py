"""The players of the GAN lab: MLP, DCGAN and StyleGAN-style generators; MLP and conv discriminators.

Seed 004 §2.1–2.2 and listing 2. Every generator maps z (B, z_dim) to a sample shaped like the data:
points (B, 2) as they are, images (B, C, H, W) in [0, 1] through a sigmoid. Every discriminator is a
``body`` (features, used by feature matching) followed by a linear ``head`` giving one logit/critic
value per sample; minibatch std (Karras et al., 2018) adds one batch statistic before the head, minibatch
discrimination (Salimans et al., 2016) one closeness-to-the-batch feature per kernel.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm


# ----------------------------------------------------------------------------- generators
class MLPGenerator(nn.Module):
    """z -> Linear/ReLU ×2 -> data: the GAN Lab / Unrolled-GAN generator for 2D points (or flat images)."""

    def __init__(self, z_dim: int, data_shape: tuple[int, ...], hidden: int, images: bool) -> None:
        super().__init__()
        self.data_shape = data_shape
        self.images = images
        n_out = math.prod(data_shape)
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, n_out))

    def forward(self, z: Tensor) -> Tensor:
        x = self.net(z).view(z.shape[0], *self.data_shape)
        return torch.sigmoid(x) if self.images else x


class DCGANGenerator(nn.Module):
    """DCGAN (Radford et al., 2016): linear -> (4w, H/4, W/4) then two stride-2 transposed convs,
    BatchNorm + ReLU between them; seed 004 §2.1."""

    def __init__(self, z_dim: int, data_shape: tuple[int, int, int], width: int) -> None:
        super().__init__()
        c, h, w = data_shape
        self.base = (2 * width, h // 4, w // 4)
        self.fc = nn.Sequential(nn.Linear(z_dim, math.prod(self.base)), nn.BatchNorm1d(math.prod(self.base)),
                                nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, c, 4, 2, 1))

    def forward(self, z: Tensor) -> Tensor:
        h = self.fc(z).view(z.shape[0], *self.base)       # (B, 2w, H/4, W/4)
        return torch.sigmoid(self.deconv(h))               # (B, C, H, W)


class ModulatedConv(nn.Module):
    """StyleGAN2's modulated convolution (seed 004 listing 2; Karras et al., 2020, eq. 1–3).

    One weight per sample: w'_{o,i,k} = w_{o,i,k} · s_i (modulation), then divided by
    sqrt(Σ_{i,k} w'² + ε) (demodulation, which replaces AdaIN's instance norm). Computed as StyleGAN2's
    non-fused path: scale the input channels by s, run one shared conv, scale the outputs by the
    demodulation factor. Same numbers as a per-sample (grouped) conv, several times faster on a CPU.
    """

    def __init__(self, c_in: int, c_out: int, w_dim: int, k: int = 3, demodulate: bool = True,
                 upsample: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, c_out, c_in, k, k))     # listing 2, line 5
        self.scale = 1.0 / math.sqrt(c_in * k * k)        # equalised learning rate: weights stay N(0, 1)
        self.modulation = nn.Linear(w_dim, c_in)           # listing 2, line 7: w -> style s
        nn.init.ones_(self.modulation.bias)                # styles start at 1: the plain conv at init
        self.demodulate, self.upsample, self.k = demodulate, upsample, k

    def modulated_weight(self, w: Tensor) -> Tensor:
        """The per-sample weight of listing 2, lines 13–14, demodulated: (B, C_out, C_in, k, k)."""
        s = self.modulation(w)[:, None, :, None, None]                     # (B, 1, C_in, 1, 1)
        weight = self.scale * self.weight * (s + 1e-8)                     # (B, C_out, C_in, k, k)
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum(dim=(2, 3, 4), keepdim=True) + 1e-8)
        return weight

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        B, c_in = x.shape[:2]
        s = self.modulation(w) + 1e-8                                      # (B, C_in), listing 2 line 13
        x = x * s[:, :, None, None]                                        # modulate = scale input channels
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")           # line 16: upsample_2x
        weight = self.scale * self.weight[0]                               # (C_out, C_in, k, k)
        out = F.conv2d(x, weight, padding=self.k // 2)                     # line 17, one conv for the batch
        if self.demodulate:
            # 1/sqrt(Σ_{i,k} (w_{o,i,k} s_i)² + ε) per sample and output channel: (B, C_out)
            d = torch.rsqrt(s.pow(2) @ weight.pow(2).sum(dim=(2, 3)).t() + 1e-8)
            out = out * d[:, :, None, None]
        return out


class StyledConv(nn.Module):
    """Modulated conv + per-pixel noise scaled per channel (noise injection) + bias + LeakyReLU(0.2)."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, upsample: bool = False) -> None:
        super().__init__()
        self.conv = ModulatedConv(c_in, c_out, w_dim, upsample=upsample)
        self.noise_weight = nn.Parameter(torch.zeros(1, c_out, 1, 1))     # listing 2, line 8: learnt, starts off
        self.bias = nn.Parameter(torch.zeros(1, c_out, 1, 1))
        self.activation = nn.LeakyReLU(0.2)

    def forward(self, x: Tensor, w: Tensor, noise: Tensor | None = None,
                generator: torch.Generator | None = None) -> Tensor:
        x = self.conv(x, w)
        if noise is None:
            gen = {} if generator is None else {"generator": generator}
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, **gen)   # (B, 1, H, W)
        x = x + self.noise_weight * noise                                  # listing 2, line 16
        return self.activation(x + self.bias)


class StyleGenerator(nn.Module):
    """A small StyleGAN2-style generator: mapping z -> w, a learnt constant, three styled convs
    (two of them upsampling ×2) and a modulated 1×1 toRGB without demodulation."""

    def __init__(self, z_dim: int, data_shape: tuple[int, int, int], width: int, mapping_layers: int) -> None:
        super().__init__()
        c, h, w = data_shape
        layers: list[nn.Module] = []
        for _ in range(mapping_layers):
            layers += [nn.Linear(z_dim, z_dim), nn.LeakyReLU(0.2)]
        self.mapping = nn.Sequential(*layers)              # z -> w (same size, as in StyleGAN)
        ch = 2 * width
        self.const = nn.Parameter(torch.randn(1, ch, h // 4, w // 4))
        self.convs = nn.ModuleList([StyledConv(ch, ch, z_dim), StyledConv(ch, ch, z_dim, upsample=True),
                                    StyledConv(ch, width, z_dim, upsample=True)])
        self.to_rgb = ModulatedConv(width, c, z_dim, k=1, demodulate=False)
        self.rgb_bias = nn.Parameter(torch.zeros(1, c, 1, 1))

    def map(self, z: Tensor) -> Tensor:
        z = z * torch.rsqrt(z.pow(2).mean(1, keepdim=True) + 1e-8)   # pixel norm of z, as StyleGAN
        return self.mapping(z)                                       # (B, w_dim)

    def forward(self, z: Tensor, generator: torch.Generator | None = None) -> Tensor:
        w = self.map(z)
        x = self.const.expand(z.shape[0], -1, -1, -1)                  # (B, 2w, H/4, W/4)
        for conv in self.convs:
            x = conv(x, w, generator=generator)                                           # ... -> (B, w, H, W)
        return torch.sigmoid(self.to_rgb(x, w) + self.rgb_bias)       # (B, C, H, W)


# ----------------------------------------------------------------------------- discriminators
def minibatch_std(h: Tensor) -> Tensor:
    """One number per batch: the std of each feature across the batch, averaged (ProGAN, Karras et al.,
    2018, §3: "minibatch standard deviation").

    A collapsed generator gives fakes with a tiny std, which D can then spot: a simplified relative of
    minibatch discrimination (see :class:`MinibatchDiscrimination`). The ε keeps the gradient finite at std 0.
    """
    return torch.sqrt(h.var(0, unbiased=False) + 1e-8).mean()


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. (2016), §3.2: D compares each sample with the rest of its minibatch.

    f(x_i) ∈ R^A times a learnt tensor T ∈ R^{A×B×C} gives M_i ∈ R^{B×C}; for each of the B kernels,
    c_b(x_i, x_j) = exp(−‖M_{i,b} − M_{j,b}‖_{L1}) and o(x_i)_b = Σ_{j=1}^{n} c_b(x_i, x_j) (j = i included, as
    in the paper's formula: a constant 1; the authors' code leaves it out). The output is [f(x_i), o(x_i)]:
    A + B features. Samples of a collapsed G are all close, so their o is large: D can see it.
    """

    def __init__(self, in_features: int, kernels: int = 16, kernel_dim: int = 5) -> None:
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Parameter(0.05 * torch.randn(in_features, kernels, kernel_dim))   # N(0, 0.05²) as their code

    def project(self, f: Tensor) -> Tensor:
        """M = f T: (N, A) -> (N, B, C)."""
        return torch.einsum("na,abc->nbc", f, self.T)

    def forward(self, f: Tensor, ref: Tensor | None = None) -> Tensor:
        """f (N, A) -> (N, A + B). ``ref`` (R, A): features of the *other* members of the batch to compare
        with instead of f's own rows (views evaluate a grid as if each point sat in a batch of fakes)."""
        M = self.project(f)                                                      # (N, B, C)
        if ref is None:
            c = torch.exp(-(M[:, None] - M[None, :]).abs().sum(-1))              # (N, N, B)
            o = c.sum(1)                                                         # (N, B)
        else:
            R = self.project(ref)                                                # (R, B, C)
            o = 1 + torch.exp(-(M[:, None] - R[None, :]).abs().sum(-1)).sum(1)   # itself + the others
        return torch.cat([f, o], 1)


class Discriminator(nn.Module):
    """``body`` (B, ...) -> features (B, F); ``head`` -> one value per sample (B,). Between them, optional
    batch layers: ProGAN's minibatch std (one feature) and Salimans' minibatch discrimination (16)."""

    def __init__(self, body: nn.Module, feat_dim: int, mbstd: bool, mbdisc: bool = False) -> None:
        super().__init__()
        self.body = body
        self.mbstd = mbstd
        self.mbdisc = MinibatchDiscrimination(feat_dim) if mbdisc else None
        extra = int(mbstd) + (self.mbdisc.kernels if mbdisc else 0)
        self.head = nn.Linear(feat_dim + extra, 1)

    @property
    def batch_dependent(self) -> bool:
        """True when D's answer for one sample depends on the others in its batch."""
        return self.mbstd or self.mbdisc is not None

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor, stat: Tensor | None = None, ref: Tensor | None = None) -> Tensor:
        """``stat``: the minibatch-std value to use instead of this batch's own; ``ref``: features of the
        batch that minibatch discrimination compares each sample with (views on a grid)."""
        h = self.features(x)                                                     # (B, F)
        parts = [h if self.mbdisc is None else self.mbdisc(h, ref)]              # (B, F) or (B, F + kernels)
        if self.mbstd:
            s = minibatch_std(h) if stat is None else stat
            parts.append(s.reshape(1, 1).expand(h.shape[0], 1))
        h = parts[0] if len(parts) == 1 else torch.cat(parts, 1)
        return self.head(h).squeeze(1)


def mlp_discriminator(data_shape: tuple[int, ...], hidden: int, mbstd: bool, mbdisc: bool = False) -> Discriminator:
    body = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(data_shape), hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, hidden), nn.LeakyReLU(0.2))
    return Discriminator(body, hidden, mbstd, mbdisc)


def conv_discriminator(data_shape: tuple[int, int, int], width: int, mbstd: bool, norm: bool,
                       mbdisc: bool = False) -> Discriminator:
    """DCGAN's D: stride-2 convs with LeakyReLU(0.2), BatchNorm on the second when ``norm``.

    No BatchNorm for WGAN-GP and hinge+SN: the gradient penalty is per sample and BatchNorm mixes
    samples (Gulrajani et al., 2017, §4), and spectral norm already controls the scale.
    """
    c, h, w = data_shape
    body = nn.Sequential(
        nn.Conv2d(c, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width) if norm else nn.Identity(),
        nn.LeakyReLU(0.2), nn.Flatten())
    return Discriminator(body, 2 * width * (h // 4) * (w // 4), mbstd, mbdisc)


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Divide every Linear/Conv weight by its largest singular value (Miyato et al., 2018; seed 004 §2.2),
    estimated by one power iteration per training forward pass."""
    for name, child in list(module.named_children()):
        if isinstance(child, (nn.Linear, nn.Conv2d)):
            setattr(module, name, spectral_norm(child))
        else:
            apply_spectral_norm(child)
    return module
