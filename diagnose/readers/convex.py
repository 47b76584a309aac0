"""The one reader of Convex logs (`npx convex logs --jsonl`, log-stream events, plain text).

Every family that reads Convex logs (webhooks, latency, deploy, checklist) reads them here: rows
of COLUMNS, built line by line or, for JSONL files, block by block through Arrow's JSON reader.
A new real-world format (a locale's times, a legacy stream schema) is taught here, once.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diagnose.readers.arrow import without_pandas
from diagnose.readers.localtime import local_time
from diagnose.readers.times import epoch_seconds
from diagnose.readers.window import BadLine, Line, WindowRead, find_end, read_window
from diagnose.strictjson import loads as strict_loads

if TYPE_CHECKING:
    import pyarrow as pa


class ConvexFormat(StrEnum):
    """The Convex log formats (`diagnose webhooks --log-format`); AUTO guesses from the first line."""

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
    "caller",  # who called: Cron, HttpEndpoint, ... (JSONL only)
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
# What the CLI writes to stderr around the logs (bundler/log.js, logs.js): saved with `2>&1`,
# and the first line of a file saved with `&>`. Neither a record nor a bad line.
_CLI_NOTICE = re.compile(
    r"^(?:Watching logs\b|Convex \[WARN\] Failed to fetch logs\b|\u258c |\[CONVEX [QMAH]\(.*\)\]"
    r" Could not parse console\.log$|`--tail` is unnecessary)"
)


_INDEX = {name: i for i, name in enumerate(COLUMNS)}


class Row(tuple[Any, ...]):
    """One parsed record: a tuple in COLUMNS order that also answers row["column"].

    Many of these fit where dicts would not (a tuple has no per-row key table). The line-by-line
    readers make them; the summary reads them as an Arrow table (`rows_table`).
    """

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        return tuple.__getitem__(self, _INDEX[key] if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        """Return a column's value, or `default` for a name that is not a column."""
        return self[key] if key in _INDEX else default

    def replace(self, **changes: Any) -> Row:
        """Return a copy with some columns changed."""
        return Row(changes.get(c, v) for c, v in zip(COLUMNS, self, strict=True))


@dataclass
class Parsed:
    """Rows parsed from one file, with the rows before the window and the lines skipped."""

    name: str
    fmt: ConvexFormat
    before: list[Any] = field(default_factory=list)  # Rows: typed loosely for callers of dicts
    bad: list[BadLine] = field(default_factory=list)
    lines_read: int = 0
    seeked: bool = False
    start_offset: int = 0
    size: int | None = None
    # Rows in file order: lists from the line-by-line reader, Arrow tables from the fast one.
    parts: list[list[Row] | pa.Table] = field(default_factory=list, repr=False)
    _rows: list[Row] | None = field(default=None, repr=False)

    def add(self, rows: list[Row]) -> None:
        """Append rows parsed line by line."""
        if self.parts and isinstance(self.parts[-1], list):
            self.parts[-1].extend(rows)
        else:
            self.parts.append(list(rows))
        self._rows = None

    @property
    def rows(self) -> list[Any]:
        """Every row (a Row) of the window, in file order; Arrow blocks become Rows only here."""
        if self._rows is None:
            out: list[Row] = []
            for part in self.parts:
                out.extend(part if isinstance(part, list) else _table_rows(part, self.name))
            self._rows = out
        return self._rows

    def table(self) -> pa.Table:
        """Every row of the window as one Arrow table (TABLE_COLUMNS), in file order, no copies."""
        return concat([p if not isinstance(p, list) else rows_table(p) for p in self.parts])

    def before_table(self) -> pa.Table:
        """The rows just before the window as an Arrow table."""
        return rows_table(self.before)

    def forget(self) -> None:
        """Drop the rows (after `table()`): a full scan's rows are most of the memory."""
        self.parts = []
        self.before = []
        self._rows = None


def _epoch(value: Any) -> float | None:
    """Return Unix seconds from a Convex time (ms; s, us, ns and RFC 3339 read too), or None."""
    try:
        return epoch_seconds(value)
    except ValueError:
        return None


def text_time(ts: str) -> float | None:
    """Parse the locale-dependent time of a text log line (read as UTC when it has no zone)."""
    ts = ts.strip()
    if ts[:4].isdigit() and "T" in ts:  # an ISO time (a log re-stamped by a shipper)
        try:
            parsed = datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return local_time(ts)


