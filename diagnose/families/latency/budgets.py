"""The latency budgets: config [budgets], else the runbook's success criteria."""

from __future__ import annotations

from typing import Any

# key in [budgets] -> default. p95 < 2 s and error rate < 1 % are the runbook's success criteria;
# the other two are this tool's defaults, for the rules the runbook's steps imply.
DEFAULTS: dict[str, float] = {
    "p95_ms": 2000.0,
    "error_rate": 0.01,
    "function_p95_ms": 1000.0,
    "spike_factor": 3.0,
}


def resolve(configured: dict[str, Any] | None) -> dict[str, float]:
    """Return every budget, configured values over the defaults (whole numbers print as such)."""
    given = configured or {}
    out: dict[str, float] = {}
    for key, default in DEFAULTS.items():
        value = float(given.get(key, default))
        out[key] = int(value) if value.is_integer() else value
    return out
