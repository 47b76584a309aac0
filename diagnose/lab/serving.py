"""Serve a lab HTTP handler on 127.0.0.1: one place for the start/stop every lab app needs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol


class HasStop(Protocol):
    """A lab app's state: handlers wait on `stop` so that shutting down never hangs on them."""

    stop: threading.Event


class LabServer(ThreadingHTTPServer):
    """A threading server on an ephemeral loopback port, carrying the app's state."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, handler: type[BaseHTTPRequestHandler], state: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.state = state


class LabHandler(BaseHTTPRequestHandler):
    """What every lab app's handler shares: keep-alive HTTP/1.1, the app's server, no log lines."""

    server: LabServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep the lab quiet."""


@contextmanager
def serve_http(handler: type[BaseHTTPRequestHandler], state: HasStop) -> Iterator[str]:
    """Run the handler for the block; yield its base URL (http://127.0.0.1:PORT)."""
    server = LabServer(handler, state)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        state.stop.set()  # release handlers that are waiting (hang, trickle, slow)
        server.shutdown()
        server.server_close()