def line_time(text: str) -> float | None:
    """Return the time of a line in any format, cheaply (for the binary search)."""
    if text.startswith("{"):
        match = _TS_NUM.search(text)
        return _epoch(float(match.group(1))) if match else None
    m = _TEXT.match(_ANSI.sub("", text))
    return text_time(m.group("ts")) if m else None


def detect(text: str) -> ConvexFormat:
    """Guess a file's format from its first non-blank line."""
    s = text.lstrip("\ufeff \t")
    if s.startswith("["):
        return ConvexFormat.STREAM if not _TEXT.match(_ANSI.sub("", s)) else ConvexFormat.TEXT
    if s.startswith("{"):
        try:
            obj = strict_loads(s)
        except (ValueError, RecursionError):
            return ConvexFormat.JSONL
        if isinstance(obj, dict) and ("topic" in obj or "_topic" in obj or "data" in obj):
            return ConvexFormat.STREAM
        return ConvexFormat.JSONL
    return ConvexFormat.TEXT


_CONVEX_KEYS = frozenset({"kind", "identifier", "executionTime", "topic", "_topic"})


def sniff(text: str) -> ConvexFormat | None:
    """Tell whether a line is a Convex log record, and of which format (None: it is not)."""
    s = text.strip().lstrip("\ufeff")
    if _TEXT.match(_ANSI.sub("", s)):
        return ConvexFormat.TEXT
    if s == "[":  # a log-stream body saved as a pretty-printed JSON array
        return ConvexFormat.STREAM
    if not s.startswith(("{", "[")):
        return None
    try:
        obj = strict_loads(s)
    except (ValueError, RecursionError):
        return None
    if isinstance(obj, list) and obj:
        obj = obj[0]
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("data"), dict) and "topic" not in obj:
        obj = obj["data"]
    if not _CONVEX_KEYS & set(obj):
        return None
    return ConvexFormat.STREAM if "topic" in obj or "_topic" in obj else ConvexFormat.JSONL


def _messages(log_lines: Any) -> list[str]:
    out: list[str] = []
    for ll in log_lines or []:
        if isinstance(ll, str):
            out.append(ll)
        elif isinstance(ll, dict):
            level = ll.get("level") or "LOG"
            msgs = ll.get("messages") or [ll.get("message", "")]
            out.append(f"[{level}] " + " ".join(str(m) for m in msgs))
    return out


def _row(**kw: Any) -> Row:
    return Row(kw.get(c) for c in COLUMNS)


def jsonl_rows(obj: Mapping[str, Any], source: str) -> list[Row]:
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
            caller=obj.get("caller"),
            source=source,
        )
    ]


def _stream_udf(value: Any) -> Any:
    """A log stream's function type in the reader's words (`httpAction` is `http_action`)."""
    return "http_action" if isinstance(value, str) and value.lower() == "httpaction" else value


def stream_rows(obj: Mapping[str, Any], source: str) -> list[Row]:
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
        # The legacy schema writes "httpAction" (legacy-event-schema.mdx), the current one
        # "http_action": one name, as the JSONL reader's.
        "udf": _stream_udf(fn.get("type", obj.get("_functionType"))),
        "request_id": fn.get("request_id", obj.get("requestId")),
        "source": source,
    }
    if topic in ("function_execution", "_execution_record"):
        status = str(obj.get("status", "success"))
        elapsed = next(
            (
                obj[k]
                for k in ("execution_time_ms", "_executionTimeMs", "executionTimeMs")
                if k in obj
            ),
            None,
        )
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


def text_rows(text: str, source: str) -> list[Row]:
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


def _parse_line(fmt: ConvexFormat, text: str, source: str) -> list[Row]:
    if fmt is ConvexFormat.TEXT:
        return text_rows(text, source)
    obj = strict_loads(text)
    if fmt is ConvexFormat.STREAM and isinstance(obj, list):
        return [r for o in obj for r in stream_rows(o, source)]
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return stream_rows(obj, source) if fmt is ConvexFormat.STREAM else jsonl_rows(obj, source)


