"""Real HTTP servers on loopback (uvicorn in a thread), as httpx's own tests run them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

from tests.support.processes import free_port


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test runner owns the signals
        pass


@contextmanager
def serve(app: ASGIApp, *, lifespan: Literal["on", "off"] = "off", host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `app` on `host` (127.0.0.1, or ::1) for the duration of the block; yields its base URL."""
    port = free_port()
    server = _Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("loopback server did not start")
        time.sleep(0.01)
    try:
        yield f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
