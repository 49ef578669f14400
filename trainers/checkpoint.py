"""Save and load a run as one .zip: weights (safetensors), config (JSON), metrics (CSV).

The archive holds

* ``model.safetensors``   the model's ``state_dict``; its metadata repeats family, config and data name;
* ``optimizer.safetensors`` the optimizers' moment tensors, so Adam resumes without a loss spike
  (optional on load: without it the optimizer starts fresh);
* ``position.safetensors`` the epoch's data order and the run's generator states, so a loaded run
  continues bit-identically (optional on load: without it the run starts a fresh epoch);
* ``config.json``         family, config dict, dataset name and shape, step, epoch, place in the epoch,
  torch version;
* ``metrics.csv``         every step's terms (``History.to_csv``), so the curves continue;
* ``epochs.csv``          every epoch's means;
* ``extras/<name>.safetensors`` each trained companion of the run (``run.extras``: VQ-VAE's priors), its
  weights, optimizer moments and loss curve; its settings go in ``config.json`` under ``"extras"``. The
  object gives ``checkpoint_state() -> (tensors, json)``; the family's ``load_extra(name, json, tensors,
  model)`` rebuilds it (optional on load, like the rest: a file without extras loads without them).

Loading a file that came from a visitor never unpickles anything: tensors come from safetensors,
the rest from JSON and CSV, and every part is checked before it touches a model. Any problem
raises ``ValueError`` with a sentence that says what is wrong.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from . import FAMILIES, family as _family
from .data import Dataset, load as load_dataset
from .loop import History, Run

FORMAT = 1
MAX_BYTES = 200 * 2**20          # a checkpoint of any family here is a few MB; refuse anything absurd
MAX_CONFIG_BYTES = 2**20          # config.json: settings and a little bookkeeping
MAX_CSV_BYTES = 32 * 2**20        # metrics.csv: ~100k steps of a few terms
REQUIRED = ("model.safetensors", "config.json")
OPTIONAL = ("optimizer.safetensors", "position.safetensors", "metrics.csv", "epochs.csv")
MAX_EXTRAS = 8                    # trained companions of one run (VQ-VAE: two priors)


# ----------------------------------------------------------------------------- save
def save(run: Run) -> bytes:
    """The run as the bytes of a .zip (see the module docstring)."""
    with run.lock:   # not while a train burst is half-way through a step
        weights = {k: v.detach().cpu().contiguous().clone() for k, v in run.model.state_dict().items()}
        opt_tensors, opt_meta = _optimizer_tensors(run)
        pos_tensors, position = run.position()
        config = {
            "format": FORMAT,
            "family": run.family,
            "config": run.cfg.to_dict(),
            "dataset": run.data.name,
            "data_shape": list(run.data.shape),
            "classes": list(run.data.classes),
            "step": int(run.step),
            "epoch": int(run.epoch),
            "torch": torch.__version__,
            "optimizers": opt_meta,
            "position": position,
        }
        extras = {name: obj.checkpoint_state() for name, obj in getattr(run, "extras", {}).items()}
        if extras:
            config["extras"] = {name: meta for name, (_, meta) in extras.items()}
        metrics, epochs = run.history.to_csv(), run.history.epochs_csv()
    meta = {"family": run.family, "config": json.dumps(config["config"]), "dataset": run.data.name,
            "format": str(FORMAT)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.safetensors", st_save(weights, metadata=meta))
        if opt_tensors:
            zf.writestr("optimizer.safetensors", st_save(opt_tensors))
        zf.writestr("position.safetensors", st_save({k: v.contiguous() for k, v in pos_tensors.items()}))
        zf.writestr("config.json", json.dumps(config, indent=2))
        zf.writestr("metrics.csv", metrics)
        zf.writestr("epochs.csv", epochs)
        for name, (tensors, _) in extras.items():
            zf.writestr(f"extras/{name}.safetensors",
                        st_save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}))
    return buf.getvalue()


def filename(run: Run) -> str:
    """A download name that says what is inside, e.g. ``vae-digits-step1200.zip``."""
    data = "".join(c if c.isalnum() or c in "-_" else "-" for c in run.data.name.replace("upload:", ""))
    return f"{run.family}-{data.strip('-') or 'data'}-step{run.step}.zip"


def _optimizer_tensors(run: Run) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    return optimizer_tensors(run.model.optimizers)


def optimizer_tensors(optimizers: list[torch.optim.Optimizer]) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    """Optimizer state as flat tensors ``opt{i}.{param}.{key}``; hyper-parameters come back from the config."""
    tensors: dict[str, torch.Tensor] = {}
    meta: list[dict[str, Any]] = []
    for i, opt in enumerate(optimizers):
        sd = opt.state_dict()
        meta.append({"type": type(opt).__name__, "n_params": sum(len(g["params"]) for g in sd["param_groups"])})
        for pid, st in sd["state"].items():
            for key, val in st.items():
                if isinstance(val, torch.Tensor):
                    tensors[f"opt{i}.{pid}.{key}"] = val.detach().cpu().contiguous().clone()
                elif isinstance(val, (int, float)):          # e.g. a plain-number step
                    tensors[f"opt{i}.{pid}.{key}"] = torch.tensor(float(val))
    return tensors, meta


# ----------------------------------------------------------------------------- load
def load(path_or_bytes: str | os.PathLike | bytes, data: Dataset | None = None,
         device: str | torch.device = "auto", check: Any = None) -> Run:
    """Rebuild a :class:`Run` from a checkpoint made by :func:`save`, checking every part first.

    ``data`` is needed when the run was trained on an uploaded dataset (it is not stored in the
    checkpoint); built-in datasets are loaded by name. ``check(family, cfg, data)``, when given, may refuse
    the run (ValueError) before its model is built: e.g. a budget of memory per visitor.
    """
    members = _read_zip(path_or_bytes)
    cfg_json = _parse_config(members["config.json"])
    fam = cfg_json["family"]
    try:
        mod = _family(fam)
    except ImportError:
        raise ValueError(f"This checkpoint is a {fam!r} model, which this version of the playground "
                         f"does not have yet.") from None
    try:
        cfg = mod.Config.from_dict(cfg_json["config"])
    except (ValueError, TypeError) as e:
        raise ValueError(f"The checkpoint's settings are not valid: {e}") from None

    data = _dataset_for(cfg_json, data, getattr(mod, "load_data", None))
    if check is not None:
        check(fam, cfg, data)
    run = Run(fam, cfg, data, device=device)    # ValueError from the model (e.g. conv on 8×8) propagates

    _load_weights(run, members["model.safetensors"])
    if "optimizer.safetensors" in members:
        _load_optimizer(run, members["optimizer.safetensors"])
    position = cfg_json.get("position")
    if not isinstance(position, dict) or "position.safetensors" not in members:
        position, pos_tensors = {}, {}   # an older file: a fresh pass at this epoch (warm-up continues)
    else:
        pos_tensors = _safetensors(members["position.safetensors"], "position.safetensors")
    run.restore_position(pos_tensors, {**position, "step": cfg_json["step"], "epoch": cfg_json["epoch"]})
    run.history = _parse_history(members.get("metrics.csv", b""), members.get("epochs.csv", b""))
    run.extras = _load_extras(cfg_json, members, getattr(mod, "load_extra", None), run.model)
    run.mark_good()                     # a NaN right after resuming restores these weights, not nothing
    return run


def _read_zip(src: str | os.PathLike | bytes) -> dict[str, bytes]:
    if isinstance(src, (bytes, bytearray, memoryview)):
        raw = bytes(src)
        if len(raw) > MAX_BYTES:
            raise ValueError(f"The checkpoint is {len(raw) / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB.")
        fh: Any = io.BytesIO(raw)
    else:
        p = Path(src)
        if not p.is_file():
            raise ValueError("The checkpoint file could not be found; please upload it again.")
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(f"The checkpoint is {size / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB.")
        fh = p
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValueError("This is not a playground checkpoint: the file is not a .zip archive.") from None
    with zf:
        names = set(zf.namelist())
        missing = [n for n in REQUIRED if n not in names]
        if missing:
            raise ValueError(f"This is not a playground checkpoint: the .zip lacks {', '.join(missing)}.")
        out: dict[str, bytes] = {}
        total = 0
        for n in REQUIRED + OPTIONAL:
            if n not in names:
                continue
            info = zf.getinfo(n)
            if n.endswith(".csv") and info.file_size > MAX_CSV_BYTES:
                raise ValueError(f"{n} in the checkpoint unpacks to {info.file_size / 2**20:.0f} MB; "
                                 f"the limit is {MAX_CSV_BYTES // 2**20} MB.")
            total += info.file_size
            if total > MAX_BYTES:    # a zip bomb: refuse before inflating it
                raise ValueError(f"The checkpoint unpacks to more than {MAX_BYTES // 2**20} MB; refusing it.")
            try:
                out[n] = zf.read(n)
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as e:
                raise ValueError(f"{n} in the checkpoint is damaged ({type(e).__name__}).") from None
        extras = sorted(n for n in names if n.startswith("extras/"))
        if len(extras) > MAX_EXTRAS:
            raise ValueError(f"The checkpoint holds {len(extras)} extras; a playground run has at most {MAX_EXTRAS}.")
        for n in extras:
            if not _extra_name(n[len("extras/"):-len(".safetensors")]) or not n.endswith(".safetensors"):
                raise ValueError(f"The checkpoint holds an unexpected file {n[:60]!r}.")
            total += zf.getinfo(n).file_size
            if total > MAX_BYTES:
                raise ValueError(f"The checkpoint unpacks to more than {MAX_BYTES // 2**20} MB; refusing it.")
            try:
                out[n] = zf.read(n)
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as e:
                raise ValueError(f"{n} in the checkpoint is damaged ({type(e).__name__}).") from None
    return out


def _extra_name(name: str) -> bool:
    return 0 < len(name) <= 40 and all(c.isascii() and (c.isalnum() or c in "_-") for c in name)


def _load_extras(c: dict[str, Any], members: dict[str, bytes], loader: Any, model: Any) -> dict[str, Any]:
    """The run's trained companions (``extras/<name>.safetensors`` + ``config.json["extras"][name]``)."""
    metas = c.get("extras", {})
    files = {n[len("extras/"):-len(".safetensors")] for n in members if n.startswith("extras/")}
    if not isinstance(metas, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in metas.items()):
        raise ValueError("config.json: \"extras\" must map each extra's name to its settings (an object).")
    if set(metas) != files:
        odd = sorted(set(metas) ^ files)
        raise ValueError(f"The checkpoint's extras do not match their settings in config.json ({', '.join(odd[:4])}).")
    if metas and loader is None:
        raise ValueError(f"This checkpoint holds extras ({', '.join(sorted(metas))}) that its family cannot load.")
    out = {}
    for name in sorted(metas):
        tensors = _safetensors(members[f"extras/{name}.safetensors"], f"extras/{name}.safetensors")
        out[name] = loader(name, metas[name], tensors, model)     # ValueError naming what does not fit
    return out