def _whole_array(name: str, wr: WindowRead, parsed: Parsed) -> None:
    """A log-stream webhook body saved as one (possibly pretty-printed) JSON array."""
    lines = list(wr.lines)
    parsed.lines_read = len(lines)
    text = "\n".join(line.text for line in lines)
    try:
        events = strict_loads(text)
    except RecursionError:
        parsed.bad.append(BadLine(name, Line(1, 0, ""), "JSON nested too deeply"))
        return
    except ValueError as exc:
        parsed.bad.append(BadLine(name, Line(getattr(exc, "lineno", 1), 0, ""), f"not JSON: {exc}"))
        return
    for index, event in enumerate(events if isinstance(events, list) else [events], 1):
        try:
            parsed.add(stream_rows(event, f"{name}#{index}"))
        except (ValueError, AttributeError, TypeError) as exc:
            parsed.bad.append(BadLine(name, Line(None, index, ""), f"event {index}: {exc}"))


def read_log(name: str, fmt: ConvexFormat, since: float | None, until: float | None) -> Parsed:
    """Parse one log file (or `-`) inside the window; bad lines are kept aside, not fatal.

    With `since`, a plain file is searched for the window's start (the rows just before it are
    kept in `before`); JSONL files are parsed in blocks through Arrow, the rest line by line.
    """
    without_pandas()
    return _parse(read_window(name, since, until, line_time, seek=True), fmt, until)


def parse_lines(name: str, fmt: ConvexFormat, lines: Iterable[Line]) -> Parsed:
    """Parse lines already read (stdin, once) as a whole log, like `read_log`."""
    without_pandas()
    return _parse(WindowRead(name, [], iter(lines)), fmt, None)


def _parse(wr: WindowRead, fmt: ConvexFormat, until: float | None) -> Parsed:
    """Parse what a window read holds (AUTO: the format of its first non-blank line)."""
    lines = iter(wr.lines)
    first: Line | None = None
    for line in lines:
        if line.text.strip() and not is_notice(line.text):
            first = line
            break
    chosen = fmt
    if fmt is ConvexFormat.AUTO:
        sample = first.text if first else (wr.before[0].text if wr.before else "")
        chosen = detect(sample)
    parsed = Parsed(wr.name, chosen, seeked=wr.seeked, start_offset=wr.start_offset, size=wr.size)
    if first is None:
        return parsed
    if (
        chosen is ConvexFormat.STREAM
        and first.text.lstrip().startswith("[")
        and not _is_json(first.text)
    ):
        _whole_array(wr.name, _rewind(wr, first, lines), parsed)
        rows = parsed.rows
        _tie_text_lines(rows, contiguous=False)
        parsed.parts = [rows]
        return parsed
    for line in wr.before:
        try:
            parsed.before.extend(_parse_line(chosen, line.text, wr.name))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            pass  # history before the window is only a hint; its bad lines are not counted
    if chosen is ConvexFormat.JSONL and wr.path is not None:
        close = getattr(lines, "close", None)
        if close:
            close()  # the byte range is read in blocks instead; this closes the file
        end = find_end(wr.path, first.offset, until, line_time)
        read_jsonl_range(wr.path, first.offset, end, parsed)
    else:
        _line_by_line(chosen, _chain(first, lines), parsed)
    if chosen in (ConvexFormat.TEXT, ConvexFormat.STREAM) and parsed.parts:
        rows = parsed.rows
        _tie_text_lines(rows, contiguous=chosen is ConvexFormat.TEXT)
        parsed.parts = [rows]
    # Line numbers past a seek are counted only now, and only for the few shown.
    parsed.bad = [
        BadLine(b.source, Line(wr.line_number(b.line), b.line.offset, b.line.text), b.why)
        if i < 5
        else b
        for i, b in enumerate(parsed.bad)
    ]
    return parsed


def _line_by_line(fmt: ConvexFormat, lines: Iterable[Line], parsed: Parsed) -> None:
    """Parse lines one at a time (any format); bad lines are kept aside with their offsets.

    In text, a line without the `<time> [CONVEX X(path)]` prefix continues the record before
    it: the CLI prints an error's stack and a multi-line console argument as they are.
    """
    rows: list[Row] = []
    text = fmt is ConvexFormat.TEXT
    for line in lines:
        if not line.text.strip():
            continue
        if is_notice(line.text):
            continue
        parsed.lines_read += 1
        try:
            rows.extend(_parse_line(fmt, line.text, parsed.name))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            if text and not _TEXT.match(_ANSI.sub("", line.text)):
                if rows:
                    rows[-1] = _continued(rows[-1], _ANSI.sub("", line.text))
                    continue
                if line.text[:1].isspace():
                    continue  # the stack of a record before the window
            parsed.bad.append(BadLine(parsed.name, line, _short(exc)))
        except RecursionError:
            parsed.bad.append(BadLine(parsed.name, line, "JSON nested too deeply"))
    parsed.add(rows)


