"""The ZeroGPU stand-in: forked bursts that pickle arguments in and every yield out, refuse CUDA tensors,
re-raise the child's errors, die when closed, spend a simulated quota, and carry a Run that continues
bit-identically to one trained in-process."""
from __future__ import annotations

import os
import time

import pytest
import torch

from playground import zerogpu
from trainers import loop
from trainers.vae import Config


@pytest.fixture(autouse=True)
def standin(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    monkeypatch.delenv("PLAYGROUND_ZEROGPU_QUOTA", raising=False)
    monkeypatch.setenv("PLAYGROUND_ZEROGPU", "standin")
    zerogpu.reset_quota()
    yield
    zerogpu.reset_quota()


# PyTorch's autograd starts one thread per GPU at the first backward pass of a process that sees a GPU,
# and a process forked after that cannot run autograd ("Unable to handle autograd's threading in combination
# with fork-based multiprocessing", seen on an H200). ZeroGPU's web process sees no GPU, so the real bursts
# never meet this; a test process that sees one and trains in-process before a burst does. Such tests run
# on a GPU machine with CUDA_VISIBLE_DEVICES="" (bench/gpu_check.sh); the CUDA path of a burst is checked
# by test_a_burst_trains_on_the_gpu_and_comes_back_on_the_cpu, in a fresh process that never trains.
trains_before_forking = pytest.mark.skipif(
    torch.cuda.is_available(), reason="trains in this process before forking: run with CUDA_VISIBLE_DEVICES=''")


def _gone(pid: int) -> bool:
    """True once ``pid`` is neither running nor a zombie (a zombie still answers signal 0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Box:
    def __init__(self, items):
        self.items = items

    def __eq__(self, other):
        return isinstance(other, Box) and self.items == other.items


def test_modes_and_burst_seconds(monkeypatch):
    assert zerogpu.mode() == "standin" and zerogpu.burst_seconds() == 45
    monkeypatch.setenv("PLAYGROUND_BURST_SECONDS", "20")
    assert zerogpu.burst_seconds() == 20
    monkeypatch.delenv("PLAYGROUND_ZEROGPU")
    assert zerogpu.mode() == "off" and zerogpu.burst_seconds() is None

    def f(x):
        yield x
    assert zerogpu.gpu(10)(f) is f                      # off: the function itself, unchanged


def test_values_come_back_pickled_from_a_child_process():
    box = Box([1, 2])

    @zerogpu.gpu(30)
    def toy(b, n):
        for i in range(n):
            yield os.getpid(), Box(b.items + [i])
        b.items.append("child only")                     # the caller's object is a copy

    fds = _fds()
    out = list(toy(box, 3))
    assert [o[1] for o in out] == [Box([1, 2, 0]), Box([1, 2, 1]), Box([1, 2, 2])]
    assert out[0][0] != os.getpid() and _gone(out[0][0])
    assert box.items == [1, 2]
    again = list(toy(box, 1))[0][1]
    assert again == Box([1, 2, 0]) and again is not box
    assert _fds() == fds                                 # no pipe left open


def test_a_plain_function_returns_its_value():
    @zerogpu.gpu(5)
    def f(x):
        return os.getpid(), x * 2
    pid, v = f(21)
    assert v == 42 and pid != os.getpid()


def test_the_childs_exception_is_raised_here_with_its_type_and_message():
    @zerogpu.gpu(30)
    def boom():
        yield 1
        raise KeyError("no such step")

    gen = boom()
    assert next(gen) == 1
    with pytest.raises(KeyError, match="no such step"):
        next(gen)


def _fake_cuda(t: torch.Tensor) -> torch.Tensor:
    class FakeCuda(torch.Tensor):
        @property
        def is_cuda(self):
            return True
    return torch.Tensor._make_subclass(FakeCuda, t)


def test_cuda_tensors_cannot_cross_in_either_direction():
    @zerogpu.gpu(30)
    def echo(x):
        yield x.sum()

    with pytest.raises(TypeError, match="CUDA tensor"):
        next(echo({"w": _fake_cuda(torch.ones(3))}))

    @zerogpu.gpu(30)
    def leak():
        yield _fake_cuda(torch.ones(3))

    with pytest.raises(TypeError, match="CUDA tensor"):
        next(leak())
    assert float(next(echo(torch.ones(3)))) == 3.0        # CPU tensors cross


def test_closing_the_generator_kills_the_child_promptly():
    @zerogpu.gpu(30)
    def forever():
        while True:
            yield os.getpid()
            time.sleep(0.05)

    fds = _fds()
    gen = forever()
    pid = next(gen)
    assert not _gone(pid)
    t0 = time.monotonic()
    gen.close()
    while not _gone(pid) and time.monotonic() - t0 < 2.0:
        time.sleep(0.02)
    assert _gone(pid)
    assert _fds() == fds


def test_a_used_up_quota_raises_before_forking(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_ZEROGPU_QUOTA", "0.3")
    calls = []

    @zerogpu.gpu(0.2)
    def burst():
        calls.append(1)                                   # in the child: never seen here
        time.sleep(0.35)
        yield os.getpid()

    pid = next(burst())
    assert _gone(pid) or pid != os.getpid()
    assert zerogpu.quota_left() < 0.2
    with pytest.raises(zerogpu.QuotaExceeded, match="used up"):
        next(burst())
    zerogpu.reset_quota()
    assert zerogpu.quota_left() == pytest.approx(0.3)


def test_the_real_spaces_quota_error_becomes_quota_exceeded():
    class GrError(Exception):                             # what spaces raises: gr.Error(message, title=...)
        def __init__(self, message, title):
            super().__init__(message)
            self.message, self.title = message, title

    def gen():
        raise GrError("You have exceeded your free ZeroGPU quota (45s requested vs. 12s left).",
                      "ZeroGPU quota exceeded")
        yield

    with pytest.raises(zerogpu.QuotaExceeded, match="12s left"):
        next(zerogpu._map_quota_errors(gen)())


def _steps(run: loop.Run, n: int) -> None:
    for _ in loop.train(run, steps=n):
        pass


@trains_before_forking
def test_a_run_trained_in_a_forked_burst_continues_bit_identically(digits):
    def fresh() -> loop.Run:
        return loop.Run("vae", Config(hidden=64, latent_dim=4), digits, device="cpu")

    @zerogpu.gpu(45)
    def burst(run, n):
        _steps(run, n)
        yield run

    mine, ref = fresh(), fresh()
    _steps(mine, 5)
    _steps(ref, 5)
    back = list(burst(mine, 20))[-1]
    assert mine.step == 5 and back.step == 25 and back is not mine
    _steps(ref, 20)
    _steps(back, 10)
    _steps(ref, 10)
    for (k, a), b in zip(ref.model.state_dict().items(), back.model.state_dict().values()):
        assert torch.equal(a, b), k
    assert back.history.steps == ref.history.steps and back.history.terms == ref.history.terms


BURSTS_ON_THE_BEST_DEVICE = """
import torch
from playground import zerogpu
from trainers import data, loop
from trainers.devices import pick_device
from trainers.vae import Config

@zerogpu.gpu(45)
def burst(run, n):
    zerogpu.forked_child_threads()                    # as bursts.train_burst: else the child can hang
    run.to(pick_device("auto"))                       # the GPU where there is one, as bursts.train_burst does
    losses = [m.terms["total"] for m in loop.train(run, steps=n)]
    run.to(torch.device("cpu"))                       # what travels back holds no CUDA tensor
    yield run, str(pick_device("auto")), losses

torch.set_num_threads(2)                              # an OpenMP pool in this process, as on a Space
run = loop.Run("vae", Config(hidden=64, latent_dim=4), data.load("digits"), device="cpu")
seen = []
for _ in range(2):                                    # two bursts in a row, this process never training
    run, where, losses = list(burst(run, 60))[-1]
    seen += losses
    assert run.device.type == "cpu" and all(p.device.type == "cpu" for p in run.model.parameters())
print(where, run.step, sum(seen[:10]) / 10, sum(seen[-10:]) / 10)
"""


def test_a_burst_trains_on_the_gpu_and_comes_back_on_the_cpu():
    """A fresh process, as a ZeroGPU web process: two forked bursts train one run on the best device (CUDA
    on a GPU machine, the CPU here) and hand it back on the CPU each time; the loss falls across them."""
    import subprocess
    import sys
    from pathlib import Path
    env = dict(os.environ, PLAYGROUND_ZEROGPU="standin")
    out = subprocess.run([sys.executable, "-c", BURSTS_ON_THE_BEST_DEVICE], cwd=Path(__file__).parents[1],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    where, step, first, last = out.stdout.split()
    assert where == ("cuda" if torch.cuda.is_available() else "cpu")
    assert int(step) == 120 and float(last) < 0.8 * float(first)
