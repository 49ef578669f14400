"""The app on loopback for the benches: launch ``python app.py`` on a free port in its own process group,
kill it (and its children), and sample its RSS, CPU time and page latency (used by load.py)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(log_path: Path, env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1", **env_extra)
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        time.sleep(1)
    kill(proc)
    raise RuntimeError(f"app.py did not answer on {url} within 300 s; see {log_path}")


def kill(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)          # its own session: the app and anything it started
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _children(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def rss_mb(pid: int) -> float:
    """RSS of ``pid`` and its descendants, MB (psutil when installed, else /proc)."""
    try:
        import psutil
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
        total = 0
        for q in procs:
            try:
                total += q.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20
    except ImportError:
        pass
    except Exception:
        return float("nan")
    total = 0
    for p in _children(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024 if total else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (its threads included), from /proc."""
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


# ----------------------------------------------------------------------------- samplers
class Sampler(threading.Thread):
    """Every ``every`` s: the server's RSS (with the current phase) and the load average; with ``probe``,
    the page latency: GET ``/`` and ``/gradio_api/info``."""

    def __init__(self, pid: int, url: str, every: float, probe: bool = True) -> None:
        super().__init__(daemon=True)
        self.pid, self.url, self.every, self.probe = pid, url, every, probe
        self.phase = "start"
        self.rss: list[tuple[float, str, float]] = []
        self.load: list[tuple[float, str, float]] = []
        self.page: list[tuple[float, str, str, float, str | None]] = []   # t, phase, path, seconds, error
        self.t0 = time.time()
        self.halt = threading.Event()

    def get(self, path: str) -> None:
        t = time.perf_counter()
        err = None
        try:
            with urllib.request.urlopen(self.url.rstrip("/") + path, timeout=10) as r:
                r.read()
                if r.status != 200:
                    err = f"HTTP {r.status}"
        except Exception as e:  # noqa: BLE001 - counted, never fatal
            err = f"{type(e).__name__}: {e}"
        self.page.append((time.time() - self.t0, self.phase, path, time.perf_counter() - t, err))

    def run(self) -> None:
        while not self.halt.is_set():
            t = time.time() - self.t0
            self.rss.append((t, self.phase, rss_mb(self.pid)))
            self.load.append((t, self.phase, os.getloadavg()[0]))
            if self.probe:
                self.get("/")
                self.get("/gradio_api/info")
            self.halt.wait(max(0.0, self.every - (time.time() - self.t0 - t)))

    def rss_in(self, phase: str) -> list[float]:
        return [r for _, p, r in self.rss if p == phase and r == r]


# ----------------------------------------------------------------------------- one visitor