def is_notice(text: str) -> bool:
    """Tell whether a line is one the CLI prints around the logs (its stderr banner, a retry)."""
    return _CLI_NOTICE.match(_ANSI.sub("", text).lstrip("\ufeff")) is not None


def _continued(row: Row, text: str) -> Row:
    """Append a continuation line to a text record: to its error, or to its console message."""
    if row["kind"] == "execution" and row["error"] is not None:
        return row.replace(error=f"{row['error']}\n{text}")
    return row.replace(message=f"{row['message'] or ''}\n{text}")


def _tie_text_lines(rows: list[Row], contiguous: bool = True) -> None:
    """Give console lines and their execution one request id where the format has none.

    Text logs have no request ids, nor have the legacy log stream's `_console` events. The CLI
    prints an entry's console lines and then its own line (processLogs), the stream sends them
    before the execution record: a run of one function's lines ending in its execution is one
    request (`contiguous`; the stream interleaves requests, so there lines wait for the next
    execution of their function). A run that ends otherwise (a success hidden without `--success`, a `Progress`
    entry) is a request of its own too, with no execution: its lines are never lent to the
    next execution of the function.
    """
    pending: dict[str, list[int]] = {}
    last_fn: str | None = None
    for n, row in enumerate(rows):
        if row["request_id"] is not None:
            continue
        fn = str(row["function"])
        if contiguous and fn != last_fn and last_fn is not None and last_fn in pending:
            _own_request(rows, pending.pop(last_fn))
        last_fn = fn
        if row["kind"] == "log":
            pending.setdefault(fn, []).append(n)
        elif row["kind"] == "execution":
            rid = f"{row['source']}-{n}"
            rows[n] = row.replace(request_id=rid)
            for i in pending.pop(fn, []):
                rows[i] = rows[i].replace(request_id=rid)
    for waiting in pending.values():
        _own_request(rows, waiting)


def _own_request(rows: list[Row], indices: list[int]) -> None:
    """Tie console lines that no execution followed into a request of their own."""
    if indices:
        rid = f"{rows[indices[0]]['source']}-{indices[0]}-logs"
        for i in indices:
            rows[i] = rows[i].replace(request_id=rid)


def _is_json(text: str) -> bool:
    try:
        strict_loads(text)
    except (ValueError, RecursionError):
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


TABLE_COLUMNS = COLUMNS[:-1]  # `source` is the file's name, the same for a whole table


def table_schema() -> pa.Schema:
    """The columns of a table of rows (both readers build these; the summary reads them)."""
    import pyarrow as pa

    number = {"ts", "duration_ms"}
    kinds = {c: pa.float64() if c in number else pa.string() for c in TABLE_COLUMNS}
    kinds["caller"] = pa.dictionary(pa.int32(), pa.string())  # a handful of names: 4 bytes a row
    return pa.schema(list(kinds.items()))


def _as_str(value: Any) -> str | None:
    # A hostile file may put a number or an object where a name belongs: keep it, as text.
    return value if value is None or isinstance(value, str) else str(value)


def _as_float(value: Any) -> float | None:
    if isinstance(value, float):
        return value
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _utf8(value: str | None) -> str | None:
    # json.loads accepts lone surrogates ("\ud800"), which Arrow strings cannot hold.
    return value if value is None else value.encode("utf-8", "replace").decode("utf-8")


