"""Checkpoints: a run survives save → load unchanged and keeps training; bad files raise ValueError."""
from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load, save as st_save

import trainers
from trainers import checkpoint, data, loop, vae


@pytest.fixture(scope="module")
def trained(digits) -> tuple[loop.Run, bytes]:
    run = loop.Run("vae", vae.Config(latent_dim=6, hidden=64, batch_size=64, warmup_epochs=3), digits)
    for _ in loop.train(run, steps=60):          # 2.5 epochs: history, epoch means, Adam moments
        pass
    return run, checkpoint.save(run)


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _rezip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, raw in members.items():
            zf.writestr(n, raw)
    return buf.getvalue()


def _edit_config(blob: bytes, **changes) -> bytes:
    m = _members(blob)
    cfg = json.loads(m["config.json"])
    for k, v in changes.items():
        if k.startswith("config."):
            cfg["config"][k[7:]] = v
        else:
            cfg[k] = v
    m["config.json"] = json.dumps(cfg).encode()
    return _rezip(m)


# ----------------------------------------------------------------------------- round trip
def test_archive_contents(trained):
    run, blob = trained
    m = _members(blob)
    assert {"model.safetensors", "config.json", "metrics.csv", "epochs.csv", "optimizer.safetensors"} <= set(m)
    cfg = json.loads(m["config.json"])
    assert cfg["family"] == "vae" and cfg["dataset"] == "digits" and cfg["step"] == 60 and cfg["epoch"] == 2
    assert cfg["config"] == run.cfg.to_dict() and cfg["torch"] == torch.__version__
    header_len = int.from_bytes(m["model.safetensors"][:8], "little")
    meta = json.loads(m["model.safetensors"][8:8 + header_len])["__metadata__"]
    assert meta["family"] == "vae" and meta["dataset"] == "digits"
    assert json.loads(meta["config"])["latent_dim"] == 6
    assert m["metrics.csv"].decode().splitlines()[0].startswith("step,total,recon,kl")
    assert len(m["metrics.csv"].decode().splitlines()) == 61
    assert len(m["epochs.csv"].decode().splitlines()) == 3
    assert checkpoint.filename(run) == "vae-digits-step60.zip"


def test_round_trip_gives_identical_weights_samples_and_history(trained, tmp_path):
    run, blob = trained
    path = tmp_path / "run.zip"
    path.write_bytes(blob)
    on_cpu = checkpoint.load(blob, device="cpu").model.state_dict()   # trained on CUDA where there is one
    assert all(torch.equal(v.cpu(), on_cpu[k]) for k, v in run.model.state_dict().items())
    for src in (blob, path, str(path)):
        new = checkpoint.load(src, device=run.device)   # the same device: the same random draws
        assert new.family == "vae" and new.cfg == run.cfg and new.data.name == "digits"
        assert new.step == 60 and new.epoch == 2
        old_sd, new_sd = run.model.state_dict(), new.model.state_dict()
        assert old_sd.keys() == new_sd.keys()
        for k in old_sd:
            assert torch.equal(old_sd[k], new_sd[k]), k
        with run.evaluating() as a, new.evaluating() as b:
            torch.manual_seed(7)
            sa = a.sample(16)
            torch.manual_seed(7)
            sb = b.sample(16)
            assert torch.equal(sa, sb)
            assert torch.equal(a.reconstruct(run.data.x_test[:8]), b.reconstruct(new.data.x_test[:8]))
        assert new.history.steps == run.history.steps
        for k, col in run.history.terms.items():
            np.testing.assert_allclose(new.history.terms[k], col, rtol=1e-5)
        assert [e["epoch"] for e in new.history.epochs] == [1, 2]
        np.testing.assert_allclose([e["total"] for e in new.history.epochs],
                                   [e["total"] for e in run.history.epochs], rtol=1e-5)
        # Adam's moments came back too, so resuming does not restart the optimiser
        so, sn = run.model.optimizers[0].state_dict(), new.model.optimizers[0].state_dict()
        for pid in so["state"]:
            for key in ("exp_avg", "exp_avg_sq"):
                assert torch.equal(so["state"][pid][key], sn["state"][pid][key])
            assert float(so["state"][pid]["step"]) == float(sn["state"][pid]["step"]) == 60


def test_training_continues_after_load(trained):
    run, blob = trained
    new = checkpoint.load(blob)
    before = run.history.terms["total"][-10:]
    totals = [m.terms["total"] for m in loop.train(new, steps=60)]
    assert new.step == 120 and new.history.steps[-1] == 120 and len(new.history.steps) == 120
    assert new.epoch >= 4 and [e["epoch"] for e in new.history.epochs][:2] == [1, 2]
    # no spike on resuming (the optimiser state is restored) and the loss keeps falling
    assert totals[0] < 1.25 * np.mean(before)
    assert np.mean(totals[-10:]) < np.mean(before)
    # the KL warm-up resumed where it stood: β = epoch / 3
    assert new.history.epochs[2]["beta"] == pytest.approx(2 / 3, rel=1e-5)
    # the original run is untouched
    assert run.step == 60


