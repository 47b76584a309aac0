"""Log readers (Cloudflare Logpush http_requests, Common/Combined Log Format, Convex JSONL) and
their analysis with pandas: per-minute p95 and error rate, paths, origin share, cache, spikes."""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from diagnose.families.latency.classify import CACHED, is_static
from diagnose.families.latency.stats import human_ms, rounded, sparkline

if TYPE_CHECKING:
    import pandas as pd

MAX_EXAMPLES = 3
TOP = 10
SPIKE_MIN_BUCKETS = 5  # fewer buckets than this have no baseline worth the name


class LogFormat(StrEnum):
    """The log formats `diagnose latency --log` reads (detected per file)."""

    LOGPUSH = "logpush"
    COMBINED = "combined"
    CONVEX = "convex"


@dataclass
class LogRead:
    """What the readers found: request rows, Convex function executions, and bad lines."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    lines: int = 0
    bad: int = 0
    other: int = 0  # well-formed lines that are not requests or executions (console logs)
    bad_examples: list[str] = field(default_factory=list)


class BadLine(ValueError):
    """A line that does not parse in its file's format."""


# --- time ------------------------------------------------------------------------------------


def epoch_seconds(value: Any) -> float:
    """Return seconds since the epoch from a number (s, ms, us or ns by magnitude) or RFC 3339."""
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        for limit, scale in ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3)):
            if number > limit:
                return number / scale
        return number
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadLine(f"bad timestamp {value!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    raise BadLine(f"bad timestamp {value!r}")


def _num(value: Any) -> float | None:
    if value is None or value == "" or value == "-":
        return None
    if isinstance(value, bool):
        raise BadLine(f"not a number: {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadLine(f"not a number: {value!r}") from None


# --- Cloudflare Logpush http_requests --------------------------------------------------------


def parse_logpush(obj: dict[str, Any]) -> dict[str, Any]:
    """Turn one http_requests record into a request row.

    Total time is EdgeEndTimestamp - EdgeStartTimestamp (else EdgeTimeToFirstByteMs); origin time
    is OriginResponseDurationMs (else the deprecated OriginResponseTime, in nanoseconds).
    """
    if "EdgeStartTimestamp" not in obj:
        raise BadLine("no EdgeStartTimestamp")
    start = epoch_seconds(obj["EdgeStartTimestamp"])
    total = None
    if obj.get("EdgeEndTimestamp") not in (None, ""):
        total = (epoch_seconds(obj["EdgeEndTimestamp"]) - start) * 1000
    if total is None or total < 0:
        total = _num(obj.get("EdgeTimeToFirstByteMs"))
    origin = _num(obj.get("OriginResponseDurationMs"))
    if origin is None and (ns := _num(obj.get("OriginResponseTime"))) is not None:
        origin = ns / 1e6
    status = _num(obj.get("EdgeResponseStatus"))
    path = obj.get("ClientRequestPath") or str(obj.get("ClientRequestURI") or "/").split("?")[0]
    cache = obj.get("CacheCacheStatus")
    return {
        "at": start,
        "path": str(path),
        "status": int(status) if status is not None else None,
        "total_ms": total,
        "origin_ms": origin,
        "cache": str(cache).lower() if cache not in (None, "", "unknown") else None,
        "edge": True,
    }


# --- Common / Combined Log Format with a response time ----------------------------------------

_CLF = re.compile(
    r'^(?P<host>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\S+)'
    r'(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?(?P<rest>.*)$'
)
_KV = re.compile(r"(\w+)=\"?([^\s\"]+)\"?")
_TIME_KEYS = ("rt", "request_time", "rtime", "duration", "response_time")
_ORIGIN_KEYS = ("urt", "upstream_response_time", "uct", "origin_time")
_CACHE_KEYS = ("cache", "cs", "upstream_cache_status", "cf_cache_status")


def _clf_seconds(token: str) -> float | None:
    # nginx's $request_time is seconds with a dot (0.123); Apache's %D is whole microseconds.
    value = _num(token.split(",")[-1].strip())  # "0.010, 0.020": the last upstream answered
    if value is None:
        return None
    return value * 1000 if "." in token else value / 1000


def parse_combined(line: str) -> dict[str, Any]:
    """Turn one Common/Combined Log Format line with a response time after it into a request row.

    The response time is a `rt=`/`request_time=` field or the first bare number after the
    standard fields: seconds when it has a decimal point (nginx $request_time), microseconds
    otherwise (Apache %D). `urt=`/`upstream_response_time=` is the origin's time.
    """
    match = _CLF.match(line.rstrip("\n"))
    if not match:
        raise BadLine("not Common/Combined Log Format")
    try:
        at = datetime.strptime(match.group("time"), "%d/%b/%Y:%H:%M:%S %z").timestamp()
    except ValueError:
        raise BadLine(f"bad time [{match.group('time')}]") from None
    parts = match.group("request").split()
    path = parts[1] if len(parts) >= 2 else "/"
    rest = match.group("rest")
    keyed = {k.lower(): v for k, v in _KV.findall(rest)}
    total = origin = None
    for key in _TIME_KEYS:
        if key in keyed:
            total = _clf_seconds(keyed[key])
            break
    else:
        bare = [t for t in _KV.sub(" ", rest).split() if re.fullmatch(r"\d+(\.\d+)?", t)]
        if bare:
            total = _clf_seconds(bare[0])
    for key in _ORIGIN_KEYS:
        if key in keyed:
            origin = _clf_seconds(keyed[key])
            break
    cache = next((keyed[k] for k in _CACHE_KEYS if k in keyed), None)
    return {
        "at": at,
        "path": path.split("?", 1)[0],
        "status": int(match.group("status")),
        "total_ms": total,
        "origin_ms": origin,
        "cache": cache.lower() if cache and cache != "-" else None,
        "edge": cache is not None,
    }


# --- Convex -----------------------------------------------------------------------------------


def parse_convex(obj: dict[str, Any]) -> dict[str, Any] | None:
    """Turn one Convex log record into a function execution; None for other events (console).

    Reads `npx convex logs --jsonl` completions (identifier, udfType, timestamp and executionTime
    in seconds) and log-stream `function_execution` events (function.path, execution_time_ms).
    """
    if obj.get("kind") == "Completion" or "executionTime" in obj:
        if "identifier" not in obj:
            raise BadLine("Convex completion without identifier")
        seconds = _num(obj.get("executionTime"))
        return {
            "at": epoch_seconds(obj.get("timestamp", 0)),
            "function": str(obj["identifier"]),
            "type": str(obj.get("udfType") or "").lower() or None,
            "ms": seconds * 1000 if seconds is not None else None,
            "error": bool(obj.get("error")),
        }
    topic = obj.get("topic") or obj.get("_topic")
    if topic in ("function_execution", "_execution_record"):
        raw = obj.get("function")
        fn: dict[str, Any] = raw if isinstance(raw, dict) else {}
        path = fn.get("path") or obj.get("_functionPath")
        if not path:
            raise BadLine("function_execution without function.path")
        ms = _num(obj.get("execution_time_ms", obj.get("executionTimeMs")))
        return {
            "at": epoch_seconds(obj.get("timestamp", obj.get("_timestamp", 0))),
            "function": str(path),
            "type": str(fn.get("type") or obj.get("_functionType") or "").lower() or None,
            "ms": ms,
            "error": str(obj.get("status", "success")).lower() not in ("success", "ok"),
        }
    if topic is not None or obj.get("kind") is not None:
        return None
    raise BadLine("not a Convex log record")


# --- reading ----------------------------------------------------------------------------------


def detect(line: str) -> LogFormat | None:
    """Guess a line's format: a JSON object (Logpush or Convex) or a CLF line."""
    text = line.strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except (json.JSONDecodeError, RecursionError):  # hostile nesting is no format either
            return None
        if not isinstance(obj, dict):
            return None
        if "EdgeStartTimestamp" in obj or "EdgeResponseStatus" in obj:
            return LogFormat.LOGPUSH
        if {"kind", "identifier", "executionTime", "topic", "_topic"} & set(obj):
            return LogFormat.CONVEX
        return None
    return LogFormat.COMBINED if _CLF.match(text) else None


def _open(path: str) -> IO[str]:
    if path == "-":
        return sys.stdin
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by caller


def _lines(path: str) -> Iterator[str]:
    handle = _open(path)
    try:
        yield from handle
    finally:
        if handle is not sys.stdin:
            handle.close()


def read_logs(paths: Sequence[str]) -> LogRead:
    """Read every file, detecting each one's format; count and skip the lines that do not parse."""
    out = LogRead()
    for path in paths:
        fmt: LogFormat | None = None
        parsed = bad = 0
        for number, line in enumerate(_lines(path), 1):
            if not line.strip():
                continue
            out.lines += 1
            fmt = fmt or detect(line)
            try:
                if fmt is None:
                    raise BadLine("format not recognised (Logpush JSON, CLF or Convex JSONL)")
                row = _parse(fmt, line)
            except (BadLine, json.JSONDecodeError, RecursionError) as exc:
                bad += 1
                if len(out.bad_examples) < MAX_EXAMPLES:
                    out.bad_examples.append(f"{path}:{number}: {exc}")
                continue
            if row is None:
                out.other += 1
            elif fmt is LogFormat.CONVEX:
                out.executions.append(row)
            else:
                out.requests.append(row)
            parsed += 1
        out.bad += bad
        out.files.append(
            {"path": path, "format": fmt.value if fmt else None, "parsed": parsed, "bad": bad}
        )
    return out


def _parse(fmt: LogFormat, line: str) -> dict[str, Any] | None:
    if fmt is LogFormat.COMBINED:
        return parse_combined(line)
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise BadLine("not a JSON object")
    return parse_logpush(obj) if fmt is LogFormat.LOGPUSH else parse_convex(obj)


# --- analysis ---------------------------------------------------------------------------------


def bucket_seconds(span_s: float) -> int:
    """Pick the series' bucket: a minute up to 3 hours of logs, coarser beyond (at most ~150)."""
    for limit, size in ((3 * 3600, 60), (12 * 3600, 300), (48 * 3600, 1200)):
        if span_s <= limit:
            return size
    return 3600


def _labelled(kind: str, points: Sequence[float | None], start: Any, end: Any, peak: str) -> str:
    # A window of a day or more needs the date to be read; a shorter one only the clock.
    fmt = "%m-%d %H:%M" if (end - start).days >= 1 else "%H:%M"
    return f"{start.strftime(fmt)} {sparkline(points)} {end.strftime(fmt)} ({kind}; {peak})"


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
        f"p95 per {unit}", p95s, start, end, f"max {human_ms(top)} at {top_at}"
    )
    facts["requests_sparkline"] = _labelled(
        f"requests per {unit}", counts, start, end, f"max {max(counts):.0f}"
    )
    facts["errors_sparkline"] = _labelled(
        f"error rate per {unit}",
        rates,
        start,
        end,
        f"max {max((r for r in rates if r is not None), default=0):.1%}",
    )
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
    return {
        "function_calls": len(df),
        "function_errors": int(df["error"].sum()),
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
    "functions slowest_function slowest_function_type slowest_function_p95_ms slow_functions"
).split()


def read_path_check(path: str) -> str | None:
    """Return why a --log path cannot be read, or None when it can."""
    if path == "-":
        return None
    p = Path(path)
    if not p.exists():
        return "no such file"
    if p.is_dir():
        return "is a folder, not a file"
    try:
        with p.open("rb"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None