def _parse_config(raw: bytes) -> dict[str, Any]:
    try:
        if len(raw) > MAX_CONFIG_BYTES:
            raise ValueError(f"config.json is {len(raw):,} bytes; a playground's is under {MAX_CONFIG_BYTES:,}.")
        c = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"config.json in the checkpoint is not valid JSON ({e}).") from None
    except RecursionError:
        raise ValueError("config.json in the checkpoint is nested too deeply to be a playground's.") from None
    if not isinstance(c, dict):
        raise ValueError("config.json in the checkpoint must hold a JSON object.")
    fam = c.get("family")
    if not isinstance(fam, str) or fam not in FAMILIES:
        raise ValueError(f"config.json names an unknown model family {fam!r}; known: {', '.join(FAMILIES)}.")
    if not isinstance(c.get("config"), dict):
        raise ValueError("config.json must hold the model's settings as an object under \"config\".")
    if not isinstance(c.get("dataset"), str) or not c["dataset"]:
        raise ValueError("config.json must name the dataset the run was trained on (\"dataset\").")
    for key in ("step", "epoch"):
        v = c.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"config.json: {key!r} must be a whole number ≥ 0; got {v!r}.")
        c[key] = v
    shape = c.get("data_shape")
    if shape is not None and (not isinstance(shape, list) or not all(isinstance(s, int) and s > 0 for s in shape)):
        raise ValueError(f"config.json: data_shape must be a list of positive whole numbers; got {shape!r}.")
    return c