def test_round_trip_conv_conditional_and_uploaded_data(tmp_path):
    x = (np.random.default_rng(0).random((40, 16, 16)) > 0.5).astype(np.uint8) * 255
    p = tmp_path / "mine.npz"
    np.savez(p, x=x, y=np.arange(40) % 2)
    up = data.from_upload(p, size=16)
    run = loop.Run("vae", vae.Config(arch="conv", conditional=True, latent_dim=3, batch_size=16), up)
    for _ in loop.train(run, steps=3):
        pass
    blob = checkpoint.save(run)
    with pytest.raises(ValueError, match="uploaded images .*mine.npz.*upload the same images again"):
        checkpoint.load(blob)
    new = checkpoint.load(blob, data=up)
    for k, v in run.model.state_dict().items():
        assert torch.equal(v, new.model.state_dict()[k])
    with pytest.raises(ValueError, match=r"trained on data of shape \(1, 16, 16\)"):
        checkpoint.load(blob, data=data.load("digits"))
    assert checkpoint.filename(run) == "vae-mine-npz-step3.zip"


def test_every_family_round_trips(digits):
    """Generic over trainers.FAMILIES: every family (each must import) builds on digits (or a sequence set)
    and survives."""
    for fam in trainers.FAMILIES:
        mod = trainers.family(fam)          # an ImportError here fails the test: every family must import
        try:
            run = loop.Run(fam, mod.Config(), digits)
        except ValueError:
            from trainers import tdvae_data as sequences
            run = loop.Run(fam, mod.Config(), sequences.load(sequences.SEQUENCE_DATASETS[0], length=8))
        for _ in loop.train(run, steps=1):
            pass
        new = checkpoint.load(checkpoint.save(run))
        assert new.family == fam and new.step == 1
        for k, v in run.model.state_dict().items():
            assert torch.equal(v, new.model.state_dict()[k]), (fam, k)


# ----------------------------------------------------------------------------- bad files
def test_not_a_zip(tmp_path):
    with pytest.raises(ValueError, match="not a .zip archive"):
        checkpoint.load(b"hello, not a zip at all")
    with pytest.raises(ValueError, match="could not be found"):
        checkpoint.load(tmp_path / "missing.zip")


@pytest.mark.parametrize("drop", ["model.safetensors", "config.json"])
def test_missing_members(trained, drop):
    m = _members(trained[1])
    del m[drop]
    with pytest.raises(ValueError, match=f"lacks {drop}"):
        checkpoint.load(_rezip(m))


def test_optional_members_may_be_missing(trained):
    m = _members(trained[1])
    for n in ("optimizer.safetensors", "metrics.csv", "epochs.csv"):
        del m[n]
    new = checkpoint.load(_rezip(m))
    assert new.step == 60 and new.history.steps == []


def test_torch_pickle_is_never_unpickled(trained, monkeypatch):
    """A torch.save file is itself a zip with a pickle inside: it must be refused without unpickling."""
    run, blob = trained
    calls = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: calls.append(a) or None)
    monkeypatch.setattr(pickle, "load", lambda *a, **k: calls.append(a) or None)
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(a) or None)
    buf = io.BytesIO()
    torch.save(run.model.state_dict(), buf)
    with pytest.raises(ValueError, match="lacks model.safetensors"):
        checkpoint.load(buf.getvalue())
    m = _members(blob)
    m["model.safetensors"] = buf.getvalue()                # a pickle where safetensors belongs
    with pytest.raises(ValueError, match="model.safetensors in the checkpoint is not a valid safetensors"):
        checkpoint.load(_rezip(m))
    assert calls == []


@pytest.mark.parametrize("raw, match", [
    (b"{not json", "config.json in the checkpoint is not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[1, 2]", "must hold a JSON object"),
    (b'{"family": "vae", "config": {}}', "must name the dataset"),
    (b'{"family": "flow", "config": {}, "dataset": "digits"}', "unknown model family 'flow'"),
    (b'{"family": "vae", "config": [], "dataset": "digits"}', "settings as an object"),
])
def test_malformed_config_json(trained, raw, match):
    m = _members(trained[1])
    m["config.json"] = raw
    with pytest.raises(ValueError, match=match):
        checkpoint.load(_rezip(m))


@pytest.mark.parametrize("changes, match", [
    ({"config.latent_dim": 999}, "settings are not valid: latent size must be between 2 and 64"),
    ({"config.recon": "l1"}, "settings are not valid: reconstruction loss must be one of"),
    ({"config.lr": "fast"}, "learning rate must be a number"),
    ({"config.wings": 2}, "Unknown setting.*wings"),
    ({"step": -5}, "'step' must be a whole number"),
    ({"epoch": "two"}, "'epoch' must be a whole number"),
    ({"dataset": "cifar"}, "Unknown dataset 'cifar'"),
    ({"data_shape": [1, 8, "x"]}, "data_shape must be a list"),
    ({"config.latent_dim": 4}, r"weight has shape \(\d+, \d+\), the model expects \(\d+, \d+\)"),
    ({"config.hidden": 80}, "The weights do not fit this model"),
    ({"config.arch": "conv"}, r"weights do not fit this model \(missing .*unexpected"),
    ({"config.conditional": True}, "The weights do not fit this model"),
])
def test_invalid_or_mismatched_settings(trained, changes, match):
    with pytest.raises(ValueError, match=match):
        checkpoint.load(_edit_config(trained[1], **changes))


