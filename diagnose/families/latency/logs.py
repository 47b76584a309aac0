"""Latency analysis of request rows and Convex executions with pandas: per-minute p95 and error
rate, paths, origin share, cache, spikes. The files are read by diagnose/readers/logs.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from diagnose.families.latency.classify import CACHED, is_static
from diagnose.families.latency.stats import human_ms, rounded, spark_scale, sparkline

if TYPE_CHECKING:
    import pandas as pd

MAX_EXAMPLES = 3
TOP = 10
SPIKE_MIN_BUCKETS = 5  # fewer buckets than this have no baseline worth the name


# --- analysis ---------------------------------------------------------------------------------


def bucket_seconds(span_s: float) -> int:
    """Pick the series' bucket: a minute up to 3 hours of logs, coarser beyond (at most ~150)."""
    for limit, size in ((3 * 3600, 60), (12 * 3600, 300), (48 * 3600, 1200)):
        if span_s <= limit:
            return size
    return 3600


def _labelled(
    kind: str, points: Sequence[float | None], start: Any, end: Any, fmt: Callable[[float], str]
) -> str:
    # A window of a day or more needs the date to be read; a shorter one only the clock.
    clock = "%m-%d %H:%M" if (end - start).days >= 1 else "%H:%M"
    scale = spark_scale(points, fmt)
    return f"{start.strftime(clock)} {sparkline(points)} {end.strftime(clock)} ({kind}; {scale})"


def _percent(rate: float) -> str:
    return f"{rate:.1%}"


def _window(df: pd.DataFrame, since: float | None, until: float | None) -> pd.DataFrame:
    if since is not None:
        df = df[df["at"] >= since]
    if until is not None:
        df = df[df["at"] < until]  # [since, until): back-to-back windows share no line
    return df


def analyse_requests(
    rows: Iterable[dict[str, Any]],
    since: float | None,
    until: float | None,
    budget_p95_ms: float,
) -> dict[str, Any]:
    """Reduce request rows to facts (names without the `latency.logs.` prefix)."""
    import pandas as pd

    df = _window(pd.DataFrame(list(rows), columns=_REQUEST_COLUMNS), since, until)
    if df.empty:
        return {"requests": 0}
    df = df.assign(
        time=pd.to_datetime(df["at"], unit="s", utc=True),
        total_ms=pd.to_numeric(df["total_ms"], errors="coerce"),
        origin_ms=pd.to_numeric(df["origin_ms"], errors="coerce"),
        failed=pd.to_numeric(df["status"], errors="coerce").fillna(0) >= 500,
    )
    start, end = df["time"].min(), df["time"].max()
    size = bucket_seconds((end - start).total_seconds())
    buckets = df.groupby(df["time"].dt.floor(f"{size}s"))
    grid = pd.date_range(start.floor(f"{size}s"), end.floor(f"{size}s"), freq=f"{size}s")
    per = pd.DataFrame(
        {
            "requests": buckets.size(),
            "errors": buckets["failed"].sum(),
            "p95_ms": buckets["total_ms"].quantile(0.95),
        }
    ).reindex(grid)
    per["requests"] = per["requests"].fillna(0).astype(int)
    per["errors"] = per["errors"].fillna(0).astype(int)
    series = [
        {
            "t": t.isoformat().replace("+00:00", "Z"),
            "requests": int(r.requests),
            "errors": int(r.errors),
            "error_rate": round(r.errors / r.requests, 4) if r.requests else None,
            "p95_ms": rounded(r.p95_ms),
        }
        for t, r in per.iterrows()
    ]
    p95s = [s["p95_ms"] for s in series]
    counts = [float(s["requests"]) for s in series]
    rates = [s["error_rate"] for s in series]
    over = [s for s in series if s["p95_ms"] is not None and s["p95_ms"] > budget_p95_ms]
    facts: dict[str, Any] = {
        "requests": len(df),
        "window_start": start.isoformat().replace("+00:00", "Z"),
        "window_end": end.isoformat().replace("+00:00", "Z"),
        "minutes": round((end - start).total_seconds() / 60, 1),
        "bucket_s": size,
        "series": series,
        "p50_ms": rounded(df["total_ms"].quantile(0.5)),
        "p95_ms": rounded(df["total_ms"].quantile(0.95)),
        "p99_ms": rounded(df["total_ms"].quantile(0.99)),
        "errors": int(df["failed"].sum()),
        "error_rate": round(float(df["failed"].mean()), 4),
        "p95_over_since": over[0]["t"] if over else None,
        "p95_over_buckets": len(over),
    }
    unit = "minute" if size == 60 else f"{size // 60} min"
    top = max((p for p in p95s if p is not None), default=None)
    top_at = next((s["t"][11:16] for s in series if s["p95_ms"] == top), "")
    facts["p95_sparkline"] = _labelled(
        f"p95 per {unit}, worst at {top_at}" if top_at else f"p95 per {unit}",
        p95s,
        start,
        end,
        human_ms,
    )
    facts["requests_sparkline"] = _labelled(
        f"requests per {unit}", counts, start, end, lambda n: f"{n:.0f}"
    )
    facts["errors_sparkline"] = _labelled(f"error rate per {unit}", rates, start, end, _percent)
    facts.update(_paths(df))
    facts.update(_origin(df))
    facts.update(_static(df))
    facts.update(_spike(counts, series, size))
    return facts


_REQUEST_COLUMNS = ["at", "path", "status", "total_ms", "origin_ms", "cache", "edge"]


