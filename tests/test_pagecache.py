"""The page and /gradio_api/info are rendered once per URL they are asked at, not once per visitor
(playground/pagecache.py); everything else passes through."""
from __future__ import annotations

import asyncio
import concurrent.futures
import urllib.request

from playground.pagecache import PageCache


def _call(app, path: str, method: str = "GET", headers=(), query: bytes = b"") -> tuple[int, bytes]:
    scope = {"type": "http", "method": method, "path": path, "query_string": query, "scheme": "http",
             "headers": [(b"host", b"a.test"), *headers]}
    out: dict = {"body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg):
        if msg["type"] == "http.response.start":
            out["status"] = msg["status"]
        else:
            out["body"] += msg.get("body", b"")
    # in a thread of its own: a browser test earlier in the session may leave an event loop running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return out["status"], out["body"]


def _counting_app(status: int = 200, cookie: bool = False):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        headers = [(b"content-type", b"text/html")] + ([(b"set-cookie", b"a=1")] if cookie else [])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        host = dict(scope["headers"])[b"host"]
        await send({"type": "http.response.body", "body": b"page for " + host + b" #%d" % len(calls)})
    return app, calls


def test_the_page_is_rendered_once_per_url():
    inner, calls = _counting_app()
    app = PageCache(inner)
    first = _call(app, "/")
    assert _call(app, "/") == first == (200, b"page for a.test #1")          # replayed
    assert _call(app, "/", headers=[(b"host", b"b.test")])[1] == b"page for b.test #2"   # own root URL
    assert _call(app, "/", query=b"__theme=dark")[1].endswith(b"#3")           # another URL
    _call(app, "/gradio_api/info")
    _call(app, "/gradio_api/info")
    assert calls == ["/", "/", "/", "/gradio_api/info"]
    assert app.hits == 2


def test_everything_else_passes_through():
    inner, calls = _counting_app()
    app = PageCache(inner)
    for _ in range(2):
        _call(app, "/gradio_api/queue/join", method="POST")
        _call(app, "/config")
        _call(app, "/", headers=[(b"authorization", b"Bearer x")])        # a logged-in page: never shared
    assert len(calls) == 6 and app.hits == 0


def test_errors_and_cookies_are_not_kept():
    for inner, calls in (_counting_app(status=500), _counting_app(cookie=True)):
        app = PageCache(inner)
        _call(app, "/")
        _call(app, "/")
        assert len(calls) == 2


def test_the_launched_app_serves_the_same_page_twice(app_url):
    pages = [urllib.request.urlopen(app_url, timeout=60).read() for _ in range(2)]
    assert pages[0] == pages[1] and b'"components"' in pages[0] and len(pages[0]) > 100_000
    info = urllib.request.urlopen(app_url.rstrip("/") + "/gradio_api/info", timeout=60).read()
    assert b"/vae_train" in info
