"""Remember when diagnose itself poked the webhook endpoint, so that later runs discount it.

`diagnose webhooks --endpoint URL` sends one unsigned POST; a real handler rejects it and logs a
"missing headers" line. Read back by a later run, that line would look like a proxy stripping
headers from real deliveries. Each check's time is kept here (in the user's cache folder), and
the log summary drops header rejections logged within a few seconds of one.
"""

from __future__ import annotations

import bisect
import os
import time
from pathlib import Path

KEEP = 1000  # the most recent checks remembered
SLACK_S = 5.0  # clock difference between this machine and Convex that is still "the same"


def path() -> Path:
    """Return the file of remembered checks: $DIAGNOSE_OWN_CHECKS, else the cache folder's."""
    if given := os.environ.get("DIAGNOSE_OWN_CHECKS"):
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "diagnose" / "endpoint-checks.txt"


def record(at: float | None = None) -> None:
    """Remember one check (epoch seconds); a read-only home only loses the memory."""
    target = path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = target.read_text().splitlines()[-(KEEP - 1) :] if target.exists() else []
        lines.append(f"{at if at is not None else time.time():.3f}")
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(target)
    except OSError:
        pass


def times() -> list[float]:
    """Return the remembered check times, oldest first."""
    try:
        text = path().read_text()
    except OSError:
        return []
    out: list[float] = []
    for line in text.splitlines():
        try:
            out.append(float(line))
        except ValueError:
            continue
    return sorted(out)


def near(ts: float, checks: list[float]) -> bool:
    """Tell whether a log time is within SLACK_S of a remembered check."""
    i = bisect.bisect_left(checks, ts - SLACK_S)
    return i < len(checks) and checks[i] <= ts + SLACK_S
