"""Read Convex logs (`npx convex logs --jsonl`, log-stream events, plain text) into one frame."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from diagnose.webhooks.window import Line, WindowRead, read_window

if TYPE_CHECKING:
    import pandas as pd


class LogFormat(StrEnum):
    """The log formats `diagnose webhooks --log-format` accepts."""

    AUTO = "auto"
    JSONL = "jsonl"
    STREAM = "stream"
    TEXT = "text"


COLUMNS = (
    "ts",
    "function",
    "udf",
    "kind",
    "status",
    "duration_ms",
    "error",
    "request_id",
    "message",
    "source",
)
_UDF = {"Q": "query", "M": "mutation", "A": "action", "H": "http_action"}
_TEXT = re.compile(
    r"^(?P<ts>.+?) \[CONVEX (?P<type>[QMAH])\((?P<path>[^)]*)\)\] "
    r"(?:\[(?P<level>LOG|DEBUG|INFO|WARN|ERROR)\] )?(?P<msg>.*)$"
)
_EXECUTED = re.compile(r"^Function executed in (\d+(?:\.\d+)?) ms")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TS_NUM = re.compile(r'"_?timestamp"\s*:\s*(\d+(?:\.\d+)?)')
# toLocaleString() in the locales people run the CLI in; naive times are read as UTC.
_TEXT_TIME_FORMATS = (
    "%m/%d/%Y, %I:%M:%S %p",
    "%d/%m/%Y, %H:%M:%S",
    "%d.%m.%Y, %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)


@dataclass(frozen=True)
class BadLine:
    """A line that could not be read, and why."""

    source: str
    line: Line
    why: str


@dataclass
class Parsed:
    """Rows parsed from one file, with the rows before the window and the lines skipped."""

    name: str
    fmt: LogFormat
    rows: list[dict[str, Any]] = field(default_factory=list)
    before: list[dict[str, Any]] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    lines_read: int = 0
    seeked: bool = False
    start_offset: int = 0
    size: int | None = None


def _epoch(value: Any) -> float | None:
    """Return Unix seconds from seconds or milliseconds (Convex uses both)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value / 1000.0 if value > 1e11 else float(value)


