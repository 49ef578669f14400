"""Deploying to Spaces: valid front matter, a LICENSE that matches it, SSR chosen explicitly, Spaces-only
torch pins that leave this repository's install alone, and the CPU count read from the container's quota."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from playground.session import cpu_quota

ROOT = Path(__file__).resolve().parents[1]
ZEROGPU_TORCH = {"2.8.0", "2.9.1", "2.10.0", "2.11.0"}     # what ZeroGPU supports (spaces 0.51.3)


def _front_matter() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("---\n")[1]
    pairs = (line.split(":", 1) for line in block.splitlines() if line and not line.startswith("#"))
    return {k.strip(): v.strip().strip('"') for k, v in pairs}


def test_front_matter_is_what_the_hub_accepts():
    fm = _front_matter()
    assert len(fm["short_description"]) <= 60
    assert fm["python_version"] in ("3.10", "3.12")                  # the versions ZeroGPU runs
    assert fm["license"] == "mit" and fm["sdk"] == "gradio" and (ROOT / fm["app_file"]).exists()


def test_the_license_file_is_mit_and_names_the_contributors():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 Generative Models Playground contributors" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text


def test_spaces_only_pins_leave_the_local_install_alone():
    req = (ROOT / "requirements.txt").read_text()
    assert "index-url" not in req and "+cpu" not in req                 # here: PyPI, as before
    zero = (ROOT / "deploy/zerogpu/pre-requirements.txt").read_text()
    assert re.search(r"^torch==([\d.]+)$", zero, re.M).group(1) in ZEROGPU_TORCH
    assert re.search(r"^torchvision==", zero, re.M)                     # else a newer torch comes along
    cpu = (ROOT / "deploy/cpu/pre-requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in cpu
    assert re.search(r"^torch==[\d.]+\+cpu$", cpu, re.M) and re.search(r"^torchvision==[\d.]+\+cpu$", cpu, re.M)


def test_launch_chooses_ssr_mode_explicitly():
    import app
    kw = app.launch_kwargs("127.0.0.1", 7861)
    assert kw["ssr_mode"] is False
    assert kw["server_name"] == "127.0.0.1" and kw["server_port"] == 7861 and kw["max_file_size"] == "50mb"


@pytest.fixture
def cpus16(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))


@pytest.mark.parametrize("files,want", [
    ({"cpu.max": "200000 100000\n"}, 2),                               # cgroup v2: 2 CPUs
    ({"cpu.max": "150000 100000\n"}, 1),                               # 1.5 CPUs: one whole thread
    ({"cpu.max": "50000 100000\n"}, 1),                                # never below 1
    ({"cpu.max": "max 100000\n"}, 16),                                 # no limit: the affinity
    ({"cpu.cfs_quota_us": "800000\n", "cpu.cfs_period_us": "100000\n"}, 8),          # cgroup v1
    ({"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 3),  # v1, the cpu controller
    ({"cpu.cfs_quota_us": "-1\n", "cpu.cfs_period_us": "100000\n"}, 16),             # v1, no limit
    ({"cpu.max": "6400000 100000\n"}, 16),                             # a quota above the CPUs we may use
    ({}, 16),                                                          # no cgroup files at all
])
def test_cpu_count_comes_from_the_container_quota(tmp_path, cpus16, files, want):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cpu_quota(str(tmp_path)) == want


def test_without_affinity_the_cpu_count_is_the_fallback(tmp_path, monkeypatch):
    def no_affinity(pid):
        raise OSError("not here")
    monkeypatch.setattr(os, "sched_getaffinity", no_affinity)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert cpu_quota(str(tmp_path)) == 6
    (tmp_path / "cpu.max").write_text("400000 100000\n")
    assert cpu_quota(str(tmp_path)) == 4
