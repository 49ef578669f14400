"""GPU bursts the ZeroGPU way: the real ``spaces.GPU`` on a ZeroGPU Space, a faithful stand-in for tests.

On ZeroGPU (read from the ``spaces`` package, 0.51.3) a function decorated with
``@spaces.GPU(duration=...)`` runs in a forked child that holds a GPU for the call: its arguments go in
and every yielded value comes back **pickled**, and CUDA tensors cannot cross. :func:`gpu` picks, per
process environment:

* ``SPACES_ZERO_GPU`` true (as ``spaces`` reads it) and ``spaces`` importable: ``spaces.GPU(duration=...)``,
  its quota errors raised as :class:`QuotaExceeded`;
* ``PLAYGROUND_ZEROGPU=standin``: each call in a forked child (``multiprocessing``'s fork context),
  arguments pickled in and every yield pickled out over a pipe, CUDA tensors refused with a TypeError in
  either direction, the child's exceptions re-raised here (same type and message), the child killed when
  the caller closes the generator (Gradio's Stop), and a simulated GPU quota
  (``PLAYGROUND_ZEROGPU_QUOTA`` seconds per process);
* otherwise: the function itself, called in-process, unchanged.

Never imports gradio (the real package does, on a Space).
"""
from __future__ import annotations

import functools
import importlib.util
import inspect
import io
import multiprocessing
import os
import pickle
import threading
import time
from typing import Any, Callable, Iterator, TypeVar

import torch

F = TypeVar("F", bound=Callable[..., Any])

BURST_SECONDS = 45.0        # one burst on ZeroGPU: well inside the 60 s an anonymous visitor may ask for
KILL_GRACE = 1.0            # seconds between terminate and kill of a closed burst's child
# the titles of the gr.Error that spaces.zero.client.schedule raises when the visitor's allowance is short
_QUOTA_TITLES = ("ZeroGPU quota exceeded", "ZeroGPU illegal duration")

_used = 0.0                 # stand-in GPU seconds this process has spent (the simulated daily quota)
_used_lock = threading.Lock()


class QuotaExceeded(RuntimeError):
    """The visitor's GPU allowance cannot cover this burst (ZeroGPU's quota, or the stand-in's)."""


# ----------------------------------------------------------------------------- which mode
def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "t", "true", "yes", "on")


def mode() -> str:
    """``"zerogpu"`` (the real spaces.GPU), ``"standin"`` (forked bursts) or ``"off"`` (in-process)."""
    if _truthy(os.environ.get("SPACES_ZERO_GPU")) and importlib.util.find_spec("spaces") is not None:
        return "zerogpu"
    if os.environ.get("PLAYGROUND_ZEROGPU", "").strip().lower() == "standin":
        return "standin"
    return "off"


def forked_child_threads() -> None:
    """Call first thing in a burst: one CPU thread for torch in the forked child. A child forked from a
    process whose OpenMP pool has run (torch with more than one thread) hangs at its first parallel CPU op,
    the pool's threads not being forked with it (seen here: a VAE's first Linear never returned); in a burst
    the GPU does the math, so one CPU thread costs little."""
    if mode() != "off":
        torch.set_num_threads(1)


def host_device() -> str:
    """Where a visitor's run lives in this, the web server's, process: ``PLAYGROUND_DEVICE`` (default
    ``auto``: CUDA or MPS when present) off ZeroGPU, and the CPU under ZeroGPU or its stand-in, where the
    GPU exists only inside a burst. A run built on CUDA here cannot go into a burst (CUDA tensors cannot
    be pickled): on an H200 with the stand-in, every Train press failed that way until runs stayed here."""
    return "cpu" if mode() != "off" else os.environ.get("PLAYGROUND_DEVICE", "auto")


def burst_seconds() -> float | None:
    """Seconds one Train burst may last: 45 (``PLAYGROUND_BURST_SECONDS``) on ZeroGPU and the stand-in,
    None elsewhere (one burst is the whole press)."""
    if mode() == "off":
        return None
    return float(os.environ.get("PLAYGROUND_BURST_SECONDS", str(BURST_SECONDS)))


def quota_left() -> float | None:
    """Stand-in GPU seconds left in this process (None: no simulated quota)."""
    q = os.environ.get("PLAYGROUND_ZEROGPU_QUOTA")
    return None if not q else max(0.0, float(q) - _used)


def reset_quota() -> None:
    """Forget the stand-in GPU seconds spent so far (a new simulated day; for tests)."""
    global _used
    with _used_lock:
        _used = 0.0


# ----------------------------------------------------------------------------- the decorator
def gpu(duration: float = 60) -> Callable[[F], F]:
    """Decorate a (generator) function that should run on a GPU for at most ``duration`` seconds.

    The mode (:func:`mode`) is read when decorating: set the environment before the module that
    decorates is imported (ZeroGPU also wants its functions decorated at import time)."""
    def wrap(fn: F) -> F:
        m = mode()
        if m == "zerogpu":
            import spaces
            return _map_quota_errors(spaces.GPU(duration=duration)(fn))
        if m == "standin":
            return _standin(fn, float(duration))
        return fn
    return wrap