def text_time(ts: str) -> float | None:
    """Parse the locale-dependent time of a text log line (read as UTC when it has no zone)."""
    ts = ts.strip()
    try:
        parsed = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _TEXT_TIME_FORMATS:
            try:
                parsed = datetime.strptime(ts, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def line_time(text: str) -> float | None:
    """Return the time of a line in any format, cheaply (for the binary search)."""
    if text.startswith("{"):
        match = _TS_NUM.search(text)
        return _epoch(float(match.group(1))) if match else None
    m = _TEXT.match(_ANSI.sub("", text))
    return text_time(m.group("ts")) if m else None


def detect(text: str) -> LogFormat:
    """Guess a file's format from its first non-blank line."""
    s = text.lstrip("\ufeff \t")
    if s.startswith("["):
        return LogFormat.STREAM if not _TEXT.match(_ANSI.sub("", s)) else LogFormat.TEXT
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except ValueError:
            return LogFormat.JSONL
        if isinstance(obj, dict) and ("topic" in obj or "_topic" in obj or "data" in obj):
            return LogFormat.STREAM
        return LogFormat.JSONL
    return LogFormat.TEXT


def _messages(log_lines: Any) -> list[str]:
    out: list[str] = []
    for ll in log_lines or []:
        if isinstance(ll, str):
            out.append(ll)
        elif isinstance(ll, dict):
            level = ll.get("level") or "LOG"
            msgs = ll.get("messages") or []
            out.append(f"[{level}] " + " ".join(str(m) for m in msgs))
    return out


def _row(**kw: Any) -> dict[str, Any]:
    return {c: kw.get(c) for c in COLUMNS}


def jsonl_rows(obj: Mapping[str, Any], source: str) -> list[dict[str, Any]]:
    """Rows from one `npx convex logs --jsonl` record (a FunctionExecution)."""
    kind = obj.get("kind")
    ts = _epoch(obj.get("timestamp"))
    if kind not in ("Completion", "Progress") or ts is None:
        raise ValueError("not a Convex FunctionExecution (kind/timestamp)")
    udf = str(obj.get("udfType") or "").lower().replace("httpaction", "http_action")
    message = "\n".join(_messages(obj.get("logLines")))
    if kind == "Progress":
        return [
            _row(
                ts=ts,
                function=obj.get("identifier"),
                udf=udf,
                kind="log",
                message=message,
                request_id=obj.get("requestId"),
                source=source,
            )
        ]
    error = obj.get("error")
    exec_time = obj.get("executionTime")
    return [
        _row(
            ts=ts,
            function=obj.get("identifier"),
            udf=udf,
            kind="execution",
            status="failure" if error else "success",
            duration_ms=float(exec_time) * 1000 if isinstance(exec_time, int | float) else None,
            error=str(error) if error else None,
            request_id=obj.get("requestId"),
            message=message,
            source=source,
        )
    ]


def stream_rows(obj: Mapping[str, Any], source: str) -> list[dict[str, Any]]:
    """Rows from one log-stream event (topics console and function_execution; legacy too)."""
    if isinstance(obj.get("data"), dict) and "topic" not in obj:
        obj = obj["data"]
    topic = obj.get("topic", obj.get("_topic"))
    ts = _epoch(obj.get("timestamp", obj.get("_timestamp")))
    if not isinstance(topic, str) or ts is None:
        raise ValueError("not a Convex log-stream event (topic/timestamp)")
    raw_fn = obj.get("function")
    fn: Mapping[str, Any] = raw_fn if isinstance(raw_fn, dict) else {}
    path = fn.get("path", obj.get("_functionPath"))
    common = {
        "ts": ts,
        "function": path,
        "udf": fn.get("type"),
        "request_id": fn.get("request_id"),
        "source": source,
    }
    if topic in ("function_execution", "_execution_record"):
        status = str(obj.get("status", "success"))
        elapsed = obj.get("execution_time_ms", obj.get("_executionTimeMs"))
        return [
            _row(
                **common,
                kind="execution",
                status="failure" if status == "failure" else "success",
                duration_ms=float(elapsed) if isinstance(elapsed, int | float) else None,
                error=obj.get("error_message") or obj.get("reason"),
            )
        ]
    if topic in ("console", "_console"):
        level = obj.get("log_level", "LOG")
        return [_row(**common, kind="log", message=f"[{level}] {obj.get('message', '')}")]
    return []  # verification and audit_log events say nothing about webhooks


def text_rows(text: str, source: str) -> list[dict[str, Any]]:
    """Rows from one plain-text `npx convex logs` line."""
    m = _TEXT.match(_ANSI.sub("", text))
    if not m:
        raise ValueError("not a Convex log line ('<time> [CONVEX X(path)] ...')")
    ts = text_time(m.group("ts"))
    if ts is None:
        raise ValueError(f"unreadable time {m.group('ts')!r}")
    common = {"ts": ts, "function": m.group("path"), "udf": _UDF[m.group("type")], "source": source}
    msg = m.group("msg")
    if m.group("level"):
        return [_row(**common, kind="log", message=f"[{m.group('level')}] {msg}")]
    if done := _EXECUTED.match(msg):
        return [
            _row(**common, kind="execution", status="success", duration_ms=float(done.group(1)))
        ]
    return [_row(**common, kind="execution", status="failure", error=msg)]


def _parse_line(fmt: LogFormat, text: str, source: str) -> list[dict[str, Any]]:
    if fmt is LogFormat.TEXT:
        return text_rows(text, source)
    obj = json.loads(text)
    if fmt is LogFormat.STREAM and isinstance(obj, list):
        return [r for o in obj for r in stream_rows(o, source)]
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return stream_rows(obj, source) if fmt is LogFormat.STREAM else jsonl_rows(obj, source)


def _whole_array(name: str, wr: WindowRead, parsed: Parsed) -> None:
    """A log-stream webhook body saved as one (possibly pretty-printed) JSON array."""
    lines = list(wr.lines)
    parsed.lines_read = len(lines)
    text = "\n".join(line.text for line in lines)
    try:
        events = json.loads(text)
    except ValueError as exc:
        parsed.bad.append(BadLine(name, Line(getattr(exc, "lineno", 1), 0, ""), f"not JSON: {exc}"))
        return
    for index, event in enumerate(events if isinstance(events, list) else [events], 1):
        try:
            parsed.rows.extend(stream_rows(event, f"{name}#{index}"))
        except (ValueError, AttributeError, TypeError) as exc:
            parsed.bad.append(BadLine(name, Line(None, index, ""), f"event {index}: {exc}"))


def read_log(name: str, fmt: LogFormat, since: float | None, until: float | None) -> Parsed:
    """Parse one log file (or `-`) inside the window; bad lines are kept aside, not fatal."""
    wr = read_window(name, since, until, line_time, seek=True)
    lines = iter(wr.lines)
    first: Line | None = None
    for line in lines:
        if line.text.strip():
            first = line
            break
    chosen = fmt
    if fmt is LogFormat.AUTO:
        sample = first.text if first else (wr.before[0].text if wr.before else "")
        chosen = detect(sample)
    parsed = Parsed(wr.name, chosen, seeked=wr.seeked, start_offset=wr.start_offset, size=wr.size)
    if first is None:
        return parsed
    if (
        chosen is LogFormat.STREAM
        and first.text.lstrip().startswith("[")
        and not _is_json(first.text)
    ):
        _whole_array(wr.name, _rewind(wr, first, lines), parsed)
        return parsed
    for line in wr.before:
        try:
            parsed.before.extend(_parse_line(chosen, line.text, wr.name))
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # history before the window is only a hint; its bad lines are not counted
    for line in _chain(first, lines):
        if not line.text.strip():
            continue
        parsed.lines_read += 1
        try:
            parsed.rows.extend(_parse_line(chosen, line.text, wr.name))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            parsed.bad.append(BadLine(wr.name, line, _short(exc)))
    if chosen is LogFormat.TEXT:
        _tie_text_lines(parsed.rows)
    # Line numbers past a seek are counted only now, and only for the few shown.
    parsed.bad = [
        BadLine(b.source, Line(wr.line_number(b.line), b.line.offset, b.line.text), b.why)
        if i < 5
        else b
        for i, b in enumerate(parsed.bad)
    ]
    return parsed


def _tie_text_lines(rows: list[dict[str, Any]]) -> None:
    """Give console lines and the execution line after them one id (text logs have none)."""
    pending: dict[str, list[dict[str, Any]]] = {}
    for n, row in enumerate(rows):
        fn = str(row["function"])
        if row["kind"] == "log":
            pending.setdefault(fn, []).append(row)
        elif row["kind"] == "execution":
            rid = f"text-{n}"
            row["request_id"] = rid
            for log in pending.pop(fn, []):
                log["request_id"] = rid


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 120 else text[:117] + "..."


def _chain(first: Line, rest: Iterable[Line]) -> Iterator[Line]:
    yield first
    yield from rest


def _rewind(wr: WindowRead, first: Line, rest: Iterator[Line]) -> WindowRead:
    return WindowRead(wr.name, [], _chain(first, rest), wr.start_offset, wr.size, wr.seeked)


def to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Normalise rows into one frame: UTC timestamp, function, kind, status, duration, error..."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["ts"] = pd.to_datetime(frame["ts"].astype("float64"), unit="s", utc=True)
    frame["duration_ms"] = frame["duration_ms"].astype("float64")
    return frame.sort_values("ts", kind="stable").reset_index(drop=True)
