"""Writers of the logs `diagnose latency --log` reads, and synthetic traffic to fill them.

Formats: Cloudflare Logpush `http_requests` JSON lines, Combined Log Format with nginx's
`$request_time` (and `urt=` for the upstream's time), and Convex JSONL (`npx convex logs --jsonl`
completions, executionTime in seconds). Traffic is deterministic for a scenario.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Request:
    """One request as the edge saw it."""

    at: datetime
    path: str
    status: int
    total_ms: float
    origin_ms: float | None
    cache: str  # Logpush CacheCacheStatus: hit, miss, dynamic ...
    method: str = "GET"
    size: int = 1024


@dataclass(frozen=True)
class Execution:
    """One Convex function execution."""

    at: datetime
    function: str
    udf_type: str  # Query, Mutation, Action, HttpAction
    ms: float
    error: str | None = None


LOG_SCENARIOS: dict[str, str] = {
    "healthy": "30 minutes at 20 requests a minute, p95 well under 2 s, no errors, assets HIT",
    "slow": "every 5th request takes 3 s (no origin timing: Combined Log Format)",
    "errors": "5 % of the requests answer 502/503",
    "origin-slow": "every 4th request takes 3 s, 95 % of it at the origin",
    "cache-miss": "static assets are answered MISS/DYNAMIC at the edge",
    "traffic-spike": "minutes 20-24 carry 8x the traffic, slow and failing with it",
    "slow-function": "Convex: messages:search takes 2.5 s (a .filter() scan); the rest is fast",
}

_PAGES = ["/", "/dashboard", "/api/items", "/settings"]
_ASSETS = ["/assets/index-3f2a.js", "/assets/index-9c1b.css", "/favicon.ico"]


def synth_requests(
    scenario: str, start: datetime = START, minutes: int = 30, rpm: int = 20
) -> list[Request]:
    """Return the requests of a scenario, minute by minute."""
    if scenario not in LOG_SCENARIOS:
        raise KeyError(scenario)
    rng = random.Random(f"latency:{scenario}")  # deterministic per scenario
    out: list[Request] = []
    index = 0
    for minute in range(minutes):
        spike = scenario == "traffic-spike" and 20 <= minute < 25
        count = rpm * 8 if spike else rpm
        for i in range(count):
            index += 1
            at = start + timedelta(minutes=minute, seconds=60 * i / count)
            static = i % 3 == 2
            path = _ASSETS[i % len(_ASSETS)] if static else _PAGES[i % len(_PAGES)]
            total = rng.uniform(40, 250)
            origin_share = rng.uniform(0.2, 0.5)
            status = 200
            if scenario in ("slow", "origin-slow") and not static:
                every = 5 if scenario == "slow" else 4
                if index % every == 0:
                    total = 3000 + rng.uniform(0, 400)
                if scenario == "origin-slow":
                    origin_share = 0.95
            if scenario == "errors" and index % 20 == 0:
                status = 503 if index % 40 else 502
            if spike:
                total *= 12
                status = 503 if index % 8 == 0 else status
            cache = "dynamic"
            if static:
                cache = "miss" if scenario == "cache-miss" else "hit"
                if cache == "hit":
                    total, origin_share = rng.uniform(5, 30), 0.0
            out.append(
                Request(at, path, status, round(total, 1), round(total * origin_share, 1), cache)
            )
    return out


def synth_executions(
    scenario: str, start: datetime = START, minutes: int = 30, per_minute: int = 12
) -> list[Execution]:
    """Return Convex executions: fast queries and mutations, and a slow search when asked."""
    rng = random.Random(f"convex:{scenario}")
    functions = [
        ("items:list", "Query", 15.0),
        ("items:create", "Mutation", 25.0),
        ("messages:search", "Query", 60.0),
        ("billing:sync", "Action", 300.0),
    ]
    out: list[Execution] = []
    for minute in range(minutes):
        for i in range(per_minute):
            name, kind, ms = functions[i % len(functions)]
            if scenario == "slow-function" and name == "messages:search":
                ms = 2500.0
            at = start + timedelta(minutes=minute, seconds=60 * i / per_minute)
            out.append(Execution(at, name, kind, round(ms * rng.uniform(0.7, 1.3), 1)))
    return out


def write_logpush(path: Path, requests: Iterable[Request]) -> Path:
    """Write Logpush http_requests JSON lines (timestamps as RFC 3339, as new jobs default)."""
    with path.open("w", encoding="utf-8") as out:
        for i, r in enumerate(requests):
            end = r.at + timedelta(milliseconds=r.total_ms)
            record = {
                "ClientRequestHost": "dashtray.com",
                "ClientRequestMethod": r.method,
                "ClientRequestPath": r.path,
                "ClientRequestURI": r.path,
                "EdgeStartTimestamp": r.at.isoformat().replace("+00:00", "Z"),
                "EdgeEndTimestamp": end.isoformat().replace("+00:00", "Z"),
                "EdgeResponseStatus": r.status,
                "EdgeResponseBytes": r.size,
                "EdgeTimeToFirstByteMs": int(r.total_ms * 0.9),
                "OriginResponseDurationMs": int(r.origin_ms or 0),
                "OriginResponseStatus": 0 if r.cache == "hit" else r.status,
                "CacheCacheStatus": r.cache,
                "RayID": f"8d3f{i:012x}",
            }
            out.write(json.dumps(record) + "\n")
    return path


def write_combined(path: Path, requests: Iterable[Request], *, with_origin: bool = False) -> Path:
    """Write Combined Log Format lines followed by nginx's $request_time (seconds)."""
    with path.open("w", encoding="utf-8") as out:
        for r in requests:
            when = r.at.strftime("%d/%b/%Y:%H:%M:%S +0000")
            extra = f" urt={(r.origin_ms or 0) / 1000:.3f}" if with_origin else ""
            out.write(
                f'203.0.113.7 - - [{when}] "{r.method} {r.path} HTTP/1.1" {r.status} {r.size} '
                f'"-" "Mozilla/5.0" {r.total_ms / 1000:.3f}{extra}\n'
            )
    return path


def write_convex(path: Path, executions: Iterable[Execution]) -> Path:
    """Write `npx convex logs --jsonl`-style completions (timestamp and executionTime in seconds)."""
    with path.open("w", encoding="utf-8") as out:
        for i, e in enumerate(executions):
            record = {
                "kind": "Completion",
                "identifier": e.function,
                "udfType": e.udf_type,
                "timestamp": e.at.timestamp(),
                "executionTime": e.ms / 1000,
                "error": e.error,
                "cachedResult": False,
                "requestId": f"req{i:06d}",
                "logLines": [],
            }
            out.write(json.dumps(record) + "\n")
    return path


def write_scenario(folder: Path, scenario: str) -> list[Path]:
    """Write the logs of a scenario into a folder; return the files to pass with --log."""
    folder.mkdir(parents=True, exist_ok=True)
    if scenario == "slow-function":
        return [
            write_logpush(folder / "http_requests.jsonl", synth_requests("healthy")),
            write_convex(folder / "convex.jsonl", synth_executions(scenario)),
        ]
    requests = synth_requests(scenario)
    if scenario == "slow":
        return [write_combined(folder / "access.log", requests)]
    return [
        write_logpush(folder / "http_requests.jsonl", requests),
        write_convex(folder / "convex.jsonl", synth_executions("healthy")),
    ]
