"""Exported runs on disk: each export is a folder with one zip, deleted after ``EXPORT_TTL`` seconds (Gradio
serves its own copy from its cache, which ``delete_cache`` sweeps)."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

EXPORT_TTL = 600.0      # seconds an export stays on disk here (Gradio serves its own copy)


def write(run: Any) -> str:
    """The run's export zip, written to a fresh folder here (older ones swept first); returns its path."""
    from trainers import checkpoint
    with run.lock:
        blob = checkpoint.save(run)
    sweep()
    path = Path(tempfile.mkdtemp(prefix="run-", dir=folder())) / checkpoint.filename(run)
    path.write_bytes(blob)
    return str(path)


def write_text(filename: str, text: str) -> str:
    """A text export (the Compare tab's CSV table), in a fresh swept folder like a run's zip; returns its path."""
    sweep()
    path = Path(tempfile.mkdtemp(prefix="run-", dir=folder())) / filename
    path.write_text(text, encoding="utf-8")
    return str(path)


def folder() -> Path:
    d = Path(tempfile.gettempdir()) / "playground-exports"
    d.mkdir(exist_ok=True)
    return d


def sweep(now: float | None = None) -> int:
    """Delete exports older than EXPORT_TTL (each export is a folder with one zip); returns how many."""
    now = time.time() if now is None else now
    gone = 0
    for run_dir in folder().glob("run-*"):
        try:
            if now - run_dir.stat().st_mtime > EXPORT_TTL:
                for f in run_dir.iterdir():
                    f.unlink()
                run_dir.rmdir()
                gone += 1
        except OSError:
            pass                      # another request swept it first
    return gone
