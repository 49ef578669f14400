"""Latent diffusion (Rombach et al. 2022, §3; seed 004 §3.2): diffuse the latent codes of an autoencoder, decode.

One run, two stages (``Config.latent``):

1. ``ae_steps`` steps of a small MLP autoencoder on the images: x → E(x) = z ∈ R^d → D(z) ≈ x (MSE, with a
   light L2 on z so the codes stay near the origin; Rombach et al. regularise theirs with a KL or VQ term).
2. DDPM on the codes, exactly the 2D-points model on (d,) vectors: z_0 = (E(x) − m)/s with (m, s) the codes'
   per-dimension mean and spread fixed at the start of the stage (Rombach et al.'s "scale factor", §4.3.2),
   eq. 9 and eq. 10 on z_0 with the encoder frozen (no gradient reaches it), as Rombach et al. train theirs.

Samples come from the reverse process in latent space (any sampler, any guidance), then x = D(s·z_0 + m).
The autoencoder's weights, (m, s), and the first ``CODES`` codes seen in stage 2 are buffers and parameters of
the model, so a checkpoint carries all of it: an exported run decodes, continues and shows its codes after import.
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import Batch, GenerativeModel, finite
from .diffusion import Model
from .layers import mlp

CODES = 2048          # latent codes kept with the run (the PCA view's "data")
NO_AE = ("Latent diffusion needs a trained autoencoder, and 'autoencoder steps (latent)' is 0. Set it above 0 "
         "(e.g. 300) so the run first trains one on the spot, on these images, then diffuses its codes.")


class LatentModel(Model):
    """``Model`` on (d,) codes (its points path), with an autoencoder in front and behind."""

    def __init__(self, cfg, data_shape: tuple[int, ...], num_classes: int = 0) -> None:
        if len(data_shape) != 3:
            raise ValueError("Latent diffusion compresses images: pick digits, sprites, mnist or fashion-mnist "
                             "(2D points are already 2-dimensional), or turn 'latent diffusion' off.")
        if cfg.ae_steps <= 0:
            raise ValueError(NO_AE)
        d = int(cfg.latent_dim)
        super().__init__(cfg, (d,), num_classes)                    # ε_θ: the MLP of the points path, on R^d
        self.pixel_shape = tuple(data_shape)
        D, H = math.prod(data_shape), int(cfg.ae_hidden)
        self.encoder = mlp([D, H, H, d], act=torch.nn.SiLU)
        self.decoder = mlp([d, H, H, D], act=torch.nn.SiLU)
        self.register_buffer("ae_trained", torch.zeros((), dtype=torch.long))
        self.register_buffer("z_mean", torch.zeros(d))
        self.register_buffer("z_std", torch.ones(d))
        self.register_buffer("scaled", torch.zeros((), dtype=torch.long))    # 1 once (m, s) are fixed
        self.register_buffer("codes", torch.zeros(CODES, d))
        self.register_buffer("n_codes", torch.zeros((), dtype=torch.long))
        # the codes' clip box grows from the first diffusion step; finite until then, so a run exported during
        # the autoencoder stage passes the checkpoint's finite-weights check
        self.x_lo.fill_(1e6)
        self.x_hi.fill_(-1e6)

    # -- the autoencoder ---------------------------------------------------------------------
    @property
    def stage(self) -> str:
        return "autoencoder" if int(self.ae_trained) < self.cfg.ae_steps else "diffusion"

    def encode_raw(self, x: Tensor) -> Tensor:
        return self.encoder((x * 2 - 1).flatten(1))                              # (B, d)

    def encode(self, x: Tensor) -> Tensor:
        """Images in [0, 1] → standardised codes z_0 (what the diffusion sees)."""
        return (self.encode_raw(x) - self.z_mean) / self.z_std

    def decode(self, z: Tensor) -> Tensor:
        """Standardised codes → images in [0, 1]."""
        h = self.decoder(z * self.z_std + self.z_mean)
        return torch.sigmoid(h).view(-1, *self.pixel_shape)

    def to_data_space(self, x: Tensor) -> Tensor:
        return self.decode(x)

    def _ae_loss(self, batch: Batch) -> dict[str, Tensor]:
        z = self.encode_raw(batch.x)
        logits = self.decoder(z).view(-1, *self.pixel_shape)
        recon = F.mse_loss(torch.sigmoid(logits), batch.x)
        reg = 1e-3 * z.pow(2).mean()
        return {"loss": recon + reg, "ae_recon": recon.detach(), "z": z.detach()}

    # -- training: stage 1, then stage 2 ------------------------------------------------------
    def loss(self, batch: Batch) -> dict[str, Tensor]:
        # both stages report the same terms, so the epoch table keeps one header and every value is a number:
        # stage 1 adds the (not yet trained) denoiser's ε-MSE on the batch's codes, stage 2 the frozen D(E(x))'s MSE
        if self.stage == "autoencoder":
            out = self._ae_loss(batch)
            with torch.no_grad():
                z = out.pop("z")
                z0 = (z - z.mean(0)) / z.std(0).clamp(min=1e-3)
                was, self.training = self.training, False           # leave the codes' clip box alone
                try:
                    side = Model.loss(self, Batch(z0, batch.y))
                finally:
                    self.training = was
            side.pop("loss")
            return {**out, **side}
        with torch.no_grad():                                                    # the encoder is frozen now
            raw = self.encode_raw(batch.x)
            if not int(self.scaled) and self.training:                           # fix (m, s) once, from a batch
                self.z_mean.copy_(raw.mean(0))
                self.z_std.copy_(raw.std(0).clamp(min=1e-3))
                self.scaled.fill_(1)
            z0 = (raw - self.z_mean) / self.z_std                                # (B, d)
            if self.training and int(self.n_codes) < CODES:                       # keep codes with the run
                k = int(self.n_codes)
                take = z0[: CODES - k]
                self.codes[k:k + len(take)] = take
                self.n_codes += len(take)
            recon = F.mse_loss(self.decode(z0), batch.x)
        return {**super().loss(Batch(z0, batch.y)), "ae_recon": recon}          # eq. 9–10 on the codes

    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        if self.stage == "diffusion":
            return super().train_step(batch)                                     # counts trained_steps
        out = GenerativeModel.train_step(self, batch)
        if finite(out["loss"]):
            self.ae_trained += 1
        return out

    def check_ready(self, n: int) -> None:
        if self.stage == "autoencoder":
            raise ValueError(f"The autoencoder stage is still running ({int(self.ae_trained)} of "
                             f"{self.cfg.ae_steps} steps): train on until the diffusion stage starts.")
        super().check_ready(n)

    def stored_codes(self) -> Tensor:
        """The latent codes kept with the run (standardised), (≤ CODES, d)."""
        return self.codes[: int(self.n_codes)]


@torch.no_grad()
def reconstruct(model: LatentModel, x: Tensor) -> Tensor:
    """D(E(x)): what the autoencoder keeps of the images (the ceiling of latent diffusion's quality)."""
    return model.decode(model.encode(x.to(model.device)))


def speed_compare(run, steps: int = 10, seconds: float = 4.0) -> dict[str, float]:
    """Steps per second of this run's latent diffusion step against a pixel-space DDPM (same settings, the
    U-Net on the images) on the same batches, both timed here, one after the other, on copies: the run
    itself does not move. Each side runs ``steps`` steps or ``seconds``, whichever ends first. Returns {"latent": steps/s, "pixel": steps/s, "ratio": latent/pixel}."""
    import copy

    from .diffusion import Config
    from .loop import Run
    if not isinstance(run.model, LatentModel) or run.model.stage != "diffusion":
        raise ValueError("Train a latent-diffusion run into its diffusion stage first (past the autoencoder "
                         "steps), then compare speeds.")
    lat = copy.deepcopy(run.model)
    lat.rng = torch.Generator(device=run.device).manual_seed(0)
    lat.optimizers = lat.configure_optimizers()
    pix_cfg = Config(**{**run.cfg.to_dict(), "latent": False, "classifier": False})
    pix = Run("diffusion", pix_cfg, run.data, device=run.device).model
    x = run.data.x[: run.batch_size]
    y = None if run.data.y is None else run.data.y[: run.batch_size]
    out = {}
    for name, m in (("latent", lat), ("pixel", pix)):
        m.train()
        m.train_step(Batch(x, y))                                                # warm-up (allocations)
        t0, done = time.perf_counter(), 0
        while done < steps and (done < 2 or time.perf_counter() - t0 < seconds):
            m.train_step(Batch(x, y))
            done += 1
        out[name] = done / max(time.perf_counter() - t0, 1e-9)
    out["ratio"] = out["latent"] / out["pixel"]
    return out