def _paths(df: pd.DataFrame) -> dict[str, Any]:
    grouped = df.groupby("path")["total_ms"].agg(["count", lambda s: s.quantile(0.95)])
    grouped.columns = ["requests", "p95_ms"]
    grouped = grouped[grouped["requests"] >= 3].sort_values("p95_ms", ascending=False)
    worst = [
        {"path": str(p), "requests": int(r.requests), "p95_ms": rounded(r.p95_ms)}
        for p, r in grouped.head(TOP).iterrows()
    ]
    return {
        "worst_paths": worst,
        "worst_path": worst[0]["path"] if worst else None,
        "worst_path_p95_ms": worst[0]["p95_ms"] if worst else None,
    }


def _origin(df: pd.DataFrame) -> dict[str, Any]:
    both = df[df["origin_ms"].notna() & (df["total_ms"] > 0)]
    if both.empty:
        return {"origin_requests": 0, "origin_p95_ms": None, "origin_share": None}
    return {
        "origin_requests": int((both["origin_ms"] > 0).sum()),
        "origin_p95_ms": rounded(both["origin_ms"].quantile(0.95)),
        # Share of all time spent waiting on the origin: near 1 means the edge is not the problem.
        "origin_share": round(float(both["origin_ms"].sum() / both["total_ms"].sum()), 3),
    }


def _static(df: pd.DataFrame) -> dict[str, Any]:
    static = df[df["path"].map(is_static) & df["cache"].notna()]
    if static.empty:
        return {
            "static_requests": 0,
            "static_hits": 0,
            "static_hit_ratio": None,
            "static_uncached": [],
        }
    hit = static["cache"].isin(CACHED)
    missed = static[~hit].groupby(["path", "cache"]).size().sort_values(ascending=False)
    return {
        "static_requests": len(static),
        "static_hits": int(hit.sum()),
        "static_hit_ratio": round(float(hit.mean()), 3),
        "static_uncached": [f"{p} {c.upper()} x{n}" for (p, c), n in missed.head(5).items()],
    }


def _spike(counts: list[float], series: list[dict[str, Any]], size: int) -> dict[str, Any]:
    per_min = [c * 60 / size for c in counts]
    if len(per_min) < SPIKE_MIN_BUCKETS:
        return {"peak_rpm": None, "baseline_rpm": None, "spike_factor": None, "spike_at": None}
    ordered = sorted(per_min)
    baseline = ordered[len(ordered) // 2]  # the median: a spike does not raise its own baseline
    peak = max(per_min)
    return {
        "peak_rpm": round(peak, 1),
        "baseline_rpm": round(baseline, 1),
        "spike_factor": round(peak / baseline, 2) if baseline else None,
        "spike_at": series[per_min.index(peak)]["t"],
    }


def analyse_functions(
    rows: Iterable[dict[str, Any]],
    since: float | None,
    until: float | None,
    budget_ms: float,
) -> dict[str, Any]:
    """Reduce Convex executions to per-function times, the slowest first."""
    import pandas as pd

    columns = ["at", "function", "type", "ms", "error"]
    df = _window(pd.DataFrame(list(rows), columns=columns), since, until)
    if df.empty:
        return {"function_calls": 0, "functions": [], "slow_functions": []}
    df = df.assign(ms=pd.to_numeric(df["ms"], errors="coerce"))
    grouped = df.groupby("function").agg(
        type=("type", "first"),
        calls=("ms", "size"),
        errors=("error", "sum"),
        p50_ms=("ms", lambda s: s.quantile(0.5)),
        p95_ms=("ms", lambda s: s.quantile(0.95)),
        max_ms=("ms", "max"),
    )
    grouped = grouped.sort_values("p95_ms", ascending=False)
    functions = [
        {
            "function": str(name),
            "type": r.type,
            "calls": int(r.calls),
            "errors": int(r.errors),
            "p50_ms": rounded(r.p50_ms),
            "p95_ms": rounded(r.p95_ms),
            "max_ms": rounded(r.max_ms),
        }
        for name, r in grouped.head(TOP).iterrows()
    ]
    slow = [f for f in functions if (f["p95_ms"] or 0) > budget_ms]
    failing = grouped[grouped["errors"] > 0].sort_values("errors", ascending=False)
    errors = int(df["error"].sum())
    return {
        "function_calls": len(df),
        "function_errors": errors,
        # A Convex log has no HTTP statuses: its failed executions are its error rate.
        "function_error_rate": round(errors / len(df), 4),
        "failing_functions": [
            f"{name}: {int(r.errors)} of {int(r.calls)} failed"
            for name, r in failing.head(TOP).iterrows()
        ],
        "functions": functions,
        "slowest_function": functions[0]["function"],
        "slowest_function_type": functions[0]["type"],
        "slowest_function_p95_ms": functions[0]["p95_ms"],
        "slow_functions": [f"{f['function']} p95 {human_ms(f['p95_ms'])}" for f in slow],
    }


FACT_NAMES = (
    "files lines bad_lines bad_examples other_lines requests window_start window_end minutes "
    "bucket_s series p50_ms p95_ms p99_ms errors error_rate p95_over_since p95_over_buckets "
    "p95_sparkline requests_sparkline errors_sparkline worst_paths worst_path worst_path_p95_ms "
    "origin_requests origin_p95_ms origin_share static_requests static_hits static_hit_ratio "
    "static_uncached peak_rpm baseline_rpm spike_factor spike_at function_calls function_errors "
    "function_error_rate failing_functions functions slowest_function slowest_function_type slowest_function_p95_ms slow_functions"
).split()
