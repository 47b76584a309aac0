"""The budgets: config [budgets], else the runbook's success criteria (shared by every family)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diagnose.options import as_probe_options, default_of, fields, setting
from diagnose.options import resolve as resolve_options


@dataclass(frozen=True)
class Budgets:
    """p95 < 2 s and error rate < 1 % are the runbook's success criteria; the rest are ours."""

    p95_ms: float = setting(
        2000.0,
        "p95 response time budget, ms (runbook: < 2 s)",
        config="budgets.p95_ms",
        low=1,
        high=600_000,
    )
    error_rate: float = setting(
        0.01,
        "error rate budget, a fraction (runbook: < 1 %)",
        config="budgets.error_rate",
        low=0,
        high=1,
    )
    function_p95_ms: float = setting(
        1000.0,
        "p95 of one Convex function, ms",
        config="budgets.function_p95_ms",
        low=1,
        high=600_000,
    )
    spike_factor: float = setting(
        3.0,
        "a minute this many times the median rate is a spike",
        config="budgets.spike_factor",
        low=1,
        high=1000,
    )


DEFAULTS: dict[str, float] = {f.name: float(default_of(f)) for f, _ in fields(Budgets)}


def resolve(configured: dict[str, Any] | None) -> dict[str, float]:
    """Return every budget, configured values over the defaults (whole numbers print as such)."""
    given = configured or {}
    out: dict[str, float] = {}
    for key, default in DEFAULTS.items():
        value = float(given.get(key, default))
        out[key] = int(value) if value.is_integer() else value
    return out


def from_config(config: Any) -> dict[str, float]:
    """Return the budgets the config sets over the defaults, as the probes read them."""
    return resolve(as_probe_options(resolve_options(Budgets, config)))
