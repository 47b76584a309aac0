"""Helpers for the incident tests: a recording HTTP server on 127.0.0.1 and a diagnose runner."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.cli import Result, run_cli

CANARIES = {
    "DODO_PAYMENTS_WEBHOOK_KEY": "whsec_canaryQm9vYmFyYmF6cXV4MTIzNDU2",
    "DODO_PAYMENTS_API_KEY": "canary-dodo-api-key-7f3a9c",
}
CANARY_BEARER = "Bearer canaryBearerToken0123456789abcdef"
CANARY_URL = "https://admin:canaryPassw0rd42@db.internal.example/dashtray"
CANARY_STRINGS = (
    *CANARIES.values(),
    "canaryBearerToken0123456789abcdef",
    "canaryPassw0rd42",
    "canaryQm9vYmFyYmF6",
)


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)


Reply = tuple[int, dict[str, str], bytes]
Handler = Callable[[Seen], Reply]


@dataclass
class Api:
    """A local API: every request is recorded and answered by `handler`."""

    url: str
    handler: Handler
    seen: list[Seen] = field(default_factory=list)

    def raw(self) -> bytes:
        """Return every byte received (request lines, headers, bodies)."""
        parts = []
        for s in self.seen:
            parts.append(f"{s.method} {s.path}\n".encode())
            parts += [f"{k}: {v}\n".encode() for k, v in s.headers.items()]
            parts.append(s.body)
        return b"".join(parts)


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    """Return a JSON reply."""
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


@contextmanager
def serve(handler: Handler) -> Iterator[Api]:
    """Run a recording HTTP server on 127.0.0.1 for the duration of the block."""
    api = Api("", handler)
    lock = threading.Lock()

    class _H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Keep quiet."""

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            seen = Seen(
                self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
            )
            with lock:
                api.seen.append(seen)
                status, headers, body = api.handler(seen)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any  # noqa: N815

    server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    host, port = server.server_address[:2]
    api.url = f"http://{host!s}:{port}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def run(
    args: list[str], env: dict[str, str], cwd: Path | None = None, stdin: str | None = None
) -> Result:
    """Run `python -m diagnose ARGS`, blanking the caller's own tokens, sinks and log path."""
    mine = ("DIAGNOSE_", "GITHUB_", "PAGERDUTY_", "SLACK_WEBHOOK_URL")
    blank = {k: "" for k in os.environ if k.startswith(mine)}
    return run_cli(
        *args, env={**blank, "DIAGNOSE_SINK_BACKOFF": "0.05", **env}, stdin=stdin, cwd=cwd
    )


def facts_file(tmp: Path, scenario: str = "cf-522", secrets: bool = False) -> Path:
    """Save the facts of a real lab run (optionally seeded with canary secrets) for replay."""
    path = tmp / f"facts-{scenario}.json"
    done = run(["demo", scenario, "--save-facts", str(path), "--format", "json"], {})
    assert done.code in (0, 1, 2), done.stderr
    if secrets:
        data = json.loads(path.read_text())
        facts = data["facts"]
        leak = f"{CANARIES['DODO_PAYMENTS_WEBHOOK_KEY']} {CANARY_BEARER} {CANARY_URL} "
        # First in the excerpt, so that the evidence (and so the Markdown) quotes it too.
        facts["smoke.homepage.body_excerpt"] = leak + facts["smoke.homepage.body_excerpt"]
        facts["smoke.homepage.url"] = CANARY_URL
        facts["smoke.auth.error"] = f"Authorization: {CANARY_BEARER}"
        facts["smoke.health.error"] = f"api key {CANARIES['DODO_PAYMENTS_API_KEY']}"
        path.write_text(json.dumps(data))
    return path