def rows_table(rows: Sequence[Any]) -> pa.Table:
    """Rows parsed line by line (text, log stream, rejected JSONL lines) as an Arrow table."""
    import pyarrow as pa

    schema = table_schema()
    if not rows:
        return schema.empty_table()
    arrays = []
    columns = list(zip(*rows, strict=True))[: len(schema)]  # the last column, source, is dropped
    for spec, values in zip(schema, columns, strict=True):
        if pa.types.is_floating(spec.type):
            arrays.append(pa.array([_as_float(v) for v in values], spec.type))
            continue
        texts = [_as_str(v) for v in values]
        if pa.types.is_dictionary(spec.type):
            arrays.append(pa.array([_utf8(v) for v in texts], pa.string()).dictionary_encode())
            continue
        try:
            arrays.append(pa.array(texts, spec.type))
        except (UnicodeError, pa.ArrowException):
            arrays.append(pa.array([_utf8(v) for v in texts], spec.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def concat(tables: list[pa.Table]) -> pa.Table:
    """Tables of rows as one (zero-copy); no tables make an empty one."""
    import pyarrow as pa

    return pa.concat_tables(tables) if tables else table_schema().empty_table()


# --- The fast path: `npx convex logs --jsonl` byte ranges through Arrow's JSON reader. ---

BLOCK_BYTES = 16 << 20  # read this much at a time: memory stays flat whatever the file's size
_ARROW_BLOCK = 1 << 20  # Arrow's own block (its unit of parallel parsing)
_SPLIT = 16  # a rejected block is re-read in this many pieces before going line by line


def _schema() -> pa.Schema:
    """The fields of a FunctionExecution the rows need; everything else is skipped unparsed."""
    import pyarrow as pa

    log_line = pa.struct([("level", pa.string()), ("messages", pa.list_(pa.string()))])
    return pa.schema(
        [
            ("kind", pa.string()),
            ("udfType", pa.string()),
            ("identifier", pa.string()),
            ("logLines", pa.list_(log_line)),
            ("timestamp", pa.float64()),
            ("executionTime", pa.float64()),
            ("error", pa.string()),
            ("requestId", pa.string()),
            ("caller", pa.string()),
        ]
    )


def read_jsonl_range(path: Path, start: int, end: int, parsed: Parsed) -> None:
    """Parse bytes [start, end) of a JSONL file into `parsed`, block by block, with Arrow.

    A block Arrow rejects (a line that is not JSON, a field of an unexpected type, a blank
    line) is split and retried, and only the pieces still rejected are parsed line by line,
    so bad lines are counted and reported exactly as the line-by-line reader reports them.
    """
    schema = _schema()
    with path.open("rb") as fh:
        pos = start
        while pos < end:
            fh.seek(pos)
            chunk = fh.read(min(BLOCK_BYTES, end - pos))
            if not chunk:
                break
            cut = chunk.rfind(b"\n") + 1 if pos + len(chunk) < end else len(chunk)
            if cut == 0:  # one line longer than a block: read on to its end
                cut = len(chunk) + len(fh.readline())
                fh.seek(pos)
                chunk = fh.read(cut)
            # A view, not a copy: the partial last line is read again with the next block.
            lines = chunk.count(b"\n", 0, cut) + (0 if chunk[cut - 1 : cut] == b"\n" else 1)
            _block(memoryview(chunk)[:cut], pos, parsed, schema, split=True, lines=lines)
            pos += cut


def _block(
    data: memoryview | bytes,
    offset: int,
    parsed: Parsed,
    schema: pa.Schema,
    split: bool,
    lines: int | None = None,
) -> None:
    """Parse one block of whole lines starting at byte `offset` (`lines` of them, if known)."""
    import pyarrow as pa
    import pyarrow.json as pj

    if lines is None:
        raw = bytes(data)
        lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    try:
        table = pj.read_json(
            pa.py_buffer(data),
            read_options=pj.ReadOptions(block_size=_ARROW_BLOCK),
            parse_options=pj.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="ignore"
            ),
        )
        if table.num_rows != lines:
            raise ValueError("blank lines")  # Arrow skips them: row i would not be line i
        rows, bad_at = _columns(table)
    except (pa.ArrowException, ValueError):
        data = bytes(data)  # the rare slow path: a copy is fine
        if split and len(data) > 64 * 1024:
            for piece_offset, piece in _pieces(data, _SPLIT):
                _block(piece, offset + piece_offset, parsed, schema, split=False)
            return
        _line_by_line(parsed.fmt, _block_lines(data, offset), parsed)
        return
    parsed.lines_read += lines
    if bad_at:
        data = bytes(data)
        lines_of = list(_block_lines(data, offset)) if len(bad_at) > 1 else None
        for i in bad_at:
            line = (
                lines_of[i]
                if lines_of
                else next(itertools.islice(_block_lines(data, offset), i, None))
            )
            parsed.bad.append(
                BadLine(parsed.name, line, "not a Convex FunctionExecution (kind/timestamp)")
            )
    if rows.num_rows:
        parsed.parts.append(rows)
        parsed._rows = None


def _columns(table: pa.Table) -> tuple[pa.Table, list[int]]:
    """Turn FunctionExecution records into the row columns, as jsonl_rows() does one by one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = table.column("kind")
    ts = table.column("timestamp")
    done = pc.fill_null(pc.equal(kind, "Completion"), False)
    valid = pc.and_(pc.or_(done, pc.fill_null(pc.equal(kind, "Progress"), False)), pc.is_valid(ts))
    bad_at = [] if pc.all(valid).as_py() else pc.indices_nonzero(pc.invert(valid)).to_pylist()
    error = table.column("error")
    failed = pc.fill_null(pc.not_equal(error, ""), False)
    udf = pc.fill_null(table.column("udfType"), "")
    seconds = ts  # by magnitude, as epoch_seconds(): ns, us, ms or s
    for limit, scale in ((1e11, 1e3), (1e14, 1e3), (1e17, 1e3)):
        seconds = pc.if_else(pc.greater(ts, limit), pc.divide(seconds, scale), seconds)
    null_str = pa.scalar(None, pa.string())
    out = pa.Table.from_pydict(
        {
            "ts": seconds,
            "function": table.column("identifier"),
            "udf": pc.replace_substring(pc.utf8_lower(udf), "httpaction", "http_action"),
            "kind": pc.if_else(done, "execution", "log"),
            "status": pc.if_else(done, pc.if_else(failed, "failure", "success"), null_str),
            "duration_ms": pc.if_else(
                done,
                pc.multiply(table.column("executionTime"), 1000.0),
                pa.scalar(None, pa.float64()),
            ),
            "error": pc.if_else(pc.and_(done, failed), error, null_str),
            "request_id": table.column("requestId"),
            "message": _messages_column(table.column("logLines")),
            "caller": pc.dictionary_encode(table.column("caller")),
        },
        schema=table_schema(),
    )
    return (out if not bad_at else out.filter(valid)), bad_at


def _messages_column(log_lines: pa.ChunkedArray) -> pa.Array:
    """Join each record's console lines as `[LEVEL] message ...`, one per line (as _messages)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    lists = log_lines.combine_chunks()
    items = lists.flatten()
    if items.null_count:
        raise ValueError("a null console line")  # the line-by-line reader skips those
    level, messages = items.flatten()
    if len(messages) and messages.flatten().null_count:
        raise ValueError("a null message")  # printed as 'None' by the line-by-line reader
    level = pc.fill_null(level, "")
    level = pc.if_else(pc.equal(level, ""), "LOG", level)
    text = pc.fill_null(pc.binary_join(messages, " "), "")
    parts = pc.binary_join_element_wise("[", level, "] ", text, "")
    lengths = pc.fill_null(lists.value_lengths(), 0).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(lists) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    grouped = pa.ListArray.from_arrays(pa.array(offsets), parts)
    return pc.binary_join(grouped, "\n")


def _table_rows(table: pa.Table, source: str) -> list[Row]:
    """Return an Arrow block's rows as Row tuples (only when a caller asks for rows)."""
    cols = [table.column(c).to_pylist() for c in COLUMNS[:-1]]
    return list(map(Row, zip(*cols, itertools.repeat(source))))


def _pieces(data: bytes, n: int) -> Iterator[tuple[int, bytes]]:
    """Split a block of whole lines into about n pieces of whole lines."""
    step = max(1, len(data) // n)
    pos = 0
    while pos < len(data):
        cut = data.find(b"\n", pos + step)
        cut = len(data) if cut < 0 else cut + 1
        yield pos, data[pos:cut]
        pos = cut


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    find = data.find
    at = find(b"\n")
    while at >= 0 and at + 1 < len(data):
        starts.append(at + 1)
        at = find(b"\n", at + 1)
    return starts


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r\n").lstrip("\ufeff")


def _block_lines(data: bytes, offset: int) -> Iterator[Line]:
    """The lines of a block with their byte offsets (for the line-by-line fallback)."""
    starts = _line_starts(data)
    for i, at in enumerate(starts):
        raw = data[at : starts[i + 1] if i + 1 < len(starts) else len(data)]
        yield Line(1 if offset + at == 0 else None, offset + at, _text(raw))