def _edit_weights(blob: bytes, fn) -> bytes:
    m = _members(blob)
    t = dict(st_load(m["model.safetensors"]))
    fn(t)
    m["model.safetensors"] = st_save(t)
    return _rezip(m)


def test_bad_weights(trained):
    blob = trained[1]
    with pytest.raises(ValueError, match=r"missing encoder.0.bias"):
        checkpoint.load(_edit_weights(blob, lambda t: t.pop("encoder.0.bias")))
    with pytest.raises(ValueError, match=r"unexpected extra.weight"):
        checkpoint.load(_edit_weights(blob, lambda t: t.update({"extra.weight": torch.zeros(2)})))
    with pytest.raises(ValueError, match=r"decoder.0.weight has shape \(3, 3\)"):
        checkpoint.load(_edit_weights(blob, lambda t: t.update({"decoder.0.weight": torch.zeros(3, 3)})))
    with pytest.raises(ValueError, match=r"NaN or infinite values \(encoder.0.weight\)"):
        checkpoint.load(_edit_weights(blob, lambda t: t["encoder.0.weight"].fill_(float("nan"))))
    with pytest.raises(ValueError, match=r"dtype torch.int64"):
        checkpoint.load(_edit_weights(blob, lambda t: t.update({"encoder.0.bias": torch.zeros(64, dtype=torch.long)})))


def test_truncated_or_garbled_tensors(trained):
    m = _members(trained[1])
    full = m["model.safetensors"]
    for bad in (full[: len(full) // 2], b"\x00" * 16, b"junk"):
        m["model.safetensors"] = bad
        with pytest.raises(ValueError, match="not a valid safetensors file"):
            checkpoint.load(_rezip(m))


def test_bad_optimizer_state(trained):
    m = _members(trained[1])
    t = dict(st_load(m["optimizer.safetensors"]))
    t["opt0.0.exp_avg"] = torch.zeros(2, 2)
    m["optimizer.safetensors"] = st_save(t)
    with pytest.raises(ValueError, match="opt0.0.exp_avg has shape"):
        checkpoint.load(_rezip(m))
    t.pop("opt0.0.exp_avg")
    t["opt0.99.exp_avg"] = torch.zeros(2)
    m["optimizer.safetensors"] = st_save(t)
    with pytest.raises(ValueError, match="refers to parameter 99"):
        checkpoint.load(_rezip(m))


@pytest.mark.parametrize("name, text, match", [
    ("metrics.csv", "when,total\n1,2\n", "first column must be 'step'"),
    ("metrics.csv", "step,total\n1,2,3\n", "line 2 has 3 values"),
    ("metrics.csv", "step,total\n1,abc\n", "malformed"),
    ("epochs.csv", "epoch,step,total\n1,x,3\n", "malformed"),
])
def test_malformed_metrics(trained, name, text, match):
    m = _members(trained[1])
    m[name] = text.encode()
    with pytest.raises(ValueError, match=match):
        checkpoint.load(_rezip(m))


def test_size_limits(trained, monkeypatch, tmp_path):
    blob = trained[1]
    monkeypatch.setattr(checkpoint, "MAX_BYTES", len(blob) - 1)
    with pytest.raises(ValueError, match="the limit is"):
        checkpoint.load(blob)
    p = tmp_path / "big.zip"
    p.write_bytes(blob)
    with pytest.raises(ValueError, match="the limit is"):
        checkpoint.load(p)
    # a small file that inflates past the limit (zip bomb) is refused before inflating
    monkeypatch.setattr(checkpoint, "MAX_BYTES", 100_000)
    m = _members(blob)
    m["metrics.csv"] = b"step,total\n" + b"1,1\n" * 100_000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", m["config.json"])
        zf.writestr("model.safetensors", b"x")
        zf.writestr("metrics.csv", m["metrics.csv"])
    assert len(buf.getvalue()) < 100_000
    with pytest.raises(ValueError, match="unpacks to more than"):
        checkpoint.load(buf.getvalue())


def test_load_restores_good_weights_for_divergence(trained):
    """A NaN right after resuming falls back to the loaded weights, not to nothing."""
    run, blob = trained
    new = checkpoint.load(blob)
    new.model.optimizers[0].param_groups[0]["lr"] = 10.0      # make the next steps explode
    with pytest.raises(trainers.base.Diverged):
        for _ in loop.train(new, steps=40):
            pass
    assert all(torch.isfinite(p).all() for p in new.model.parameters())