def _dataset_for(c: dict[str, Any], data: Dataset | None, family_loader: Any = None) -> Dataset:
    name = c["dataset"]
    if data is None:
        if name.startswith("upload:"):
            raise ValueError(f"This run was trained on your uploaded images ({name[7:]}), which a checkpoint "
                             f"does not contain: upload the same images again, then import the checkpoint.")
        shape = c.get("data_shape")
        # a family with data of its own (TD-VAE's sequences) loads it by name; the rest come from data.py
        data = family_loader(name, shape) if family_loader is not None else load_dataset(name)
    shape = c.get("data_shape")
    if shape is not None and list(data.shape) != shape:
        raise ValueError(f"The checkpoint was trained on data of shape {tuple(shape)}, but {data.name!r} "
                         f"has shape {data.shape}.")
    classes = c.get("classes")
    if isinstance(classes, list) and len(classes) != data.num_classes:
        raise ValueError(f"The checkpoint was trained on {len(classes)} classes, but {data.name!r} "
                         f"has {data.num_classes}.")
    return data


def _safetensors(raw: bytes, what: str) -> dict[str, torch.Tensor]:
    try:
        return st_load(raw)
    except Exception as e:     # safetensors raises its own error type for a bad header or truncated data
        raise ValueError(f"{what} in the checkpoint is not a valid safetensors file ({str(e)[:80]}).") from None


