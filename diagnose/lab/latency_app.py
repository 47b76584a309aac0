"""A Dashtray behind a pretend Cloudflare on 127.0.0.1, with injectable latency, errors and cache.

Latency and errors are deterministic (every k-th request), not random: a test that sends 20
requests knows how many were slow. `time_scale` shrinks every delay so that tests run in tens
of milliseconds what production plays in seconds.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from diagnose.families.latency.classify import is_static
from diagnose.lab.serving import LabHandler, serve_http


@dataclass(frozen=True)
class Profile:
    """How the app answers: delays in ms, which requests are slow or fail, the cache status."""

    base_ms: float = 20.0
    slow_ms: float = 0.0
    slow_every: int = 0  # every k-th request of a path takes slow_ms, not base_ms (0: never)
    error_every: int = 0  # every k-th request of a dynamic path answers 503 (0: never)
    cold_ms: float = 0.0  # the first `cold_requests` requests take this long (a cold start)
    cold_requests: int = 0
    origin_share: float | None = None  # reported as Server-Timing cfOrigin (None: no header)
    static_cache: str = "HIT"  # cf-cache-status of static assets
    dynamic_cache: str = "DYNAMIC"


SCENARIOS: dict[str, tuple[str, Profile]] = {
    "healthy": ("fast pages, assets HIT at the edge, no errors", Profile(origin_share=0.3)),
    "cold-start": (
        "healthy, but the first requests are slow (warm-up must absorb them)",
        Profile(origin_share=0.3, cold_ms=3000, cold_requests=2),
    ),
    "slow": (
        "every 4th request takes 2.5 s; no Server-Timing to say where",
        Profile(slow_ms=2500, slow_every=4),
    ),
    "errors": (
        "every 5th page or API request answers 503",
        Profile(error_every=5, origin_share=0.3),
    ),
    "origin-slow": (
        "every 3rd request takes 2.5 s, 95 % of it waiting on the origin (Server-Timing cfOrigin)",
        Profile(slow_ms=2500, slow_every=3, origin_share=0.95),
    ),
    "cache-miss": (
        "static assets are never cached at the edge (cf-cache-status MISS)",
        Profile(origin_share=0.3, static_cache="MISS"),
    ),
}

_HTML = b"<!doctype html><html><head><title>Dashtray</title><script src=/assets/app.js></script></head><body>Dashtray</body></html>"
_JS = b"console.log('dashtray');" * 40


@dataclass
class LatencyState:
    """What the app plays and what it saw; tests may change `profile` while it runs."""

    profile: Profile
    time_scale: float = 1.0
    stop: threading.Event = field(default_factory=threading.Event)
    counter: Iterator[int] = field(default_factory=itertools.count)
    lock: threading.Lock = field(default_factory=threading.Lock)
    per_path: dict[str, int] = field(default_factory=dict)
    served: list[tuple[str, int, float]] = field(default_factory=list)  # path, status, delay ms

    def next_index(self, path: str) -> tuple[int, int]:
        """Return this request's number overall and for its path (1-based), in arrival order."""
        with self.lock:
            self.per_path[path] = self.per_path.get(path, 0) + 1
            return next(self.counter) + 1, self.per_path[path]


class _Handler(LabHandler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        """Serve a GET."""
        state = self.server.state
        p = state.profile
        path = self.path.split("?", 1)[0]
        # Slow and failing requests are counted per path, so that mixing URLs keeps the ratio.
        index, nth = state.next_index(path)
        static = is_static(path)
        delay = p.base_ms
        if p.slow_every and nth % p.slow_every == 0:
            delay = p.slow_ms
        if index <= p.cold_requests:
            delay = p.cold_ms
        if static and p.static_cache == "HIT" and index > p.cold_requests:
            delay = min(delay, 5.0)  # an edge hit never waits on the origin
        delay *= state.time_scale
        state.stop.wait(delay / 1000)
        failing = not static and p.error_every and nth % p.error_every == 0
        status, body, ctype = 200, _HTML, "text/html; charset=utf-8"
        if failing:
            status, body, ctype = 503, b"Service Unavailable", "text/plain"
        elif static:
            ctype = "text/css" if path.endswith(".css") else "application/javascript"
            body = _JS
        elif path.startswith("/api/"):
            body, ctype = json.dumps({"status": "ok"}).encode(), "application/json"
        elif path != "/":
            status, body, ctype = 404, b"Not found", "text/plain"
        with state.lock:
            state.served.append((path, status, delay))
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.send_header("server", "cloudflare")
        self.send_header("cf-ray", f"8d3f0c1a{index:08x}-AMS")
        self.send_header("cf-cache-status", p.static_cache if static else p.dynamic_cache)
        if p.origin_share is not None and not (static and p.static_cache == "HIT"):
            origin = delay * p.origin_share
            self.send_header(
                "server-timing", f"cfEdge;dur={delay - origin:.1f}, cfOrigin;dur={origin:.1f}"
            )
        self.end_headers()
        self.wfile.write(body)


@dataclass
class RunningLatencyApp:
    """A started app: its base URL, a static asset's URL, and its state."""

    url: str
    asset_url: str
    state: LatencyState


@contextmanager
def serve(
    scenario: str = "healthy", *, time_scale: float = 1.0, **overrides: Any
) -> Iterator[RunningLatencyApp]:
    """Run the app on an ephemeral port of 127.0.0.1 for the duration of the block."""
    if scenario not in SCENARIOS:
        raise KeyError(scenario)
    profile = replace(SCENARIOS[scenario][1], **overrides)
    state = LatencyState(profile, time_scale)
    with serve_http(_Handler, state) as base:
        yield RunningLatencyApp(f"{base}/", f"{base}/assets/app.js", state)
