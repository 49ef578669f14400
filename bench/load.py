"""Load: N simulated visitors through every tab; page latency and the server's RSS sampled (issue 16).

    python bench/load.py                          # 16 visitors, 300 steps per tab, 60 s idle after
    python bench/load.py --visitors 2 --steps 200 --after 20
    python bench/load.py --stream-minutes 10      # one visitor streams one long VAE press: RSS slope

Launches `python app.py --host 127.0.0.1 --port P` in a subprocess (its own process group; killed at the
end, also on Ctrl-C) and drives it through gradio_client, loopback only. Each visitor is a Client of its
own (its own session) and goes through every tab: `/<family>_train` (data = the tab's first choice, every
setting at the form's default, `--steps` steps) with its stream consumed to the end, one cheap view
endpoint where the tab has one, then `/<family>_export`. Per visitor: tabs finished, errors (with their
message), the wait before the first streamed update of each press (queue wait), total time.

Meanwhile a probe GETs `/` and `/gradio_api/info` every `--every` s (page latency), and the server's RSS
(its process and children) is sampled as often: before the visitors start, the peak while they run, and
after `--after` s of idling once the last one left. Every call has a timeout, every exception is counted,
each visitor has a time budget (`--seconds`) and the run an overall one (`--timeout`).

`--stream-minutes M`: one visitor streams one VAE press of 100,000 steps for M minutes (then `cancel()`),
RSS every 10 s; prints the least-squares slope in MB/min after the first minute.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import Sampler, cpu_seconds, kill, launch, rss_mb  # noqa: E402  (bench/loopback.py)

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ["ae", "vae", "vqvae", "gan", "diffusion", "tdvae"]
# one cheap view per tab (t-SNE in ae/vae is not cheap; gan's views are private)
VIEWS = {"vqvae": "/vqvae_top_n", "diffusion": "/diffusion_sample", "tdvae": "/tdvae_rollout"}
STOP = threading.Event()       # set on Ctrl-C / overall timeout: visitors stop at their next check


def wait_job(job, limit: float, what: str) -> tuple[object, float | None, int]:
    """Consume ``job``'s stream to its end (or raise TimeoutError at ``limit``, a time.time()); returns the
    result, the time to its first streamed update (None if it streamed none) and the number of updates."""
    t0 = time.time()
    first = None
    while not job.done():
        if first is None and job.outputs():
            first = time.time() - t0
        if time.time() > limit or STOP.is_set():
            try:
                job.cancel()
            except Exception:  # noqa: BLE001
                pass
            raise TimeoutError(f"{what}: no end after {time.time() - t0:.0f} s")
        time.sleep(0.1)
    result = job.result(timeout=30)
    n = len(job.outputs())
    if first is None and n:
        first = time.time() - t0
    return result, first, n


def defaults(api: dict, endpoint: str) -> dict:
    params = api["named_endpoints"][endpoint]["parameters"]
    return {p["parameter_name"]: p.get("parameter_default") for p in params}


def status_text(out) -> str:
    if isinstance(out, dict):
        out = out.get("value")
    return str(out or "")


def visitor(i: int, url: str, a: argparse.Namespace) -> dict:
    rec = {"id": i, "tabs_done": 0, "errors": [], "waits": {}, "train_s": {}, "updates": 0, "total": None,
           "finished": False}
    t0 = time.time()
    budget = t0 + a.seconds
    client = None
    try:
        from gradio_client import Client
        client = Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": 60})
        api = client.view_api(print_info=False, return_format="dict")
        for fam in a.tabs:
            if STOP.is_set() or time.time() > budget:
                rec["errors"].append(f"{fam}: skipped (time budget of {a.seconds:.0f} s spent)")
                continue
            try:
                kw = defaults(api, f"/{fam}_train")
                kw["steps"] = a.steps
                t = time.time()
                out, first, n = wait_job(client.submit(api_name=f"/{fam}_train", **kw), budget, f"/{fam}_train")
                rec["train_s"][fam] = time.time() - t
                rec["waits"][fam] = first
                rec["updates"] += n
                status = status_text(out[0] if isinstance(out, (list, tuple)) else out)   # State is no API output
                if "done" not in status:
                    raise RuntimeError(f"press ended without 'done': {status[:160]!r}")
                if fam in VIEWS and VIEWS[fam] in api["named_endpoints"]:
                    wait_job(client.submit(api_name=VIEWS[fam], **defaults(api, VIEWS[fam])),
                             min(budget, time.time() + 120), VIEWS[fam])
                res, _, _ = wait_job(client.submit(api_name=f"/{fam}_export"), min(budget, time.time() + 120),
                                     f"/{fam}_export")
                if not res:
                    raise RuntimeError("export returned nothing")
                rec["tabs_done"] += 1
            except Exception as e:  # noqa: BLE001 - counted, never fatal
                rec["errors"].append(f"{fam}: {type(e).__name__}: {str(e)[:300]}")
        rec["finished"] = rec["tabs_done"] == len(a.tabs)
    except Exception as e:  # noqa: BLE001
        rec["errors"].append(f"client: {type(e).__name__}: {str(e)[:300]}")
    finally:
        if client is not None:
            try:
                client.close()           # drops its heartbeat: the server marks the session closed
            except Exception:  # noqa: BLE001
                pass
        rec["total"] = time.time() - t0
    return rec


# ----------------------------------------------------------------------------- report
def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def page_summary(s: Sampler, phases: tuple[str, ...]) -> tuple[list[float], int]:
    lat = [d for _, p, _, d, e in s.page if p in phases and e is None]
    errs = sum(1 for _, p, _, _, e in s.page if p in phases and e is not None)
    return lat, errs


def load_mode(a: argparse.Namespace, proc: subprocess.Popen, url: str, s: Sampler) -> int:
    if a.warmup:                     # one visitor first: lazy imports, data caches, allocator pools
        cold = statistics.median(s.rss_in("start")[-3:] or [rss_mb(proc.pid)])
        w = visitor(-1, url, a)
        s.rss.clear()                # the start RSS is the warm one
        print(f"warm-up visitor: {w['tabs_done']} tabs in {w['total']:.0f} s, {len(w['errors'])} errors; "
              f"RSS cold {cold:.0f} MB → {rss_mb(proc.pid):.0f} MB (its session stays, closed)", flush=True)
    time.sleep(a.settle)
    start = statistics.median(s.rss_in("start")[-3:] or [float("nan")])
    cpu0 = cpu_seconds(proc.pid)
    s.phase = "during"
    t_start = time.time()
    print(f"RSS before visitors: {start:.0f} MB; {a.visitors} visitors × {len(a.tabs)} tabs × {a.steps} steps "
          f"(load avg {os.getloadavg()[0]:.1f})", flush=True)
    recs: list[dict] = []
    ex = ThreadPoolExecutor(max_workers=a.visitors)
    try:
        futs = []
        for i in range(a.visitors):
            futs.append(ex.submit(visitor, i, url, a))
            time.sleep(a.stagger)
        overall = t_start + a.timeout
        for f in futs:
            try:
                recs.append(f.result(timeout=max(1.0, overall - time.time())))
            except Exception as e:  # noqa: BLE001 - a visitor that ran past the overall timeout
                STOP.set()
                recs.append({"id": len(recs), "tabs_done": 0, "errors": [f"overall timeout: {e!r}"], "waits": {},
                             "train_s": {}, "updates": 0, "total": time.time() - t_start, "finished": False})
            if proc.poll() is not None:
                print(f"!! the server exited with {proc.returncode}", flush=True)
    finally:
        STOP.set()                       # on Ctrl-C: visitors give up at their next check (≤ 0.1 s)
        ex.shutdown(wait=False, cancel_futures=True)
    t_end = time.time()
    cpu1 = cpu_seconds(proc.pid)
    s.phase = "after"
    print(f"visitors done in {t_end - t_start:.0f} s; idling {a.after:.0f} s", flush=True)
    time.sleep(a.after)
    after = statistics.median(s.rss_in("after")[-3:] or [float("nan")])
    peak = max(s.rss_in("during") or [float("nan")])

    print("\nvisitor  tabs  errors  queue wait max (s)  train s (sum)  updates  total s")
    for r in sorted(recs, key=lambda r: r["id"]):
        w = [x for x in r["waits"].values() if x is not None]
        print(f"{r['id']:7d}  {r['tabs_done']:4d}  {len(r['errors']):6d}  {max(w) if w else float('nan'):18.1f}  "
              f"{sum(r['train_s'].values()):13.0f}  {r['updates']:7d}  {r['total']:7.0f}")
    print("\ntab        queue wait p50/max (s)  train press p50/max (s)")
    for fam in a.tabs:
        w = [r["waits"][fam] for r in recs if r["waits"].get(fam) is not None]
        t = [r["train_s"][fam] for r in recs if fam in r["train_s"]]
        print(f"{fam:10s} {pct(w, .5):8.1f} / {pct(w, 1):6.1f}        {pct(t, .5):8.1f} / {pct(t, 1):6.1f}")
    errors = [(r["id"], e) for r in recs for e in r["errors"]]
    for vid, e in errors[:40]:
        print(f"  error (visitor {vid}): {e}")
    waits = [x for r in recs for x in r["waits"].values() if x is not None]
    lat_d, err_d = page_summary(s, ("during",))
    lat_all, err_all = page_summary(s, ("start", "during", "after"))
    loads = [x for _, p, x in s.load if p == "during"]
    finished = sum(r["finished"] for r in recs)
    print(f"\nSUMMARY visitors {finished}/{len(recs)} finished, {len(errors)} errors; "
          f"queue wait p50 {pct(waits, .5):.1f} s max {pct(waits, 1):.1f} s; "
          f"page latency (during) p50 {pct(lat_d, .5) * 1000:.0f} ms max {pct(lat_d, 1) * 1000:.0f} ms "
          f"({err_all} failed probes of {len(s.page)}); "
          f"RSS start {start:.0f} / peak {peak:.0f} / after {after:.0f} MB (after/start {after / start:.2f}); "
          f"wall {t_end - t_start:.0f} s, server CPU {cpu1 - cpu0:.0f} s, load avg during "
          f"p50 {pct(loads, .5):.1f} max {pct(loads, 1):.1f}", flush=True)
    for path in ("/", "/gradio_api/info"):
        d = [x for _, ph, pa, x, e in s.page if ph == "during" and pa == path and e is None]
        print(f"page latency during, GET {path}: p50 {pct(d, .5) * 1000:.0f} ms, p90 {pct(d, .9) * 1000:.0f} ms, "
              f"max {pct(d, 1) * 1000:.0f} ms, over 1 s: {sum(x > 1 for x in d)} of {len(d)}")
    print("RSS samples (t s, MB): " + " ".join(f"{t:.0f}:{r:.0f}" for t, _, r in s.rss[:: max(1, len(s.rss) // 40)]))
    return 0 if not errors and finished == len(recs) else 1


def stream_mode(a: argparse.Namespace, proc: subprocess.Popen, url: str, s: Sampler) -> int:
    from gradio_client import Client
    time.sleep(a.settle)
    start = statistics.median(s.rss_in("start")[-3:] or [float("nan")])
    client = Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": 60})
    api = client.view_api(print_info=False, return_format="dict")
    kw = defaults(api, "/vae_train")
    kw["steps"] = 100_000
    s.phase = "during"
    t0 = time.time()
    job = client.submit(api_name="/vae_train", **kw)
    print(f"RSS before: {start:.0f} MB; streaming one VAE press for {a.stream_minutes:g} min", flush=True)
    err = None
    try:
        while time.time() - t0 < a.stream_minutes * 60:
            if job.done():
                err = f"the press ended early: {status_text(job.outputs()[-1][0]) if job.outputs() else '?'}"
                break
            time.sleep(1)
        n = len(job.outputs())
        last = status_text(job.outputs()[-1][0]) if n else ""
    finally:
        try:
            job.cancel()
        except Exception as e:  # noqa: BLE001
            err = err or f"cancel: {e!r}"
    t_press = time.time() - t0
    s.phase = "after"
    time.sleep(a.after)
    try:
        client.close()
    except Exception:  # noqa: BLE001
        pass
    after = statistics.median(s.rss_in("after")[-3:] or [float("nan")])
    pts = [(t, r) for t, p, r in s.rss if p == "during" and r == r]
    tt = [t - pts[0][0] for t, _ in pts]
    rr = [r for _, r in pts]
    for t, r in zip(tt, rr):
        print(f"t={t:6.0f} s  RSS {r:7.1f} MB")
    keep = [(t, r) for t, r in zip(tt, rr) if t >= 60]
    slope = float("nan")
    if len(keep) >= 3:
        mt = statistics.fmean(t for t, _ in keep)
        mr = statistics.fmean(r for _, r in keep)
        slope = sum((t - mt) * (r - mr) for t, r in keep) / sum((t - mt) ** 2 for t, _ in keep) * 60
    lat, perr = page_summary(s, ("during",))
    print(f"\nlast status: {last.splitlines()[0] if last else '?'}")
    print(f"SUMMARY stream {t_press / 60:.1f} min, {n} streamed updates; RSS slope after the first minute "
          f"{slope:+.2f} MB/min; RSS start {start:.0f} / peak {max(rr or [float('nan')]):.0f} / "
          f"{a.after:.0f} s after cancel {after:.0f} MB; page latency p50 {pct(lat, .5) * 1000:.0f} ms "
          f"max {pct(lat, 1) * 1000:.0f} ms ({perr} failed probes); load avg p50 "
          f"{pct([x for _, p, x in s.load if p == 'during'], .5):.1f}" + (f"; error: {err}" if err else ""),
          flush=True)
    return 1 if err else 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--visitors", type=int, default=16)
    ap.add_argument("--steps", type=int, default=300, help="steps per Train press (default 300)")
    ap.add_argument("--tabs", default=",".join(FAMILIES), help="comma-separated families (default: all six)")
    ap.add_argument("--seconds", type=float, default=3600, help="time budget of one visitor (default 3600 s)")
    ap.add_argument("--timeout", type=float, default=5400, help="overall time budget of the visitors (5400 s)")
    ap.add_argument("--after", type=float, default=60, help="idle seconds after the last visitor (default 60)")
    ap.add_argument("--every", type=float, default=2.0, help="seconds between RSS samples / page probes")
    ap.add_argument("--stagger", type=float, default=0.25, help="seconds between visitor arrivals")
    ap.add_argument("--settle", type=float, default=6.0, help="idle seconds before the start RSS")
    ap.add_argument("--warmup", action="store_true", help="one visitor through every tab before the start RSS")
    ap.add_argument("--stream-minutes", type=float, default=None, help="the soak mode: one VAE press, M minutes")
    ap.add_argument("--log", default=None, help="the server's stdout+stderr (default: a temp file)")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    a = ap.parse_args()
    a.tabs = [t.strip() for t in a.tabs.split(",") if t.strip()]
    if a.stream_minutes is not None and a.every == 2.0:
        a.every = 10.0
    log = Path(a.log) if a.log else Path(tempfile.mkstemp(prefix="load-app-", suffix=".log")[1])
    env_extra = dict(e.split("=", 1) for e in a.env)
    proc = None
    sampler = None
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        proc, url = launch(log, env_extra)
        print(f"server pid {proc.pid} at {url}; log {log}", flush=True)
        sampler = Sampler(proc.pid, url, a.every)
        sampler.start()
        rc = stream_mode(a, proc, url, sampler) if a.stream_minutes is not None else load_mode(a, proc, url, sampler)
    except KeyboardInterrupt:
        STOP.set()
        print("interrupted: stopping the server", flush=True)
        rc = 130
    except Exception:  # noqa: BLE001
        STOP.set()
        traceback.print_exc()
        rc = 2
    finally:
        if sampler is not None:
            sampler.halt.set()
        kill(proc)
    tracebacks = log.read_text(errors="replace").count("Traceback") if log.exists() else 0
    print(f"server log: {log} ({tracebacks} tracebacks)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
