"""Generative Models Playground: `python app.py`, then open the printed address."""
from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import time

import gradio as gr
import torch
from gradio import networking
from starlette.middleware import Middleware

from playground import CSS, HEAD, build_app
from playground.i18n import I18N
from playground.pagecache import PageCache
from playground.session import THREADS, TRAIN_SLOTS
from trainers import budget, family
from trainers.data import load

THEME = gr.themes.Soft(text_size=gr.themes.sizes.text_lg)

torch.set_num_threads(THREADS)
faulthandler.register(signal.SIGUSR1, all_threads=True)   # `kill -USR1 <pid>`: every thread's stack, to stderr
demo = build_app()
load("digits")      # warm the shared data cache (imports scikit-learn): the first Train press starts at once
budget.estimate("vae", family("vae").Config(), (1, 8, 8))   # and the cost estimate's flop counter (~7 s once)
# Queue: bounded so a crowd can't pile up unbounded work; every run lives in its visitor's session.
demo.queue(max_size=64, default_concurrency_limit=max(4, TRAIN_SLOTS))


def _patient(url_ok):
    """Gradio's launch checks its own page once (HEAD /, a 3 s timeout per try, given up at the first
    timeout) and refuses to start when that fails. On a busy 2-vCPU Space, or a box running tests, building
    the first page can take longer: keep asking for up to a minute instead."""
    def check(url: str) -> bool:
        deadline = time.monotonic() + 60
        while not url_ok(url):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
        return True
    return check


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default=None, help="address to listen on (default: Gradio's, or GRADIO_SERVER_NAME)")
    p.add_argument("--port", type=int, default=None, help="port (default: Gradio's, or GRADIO_SERVER_PORT)")
    p.add_argument("--share", action="store_true", help="create a public gradio.live link")
    p.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1 or mps")
    a = p.parse_args()
    if a.device:
        os.environ["PLAYGROUND_DEVICE"] = a.device
    networking.url_ok = _patient(networking.url_ok)
    demo.launch(**launch_kwargs(a.host, a.port, a.share))


def launch_kwargs(host: str | None = None, port: int | None = None, share: bool = False) -> dict:
    """What ``main`` passes to ``demo.launch`` (a function, so tests can check it without launching)."""
    return dict(server_name=host, server_port=port, share=share, theme=THEME, css=CSS, head=HEAD,
                max_file_size="50mb", i18n=I18N,   # 简体中文 beside English (playground/i18n.py)
                # the page and /gradio_api/info rendered once, not once per visitor (playground/pagecache.py)
                app_kwargs={"middleware": [Middleware(PageCache)]},
                # SSR off, explicitly: Spaces turn it on by default, and it then renders the first page in
                # a Node server that proxies every request, streamed training frames included. It needs
                # Node in the container, was never exercised by the tests, and only speeds up the first
                # paint, which a live training app does not need (nothing here is for search engines).
                ssr_mode=False)


if __name__ == "__main__":
    main()
