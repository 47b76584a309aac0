"""The shape of the run as short text lines (the text report's notes): sparklines and a table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagnose.families.latency.stats import human_ms

TABLE_ROWS = 6  # the per-minute table shows the worst minutes, not all of them


def _get(facts: Mapping[str, Any], name: str) -> Any:
    return facts.get(name)


def sample_lines(facts: Mapping[str, Any]) -> list[str]:
    """Describe the live sample: the percentiles, phases and each request's time as a sparkline."""
    count = _get(facts, "latency.sample.count") or 0
    if not count:
        return []
    phases = _get(facts, "latency.sample.phases") or {}
    phase_text = ", ".join(
        f"{name} {human_ms((phases.get(name) or {}).get('p95_ms'))}"
        for name in ("dns", "connect", "tls", "ttfb")
        if (phases.get(name) or {}).get("p95_ms") is not None
    )
    rate = _get(facts, "latency.sample.error_rate") or 0
    lines = [
        f"sampled {count} requests (+{_get(facts, 'latency.sample.warmup') or 0} warm-up, not "
        f"counted): p50 {human_ms(_get(facts, 'latency.sample.p50_ms'))}, "
        f"p95 {human_ms(_get(facts, 'latency.sample.p95_ms'))}, "
        f"p99 {human_ms(_get(facts, 'latency.sample.p99_ms'))}, errors {rate:.1%}",
        f"each request, in order: {_get(facts, 'latency.sample.sparkline')}",
    ]
    if phase_text:
        lines.append(f"p95 by phase: {phase_text}")
    for url in (_get(facts, "latency.sample.per_url") or [])[:5]:
        cache = ", ".join(f"{k} {v}" for k, v in (url.get("cache") or {}).items())
        lines.append(
            f"  {url['url']}: p95 {human_ms(url.get('p95_ms'))}, {url.get('errors', 0)} errors"
            + (f", cache {cache}" if cache else "")
        )
    return lines


def log_lines(facts: Mapping[str, Any]) -> list[str]:
    """Describe the logs: sparklines of p95, traffic and errors, and the worst minutes."""
    lines: list[str] = []
    requests = _get(facts, "latency.logs.requests") or 0
    if requests:
        lines.append(
            f"logs: {requests} requests {_get(facts, 'latency.logs.window_start')} .. "
            f"{_get(facts, 'latency.logs.window_end')}: p95 "
            f"{human_ms(_get(facts, 'latency.logs.p95_ms'))}, errors "
            f"{(_get(facts, 'latency.logs.error_rate') or 0):.1%}"
        )
        for name in ("p95_sparkline", "requests_sparkline", "errors_sparkline"):
            if value := _get(facts, f"latency.logs.{name}"):
                lines.append(value)
        series = _get(facts, "latency.logs.series") or []
        worst = sorted(
            (s for s in series if s.get("requests")),
            key=lambda s: -(s.get("p95_ms") or 0),
        )[:TABLE_ROWS]
        if worst:
            lines.append("worst minutes, worst p95 first:")
            lines.append(f"  {'time':>16}  {'requests':>8}  {'errors':>6}  {'p95':>7}")
            for s in worst:  # worst first: the minute to look at is the first row
                lines.append(
                    f"  {s['t'][:16]:>16}  {s['requests']:>8}  {s['errors']:>6}  "
                    f"{human_ms(s.get('p95_ms')):>7}"
                )
        for path in (_get(facts, "latency.logs.worst_paths") or [])[:3]:
            lines.append(
                f"  slow path {path['path']}: p95 {human_ms(path['p95_ms'])} "
                f"over {path['requests']} requests"
            )
    for fn in (_get(facts, "latency.logs.functions") or [])[:3]:
        lines.append(
            f"  convex {fn['function']}: p95 {human_ms(fn['p95_ms'])} over {fn['calls']} calls"
        )
    if bad := _get(facts, "latency.logs.bad_lines"):
        lines.append(
            f"{bad} log lines skipped (not parseable), e.g. {_get(facts, 'latency.logs.bad_examples')[0]}"
        )
    return lines