def _load_weights(run: Run, raw: bytes) -> None:
    load_weights(run.model, _safetensors(raw, "model.safetensors"))


def load_weights(module: torch.nn.Module, tensors: dict[str, torch.Tensor], what: str = "weights") -> None:
    """``module.load_state_dict(tensors)`` after checking every name, shape, dtype and value (ValueError)."""
    want = module.state_dict()
    missing = [k for k in want if k not in tensors]
    extra = [k for k in tensors if k not in want]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:4])}{' …' if len(missing) > 4 else ''}")
        if extra:
            parts.append(f"unexpected {', '.join(extra[:4])}{' …' if len(extra) > 4 else ''}")
        raise ValueError(f"The {what} do not fit this model ({'; '.join(parts)}).")
    for k in want:                  # in the model's order, so the first misfit named is the same every time
        t = tensors[k]
        if tuple(t.shape) != tuple(want[k].shape):
            raise ValueError(f"The {what} do not fit this model: {k} has shape {tuple(t.shape)}, "
                             f"the model expects {tuple(want[k].shape)}.")
        if t.is_floating_point() != want[k].is_floating_point():
            raise ValueError(f"The {what} do not fit this model: {k} has dtype {t.dtype}.")
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise ValueError(f"The {what} contain NaN or infinite values ({k}).")
    module.load_state_dict({k: t.to(want[k].dtype) for k, t in tensors.items()})


def _load_optimizer(run: Run, raw: bytes) -> None:
    load_optimizers(run.model.optimizers, _safetensors(raw, "optimizer.safetensors"))


def load_optimizers(optimizers: list[torch.optim.Optimizer], tensors: dict[str, torch.Tensor]) -> None:
    """Undo :func:`optimizer_tensors`: each optimizer's moments, checked against its parameters (ValueError)."""
    for i, opt in enumerate(optimizers):
        sd = opt.state_dict()
        params = [p for g in opt.param_groups for p in g["params"]]
        state: dict[int, dict[str, torch.Tensor]] = {}
        prefix = f"opt{i}."
        for name, t in tensors.items():
            if not name.startswith(prefix):
                continue
            try:
                pid_s, key = name[len(prefix):].split(".", 1)
                pid = int(pid_s)
            except ValueError:
                raise ValueError(f"optimizer.safetensors holds an unexpected entry {name!r}.") from None
            if not 0 <= pid < len(params):
                raise ValueError(f"optimizer.safetensors refers to parameter {pid}, but the model has {len(params)}.")
            if t.dim() > 0 and tuple(t.shape) != tuple(params[pid].shape):
                raise ValueError(f"optimizer.safetensors: {name} has shape {tuple(t.shape)}, "
                                 f"the parameter has {tuple(params[pid].shape)}.")
            if t.is_floating_point() and not torch.isfinite(t).all():
                raise ValueError(f"optimizer.safetensors: {name} contains NaN or infinite values.")
            state.setdefault(pid, {})[key] = t
        sd["state"] = state
        try:
            opt.load_state_dict(sd)
        except (ValueError, KeyError, RuntimeError, TypeError) as e:
            raise ValueError(f"The optimizer state does not fit this model ({str(e)[:80]}).") from None


def _parse_history(metrics: bytes, epochs: bytes) -> History:
    h = History()
    try:
        rows = list(csv.reader(io.StringIO(metrics.decode("utf-8"))))
        if rows:
            head = rows[0]
            if not head or head[0] != "step":
                raise ValueError("its first column must be 'step'")
            keys = head[1:]
            for i, r in enumerate(rows[1:], start=2):
                if not r:
                    continue
                if len(r) != len(head):
                    raise ValueError(f"line {i} has {len(r)} values, the header {len(head)}")
                h.append(int(r[0]), {k: float(v) for k, v in zip(keys, r[1:])})
        for i, r in enumerate(csv.DictReader(io.StringIO(epochs.decode("utf-8"))), start=2):
            row = {k: float(v) for k, v in r.items() if k is not None and v not in ("", None)}   # "": not this epoch
            if not all(math.isfinite(row.get(k, math.nan)) for k in ("epoch", "step")):
                raise ValueError(f"line {i} lacks its epoch or step")
            row["epoch"], row["step"] = int(row["epoch"]), int(row["step"])
            h.epochs.append(row)
    except (ValueError, TypeError, UnicodeDecodeError, csv.Error) as e:
        raise ValueError(f"The metrics in the checkpoint are malformed ({e}).") from None
    return h
