"""The page and its API description, rendered once instead of once per visitor.

Gradio 6.31 builds ``GET /`` from scratch for every request: a deep copy of the whole page config (about
1 MB for this app's ~550 components), a walk that rewrites its file URLs, and the template around it;
``/gradio_api/info`` (330 KB) is serialised again each time. That is ~0.2–0.5 s of a core per page
load on a quiet machine and several seconds while two trainings share the two vCPUs of a free Space
(bench/load.py: GET / p50 0.95 s, max 6.7 s with 16 visitors), and a class of 40 opens the page at once.

Neither response depends on who asks (the visitor's session is made later, by the page's own requests),
only on the URL it was asked at (the config holds the root URL, taken from the Host and forwarding
headers). So :class:`PageCache`, an ASGI middleware passed to ``launch(app_kwargs=...)``, keeps the first
successful response per (method, path, query, host, forwarding headers) in a small LRU and replays it.
Everything else passes through untouched.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Awaitable, Callable

PATHS = frozenset({"/", "/gradio_api/info", "/gradio_api/info/"})
_HEADERS = (b"host", b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-prefix", b"x-forwarded-port",
            b"accept-encoding")
Scope = dict[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class PageCache:
    """ASGI middleware: replay the page and its API description (see the module's docstring)."""

    MAX_ENTRIES = 32                 # distinct URLs the page is asked at (hosts, proxies): a handful
    MAX_BYTES = 8 * 2**20            # one response at most (the page is ~1 MB)

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self.entries: OrderedDict[tuple, tuple[dict[str, Any], bytes]] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(scope: Scope) -> tuple | None:
        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD") or scope.get("path") not in PATHS:
            return None
        headers = dict((k.lower(), v) for k, v in scope.get("headers", []))
        if b"authorization" in headers or b"cookie" in headers and b"access-token" in headers[b"cookie"]:
            return None              # a logged-in page may differ per user: never shared
        return (scope["method"], scope.get("root_path", ""), scope["path"], scope.get("query_string", b""),
                scope.get("scheme"), *(headers.get(h) for h in _HEADERS))

    async def __call__(self, scope: Scope, receive: Callable[..., Awaitable[Any]], send: Send) -> None:
        key = self.key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None:
                self.entries.move_to_end(key)
                self.hits += 1
        if hit is not None:
            start, body = hit
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        self.misses += 1
        start_msg: dict[str, Any] = {}
        parts: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: dict[str, Any]) -> None:
            nonlocal size, keep
            if message["type"] == "http.response.start":
                start_msg.update(message)
                keep = message.get("status") == 200 and not any(
                    k.lower() == b"set-cookie" for k, _ in message.get("headers", []))
            elif message["type"] == "http.response.body" and keep:
                parts.append(message.get("body", b""))
                size += len(parts[-1])
                keep = size <= self.MAX_BYTES
            await send(message)

        await self.app(scope, receive, capture)
        if keep and start_msg:
            with self.lock:
                self.entries[key] = (start_msg, b"".join(parts))
                while len(self.entries) > self.MAX_ENTRIES:
                    self.entries.popitem(last=False)
