"""A small Dashtray on 127.0.0.1: homepage, sign-in, health, and the ways they break in production."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from diagnose.lab.serving import LabHandler, serve_http

CF_ERRORS = {
    520: "Web server is returning an unknown error",
    521: "Web server is down",
    522: "Connection timed out",
    523: "Origin is unreachable",
    524: "A timeout occurred",
    525: "SSL handshake failed",
    526: "Invalid SSL certificate",
    530: "Origin DNS error",
}

# scenario -> what it plays; every fault the smoke rules know has one.
SCENARIOS: dict[str, str] = {
    "healthy": "everything answers: homepage 200, sign-in 401 for the test user, health 200",
    "health-failing": "Convex /api/health answers 503",
    "auth-failing": "POST /api/auth/signin answers 500",
    "server-error": "the origin answers 500 on every path",
    "redirect-loop": "every request is redirected to itself (Cloudflare Flexible SSL + forced HTTPS)",
    "hang": "accepts connections and never answers",
    "slow": "answers correctly, but after 1.5 s",
    "trickle": "hostile: sends the response one byte a second",
    "huge-body": "hostile: a 200 with a 1 GB body",
    "redirect-forever": "hostile: redirects to a new URL every time, without end",
    **{f"cf-{code}": f"Cloudflare {code}: {text}" for code, text in CF_ERRORS.items()},
}

_HOMEPAGE = b"<!doctype html><html><head><title>Dashtray</title></head><body><div id=root>Dashtray</div></body></html>"


def cloudflare_page(code: int) -> bytes:
    """Return a page shaped like Cloudflare's 5xx error page."""
    title = CF_ERRORS[code]
    extra = " Error 1016 Origin DNS error" if code == 530 else ""
    return (
        f"<!DOCTYPE html><html><head><title>dashtray.com | {code}: {title}</title></head>"
        f"<body><h1>{title}</h1><span class=code-label>Error code {code}</span>{extra}"
        f"<p>Visit cloudflare.com for more information.</p>"
        f"<p>Cloudflare Ray ID: <strong>8d3f0c1a2b3c4d5e</strong></p></body></html>"
    ).encode()


@dataclass
class LabState:
    """What the app plays; tests may change it while the server runs."""

    scenario: str = "healthy"
    delay_s: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    hits: list[tuple[str, str]] = field(default_factory=list)


class _Handler(LabHandler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        """Serve a GET."""
        self._serve()

    def do_HEAD(self) -> None:  # noqa: N802
        """Serve a HEAD."""
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        """Serve a POST (sign-in)."""
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        self._serve()

    def _serve(self) -> None:
        state = self.server.state
        state.hits.append((self.command, self.path))
        scenario = state.scenario
        if scenario == "hang":
            state.stop.wait(60)
            return
        delay = 1.5 if scenario == "slow" else state.delay_s
        if delay:
            state.stop.wait(delay)
        path = self.path.split("?", 1)[0]
        if scenario in _HOSTILE:
            _HOSTILE[scenario](self)
        elif scenario.startswith("cf-"):
            code = int(scenario[3:])
            self._send(code, cloudflare_page(code), "text/html; charset=UTF-8", cloudflare=True)
        elif scenario == "redirect-loop":
            host = self.headers.get("host", "127.0.0.1")
            self._send(301, b"", "text/html", location=f"http://{host}{self.path}", cloudflare=True)
        elif scenario == "server-error":
            self._send(500, b"Internal Server Error", "text/plain")
        elif path == "/api/auth/signin":
            if scenario == "auth-failing":
                self._json(500, {"error": "Internal error: AUTH_SECRET is not set"})
            else:
                self._json(401, {"error": "Invalid email or password"})
        elif path == "/api/health":
            if scenario == "health-failing":
                self._json(503, {"status": "error", "error": "database unavailable"})
            else:
                self._json(200, {"status": "ok"})
        elif path == "/":
            self._send(200, _HOMEPAGE, "text/html; charset=utf-8")
        else:
            self._send(404, b"Not found", "text/plain")

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        *,
        location: str | None = None,
        cloudflare: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        if location:
            self.send_header("location", location)
        if cloudflare:
            self.send_header("server", "cloudflare")
            self.send_header("cf-ray", "8d3f0c1a2b3c4d5e-AMS")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _trickle(handler: _Handler) -> None:
    body = _HOMEPAGE
    head = f"HTTP/1.1 200 OK\r\ncontent-length: {len(body)}\r\ncontent-type: text/html\r\n\r\n"
    for byte in head.encode() + body:
        if handler.server.state.stop.wait(1.0):
            return
        try:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        except OSError:
            return


def _huge_body(handler: _Handler) -> None:
    size = 1 << 30
    handler.send_response(200)
    handler.send_header("content-type", "text/html")
    handler.send_header("content-length", str(size))
    handler.end_headers()
    chunk = b"x" * (1 << 16)
    try:
        for _ in range(size // len(chunk)):
            if handler.server.state.stop.is_set():
                return
            handler.wfile.write(chunk)
    except OSError:
        return  # the client stopped reading: that is the point


def _redirect_forever(handler: _Handler) -> None:
    n = int(handler.path.rsplit("/", 1)[-1]) if handler.path.startswith("/r/") else 0
    handler._send(302, b"", "text/plain", location=f"/r/{n + 1}")


_HOSTILE = {"trickle": _trickle, "huge-body": _huge_body, "redirect-forever": _redirect_forever}


@dataclass
class RunningApp:
    """A started lab app: its base URL and its state."""

    url: str
    state: LabState


@contextmanager
def serve(scenario: str = "healthy") -> Iterator[RunningApp]:
    """Run the lab app on 127.0.0.1 on an ephemeral port for the duration of the block."""
    if scenario not in SCENARIOS:
        raise KeyError(scenario)
    state = LabState(scenario=scenario)
    with serve_http(_Handler, state) as url:
        yield RunningApp(url, state)
