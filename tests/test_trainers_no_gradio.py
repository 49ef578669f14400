"""trainers/ works without the UI: importing every module of it never pulls in gradio or plotly."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_trainers_import_without_gradio_or_plotly():
    # every module in trainers/ (families, shared blocks, checkpoint, metrics...), whatever exists today
    modules = sorted(f"trainers.{p.stem}" for p in (ROOT / "trainers").glob("*.py") if p.stem != "__init__")
    assert {"trainers.loop", "trainers.vae", "trainers.data", "trainers.checkpoint"} <= set(modules)
    code = (
        "import importlib, sys\n"
        "import trainers\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "for name in trainers.FAMILIES:\n"
        "    trainers.family(name)\n"                 # every family must import (an error fails the test)
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('gradio', 'plotly', 'gradio_client'))\n"
        "print('LOADED', len([m for m in sys.modules if m.startswith('trainers.')]))\n"
        "assert not bad, bad\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert int(r.stdout.split("LOADED")[1]) >= len(modules)