def _map_quota_errors(fn: F) -> F:
    """spaces raises ``gr.Error(title="ZeroGPU quota exceeded")`` before the burst starts: make it ours."""
    def translate(e: Exception) -> Exception:
        if getattr(e, "title", None) in _QUOTA_TITLES:
            return QuotaExceeded(str(getattr(e, "message", e)))
        return e

    if inspect.isgeneratorfunction(fn) or inspect.isgeneratorfunction(inspect.unwrap(fn)):
        @functools.wraps(fn)
        def gen(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except Exception as e:
                err = translate(e)
                if err is e:
                    raise
                raise err from e
        return gen  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            err = translate(e)
            if err is e:
                raise
            raise err from e
    return call  # type: ignore[return-value]


# ----------------------------------------------------------------------------- pickling, CPU only
class _CPUOnlyPickler(pickle.Pickler):
    """Pickles like ``pickle.dumps``, but a CUDA tensor (or storage) is refused: none leaves a burst."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, torch.TypedStorage):      # (its own is_cuda warns that it is deprecated)
            obj = obj._untyped_storage
        if isinstance(obj, (torch.Tensor, torch.UntypedStorage)) and obj.is_cuda:
            raise TypeError(f"A CUDA tensor cannot cross a GPU burst's boundary ({type(obj).__name__} on "
                            f"{getattr(obj, 'device', 'cuda')}): move it to the CPU first (.cpu()).")
        return NotImplemented


def dumps(obj: Any) -> bytes:
    """``pickle.dumps(obj)``, refusing CUDA tensors with a TypeError."""
    buf = io.BytesIO()
    _CPUOnlyPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


# ----------------------------------------------------------------------------- the stand-in
def _charge(duration: float) -> None:
    """Refuse a burst the simulated quota cannot cover (as ZeroGPU refuses ``requested > left``)."""
    left = quota_left()
    if left is not None and (left <= 0 or duration > left):
        raise QuotaExceeded(f"GPU allowance used up: {duration:g} s requested vs. {left:.0f} s left "
                            f"(PLAYGROUND_ZEROGPU_QUOTA).")


def _child(fn: Callable[..., Any], payload: bytes, conn: Any, is_gen: bool) -> None:
    """In the forked child: unpickle the arguments, run ``fn``, send every value (or the error) back."""
    try:
        args, kwargs = pickle.loads(payload)
        if is_gen:
            for value in fn(*args, **kwargs):
                conn.send_bytes(b"y" + dumps(value))
        else:
            conn.send_bytes(b"r" + dumps(fn(*args, **kwargs)))
        conn.send_bytes(b"d")
    except BaseException as e:                       # noqa: BLE001 - everything goes back to the caller
        try:
            blob = pickle.dumps(e)
            pickle.loads(blob)                       # some exceptions pickle but do not unpickle
        except Exception:
            blob = pickle.dumps((type(e).__module__, type(e).__qualname__, str(e)))
        conn.send_bytes(b"e" + blob)
    finally:
        conn.close()


def _rebuild_error(blob: bytes) -> BaseException:
    err = pickle.loads(blob)
    if isinstance(err, BaseException):
        return err
    module, qualname, message = err
    try:
        cls: Any = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        return cls(message)
    except Exception:
        return RuntimeError(f"{qualname}: {message}")


def _reap(proc: Any) -> None:
    """Stop the child now: terminate, then kill after KILL_GRACE seconds; always reaped (no zombie)."""
    if proc.pid is None:                             # never started
        return
    if proc.is_alive():
        proc.terminate()
        proc.join(KILL_GRACE)
        if proc.is_alive():
            proc.kill()
    proc.join()
    proc.close()


def _burst(fn: Callable[..., Any], duration: float, is_gen: bool, args: tuple, kwargs: dict) -> Iterator[tuple[str, Any]]:
    """Fork a child for one call; yield ("y", value) per yield, then ("r", return value)."""
    global _used
    _charge(duration)
    payload = dumps((args, kwargs))                  # refused here, before forking, if CUDA goes in
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, payload, send, is_gen), daemon=True,
                       name=f"gpu-burst-{getattr(fn, '__name__', 'fn')}")
    t0 = time.monotonic()
    try:
        proc.start()
        send.close()                                 # ours closed: a dead child means EOF, not a hang
        while True:
            try:
                msg = recv.recv_bytes()
            except EOFError:
                raise RuntimeError(f"The GPU burst ended without a result (exit code {proc.exitcode}).") from None
            kind, body = msg[:1], msg[1:]
            if kind == b"y":
                yield "y", pickle.loads(body)
            elif kind == b"r":
                yield "r", pickle.loads(body)
            elif kind == b"e":
                raise _rebuild_error(body)
            else:
                return
    finally:
        send.close()
        _reap(proc)
        recv.close()
        with _used_lock:
            _used += time.monotonic() - t0


def _standin(fn: F, duration: float) -> F:
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*args: Any, **kwargs: Any) -> Iterator[Any]:
            burst = _burst(fn, duration, True, args, kwargs)
            try:
                for _, value in burst:
                    yield value
            finally:
                burst.close()                        # closed at a yield (Stop): the child goes now
        return gen  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        result = None
        for _, result in _burst(fn, duration, False, args, kwargs):
            pass
        return result
    return call  # type: ignore[return-value]
