"""Read request logs: Cloudflare Logpush http_requests (JSON lines) and Common/Combined Log Format.

Each line becomes a request row: `at` (epoch seconds), `path`, `status`, `total_ms`, `origin_ms`,
`cache` (lower case) and `edge` (whether a CDN answered). Lines that do not parse are counted with
a reference (`file:line: why`), never fatal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from diagnose.readers.times import epoch_seconds
from diagnose.readers.window import BadLine, Line
from diagnose.strictjson import loads as strict_loads


class RequestFormat(StrEnum):
    """The request-log formats read here (detected per file)."""

    LOGPUSH = "logpush"
    COMBINED = "combined"


class BadRecord(ValueError):
    """A line that does not parse in its file's format."""


@dataclass
class RequestRead:
    """The request rows of one file, its format, and the lines that did not parse."""

    name: str
    fmt: RequestFormat
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines_read: int = 0
    bad: list[BadLine] = field(default_factory=list)


def _num(value: Any) -> float | None:
    if value is None or value == "" or value == "-":
        return None
    if isinstance(value, bool):
        raise BadRecord(f"not a number: {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadRecord(f"not a number: {value!r}") from None


def _seconds(value: Any) -> float:
    try:
        return epoch_seconds(value)
    except ValueError as exc:
        raise BadRecord(str(exc)) from None


# --- Cloudflare Logpush http_requests --------------------------------------------------------


def parse_logpush(obj: dict[str, Any]) -> dict[str, Any]:
    """Turn one http_requests record into a request row.

    Total time is EdgeEndTimestamp - EdgeStartTimestamp (else EdgeTimeToFirstByteMs); origin time
    is OriginResponseDurationMs (else the deprecated OriginResponseTime, in nanoseconds).
    """
    if "EdgeStartTimestamp" not in obj:
        raise BadRecord("no EdgeStartTimestamp")
    start = _seconds(obj["EdgeStartTimestamp"])
    total = None
    if obj.get("EdgeEndTimestamp") not in (None, ""):
        total = (_seconds(obj["EdgeEndTimestamp"]) - start) * 1000
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

CLF = re.compile(
    r'^(?P<host>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\S+)'
    r'(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?(?P<rest>.*)$'
)
_KV = re.compile(r"(\w+)=\"?([^\s\"]+)\"?")
_TIME_KEYS = ("rt", "request_time", "rtime", "duration", "response_time")
_ORIGIN_KEYS = ("urt", "upstream_response_time", "uct", "origin_time")
_CACHE_KEYS = ("cache", "cs", "upstream_cache_status", "cf_cache_status")


def _clf_ms(token: str) -> float | None:
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
    match = CLF.match(line.rstrip("\n"))
    if not match:
        raise BadRecord("not Common/Combined Log Format")
    try:
        at = datetime.strptime(match.group("time"), "%d/%b/%Y:%H:%M:%S %z").timestamp()
    except ValueError:
        raise BadRecord(f"bad time [{match.group('time')}]") from None
    parts = match.group("request").split()
    path = parts[1] if len(parts) >= 2 else "/"
    rest = match.group("rest")
    keyed = {k.lower(): v for k, v in _KV.findall(rest)}
    total = origin = None
    for key in _TIME_KEYS:
        if key in keyed:
            total = _clf_ms(keyed[key])
            break
    else:
        bare = [t for t in _KV.sub(" ", rest).split() if re.fullmatch(r"\d+(\.\d+)?", t)]
        if bare:
            total = _clf_ms(bare[0])
    for key in _ORIGIN_KEYS:
        if key in keyed:
            origin = _clf_ms(keyed[key])
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


# --- reading ----------------------------------------------------------------------------------


def detect(text: str) -> RequestFormat | None:
    """Tell a request log's line: a Logpush record, a CLF line, or neither (None)."""
    text = text.strip()
    if text.startswith("{"):
        try:
            obj = strict_loads(text)
        except (ValueError, RecursionError):  # hostile nesting is no format either
            return None
        if isinstance(obj, dict) and ("EdgeStartTimestamp" in obj or "EdgeResponseStatus" in obj):
            return RequestFormat.LOGPUSH
        return None
    return RequestFormat.COMBINED if CLF.match(text) else None


def parse_line(fmt: RequestFormat, text: str) -> dict[str, Any]:
    """Parse one line of a request log in its file's format."""
    if fmt is RequestFormat.COMBINED:
        return parse_combined(text)
    try:
        obj = strict_loads(text)
    except RecursionError:
        raise BadRecord("JSON nested too deeply") from None
    except ValueError as exc:
        raise BadRecord(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise BadRecord("not a JSON object")
    return parse_logpush(obj)


def read_requests(name: str, fmt: RequestFormat, lines: Iterable[Line]) -> RequestRead:
    """Parse a request log's lines in one format; the lines that do not parse are kept aside."""
    out = RequestRead(name, fmt)
    for line in lines:
        if not line.text.strip():
            continue
        out.lines_read += 1
        try:
            out.rows.append(parse_line(fmt, line.text))
        except BadRecord as exc:
            out.bad.append(BadLine(name, line, str(exc)))
    return out
