"""Onset against deployment: did errors, latency or webhook failures start after the last deploy?

The log probes of each family summarise their whole window; what a deployment needs is a split at
its instant. The deploys probe takes the same files' rows from the run's read cache (files only:
stdin is left to its own probe) and compares the hour before the deployment with the time since.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diagnose.probe import ReadCache
from diagnose.timeparse import iso

BASELINE_S = 3600  # the hour before a deployment is its baseline
WEBHOOK_RX = re.compile(r"(?i)webhook|dodo")
MAX_SCAN_BYTES = 256 * 1024 * 1024  # a log this big is read by its own probe, not twice


def delay_text(seconds: float) -> str:
    """Return a delay as people say it: '45 s', '4 minutes', '2 h 5 min'."""
    if seconds < 90:
        return f"{max(0, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{minutes // 60} h {minutes % 60} min"


def scannable(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split log paths into those this module can read again and why the others are skipped."""
    ok: list[str] = []
    skipped: list[str] = []
    for p in paths:
        path = Path(p)
        if p == "-":
            skipped.append("stdin: read once by its own probe")
        elif not path.is_file():
            skipped.append(f"{p}: not a file")
        elif path.stat().st_size > MAX_SCAN_BYTES:
            skipped.append(f"{p}: over {MAX_SCAN_BYTES // 2**20} MB")
        else:
            ok.append(p)
    return ok, skipped


def _p95(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)], 1)


def _rate(bad: int, total: int) -> float | None:
    return round(bad / total, 4) if total else None


def _first_after(times: Iterable[float], deployed: float) -> float | None:
    return min((t for t in times if t >= deployed), default=None)


def split(
    paths: Sequence[str],
    deployed: datetime,
    until: datetime,
    p95_budget_ms: float = 2000.0,
    webhook_rx: re.Pattern[str] = WEBHOOK_RX,
    reads: ReadCache | None = None,
) -> dict[str, Any]:
    """Return the onset facts (names under deploy.onset.) for the logs around a deployment."""
    from diagnose.readers.logs import read_logs

    d = deployed.timestamp()
    lo = d - BASELINE_S
    hi = until.timestamp()
    read = read_logs(paths, reads)
    events: list[tuple[float, bool]] = [
        (r["at"], (r["status"] or 0) >= 500) for r in read.requests if lo <= r["at"] <= hi
    ]
    events += [(e["at"], bool(e["error"])) for e in read.executions if lo <= e["at"] <= hi]
    before = [failed for at, failed in events if at < d]
    after = [failed for at, failed in events if at >= d]
    first_error = _first_after((at for at, failed in events if failed), d)
    earliest = min(
        [r["at"] for r in read.requests] + [e["at"] for e in read.executions], default=None
    )
    out: dict[str, Any] = {
        # Logs that begin after the deployment cannot say whether errors were new with it.
        "logs_cover_deploy": earliest is not None and earliest <= d,
        "errors.before": sum(before),
        "errors.before_events": len(before),
        "errors.before_rate": _rate(sum(before), len(before)),
        "errors.after": sum(after),
        "errors.after_events": len(after),
        "errors.after_rate": _rate(sum(after), len(after)),
        **_onset("errors", first_error, d),
    }
    timed = [(r["at"], r["total_ms"]) for r in read.requests if r["total_ms"] is not None]
    before_ms = [ms for at, ms in timed if lo <= at < d]
    after_ms = [ms for at, ms in timed if d <= at <= hi]
    # The onset of slowness is the first minute after the deployment whose p95 is over budget.
    minutes: dict[int, list[float]] = {}
    for at, ms in timed:
        if d <= at <= hi:
            minutes.setdefault(int((at - d) // 60), []).append(ms)
    slow = [m for m, v in sorted(minutes.items()) if (_p95(v) or 0) > p95_budget_ms]
    slow_at = d + slow[0] * 60 if slow else None
    if slow_at is not None:
        slow_at = min(at for at, ms in timed if at >= slow_at and ms > p95_budget_ms)
    out.update(
        {
            "latency.budget_ms": p95_budget_ms,
            "latency.before_p95_ms": _p95(before_ms),
            "latency.after_p95_ms": _p95(after_ms),
            "latency.before_requests": len(before_ms),
            "latency.after_requests": len(after_ms),
            **_onset("latency", slow_at, d),
        }
    )
    hooks = [
        (e["at"], bool(e["error"]))
        for e in read.executions
        if lo <= e["at"] <= hi and webhook_rx.search(str(e["function"]))
    ]
    hb = [f for at, f in hooks if at < d]
    ha = [f for at, f in hooks if at >= d]
    out.update(
        {
            "webhooks.before": len(hb),
            "webhooks.before_failures": sum(hb),
            "webhooks.before_rate": _rate(sum(hb), len(hb)),
            "webhooks.after": len(ha),
            "webhooks.after_failures": sum(ha),
            "webhooks.after_rate": _rate(sum(ha), len(ha)),
            **_onset("webhooks", _first_after((at for at, f in hooks if f), d), d),
        }
    )
    return out


def _onset(kind: str, at: float | None, deployed: float) -> dict[str, Any]:
    if at is None:
        return {f"{kind}.first_at": None, f"{kind}.minutes_after": None, f"{kind}.delay": None}

    return {
        f"{kind}.first_at": iso(datetime.fromtimestamp(at, UTC)),
        f"{kind}.minutes_after": round((at - deployed) / 60, 1),
        f"{kind}.delay": delay_text(at - deployed),
    }


ONSET_FACTS = ("logs_cover_deploy",) + tuple(
    f"{kind}.{name}"
    for kind, names in (
        (
            "errors",
            "before before_events before_rate after after_events after_rate first_at "
            "minutes_after delay",
        ),
        (
            "latency",
            "budget_ms before_p95_ms after_p95_ms before_requests after_requests first_at "
            "minutes_after delay",
        ),
        (
            "webhooks",
            "before before_failures before_rate after after_failures after_rate first_at "
            "minutes_after delay",
        ),
    )
    for name in names.split()
)
