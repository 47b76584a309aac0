"""Read `--log` files of any kind: request logs (readers/requests.py) or Convex logs (convex.py).

A file's format is the one its first recognised line has; the lines before it count as bad. The
latency, deploy and checklist families read whole files through `read_logs`; given the run's
ReadCache, a file named by several probes is read once.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from diagnose.probe import ReadCache
from diagnose.readers.convex import ConvexFormat, Parsed, line_time, parse_lines, read_log, sniff
from diagnose.readers.requests import RequestFormat, RequestRead, read_requests
from diagnose.readers.requests import detect as request_format
from diagnose.readers.window import TRUNCATED, BadLine, Line, read_window

UNRECOGNISED = "format not recognised (Logpush JSON, CLF or Convex logs)"


def detect(text: str) -> RequestFormat | ConvexFormat | None:
    """Tell which reader reads a line: a request-log format, a Convex format, or None."""
    return request_format(text) or sniff(text)


@dataclass(frozen=True)
class LogFile:
    """One file as its reader read it (`requests` or `convex`, by its format)."""

    name: str
    fmt: RequestFormat | ConvexFormat | None
    lines: int
    bad: tuple[str, ...]  # `file:line: why`, the first few with their line number
    bad_count: int
    requests: RequestRead | None = None
    convex: Parsed | None = None

    @property
    def kind(self) -> str | None:
        """The format's name in facts: logpush, combined, convex (None: not recognised)."""
        if isinstance(self.fmt, ConvexFormat):
            return "convex"
        return self.fmt.value if self.fmt is not None else None

    def executions(self) -> list[dict[str, Any]]:
        """The Convex function executions: at, function, type, ms, error (a bool: a failure that
        is no ConvexError)."""
        if self.convex is None:
            return []
        return [
            {
                "at": r["ts"],
                "function": r["function"],
                "type": r["udf"] or None,
                "ms": r["duration_ms"],
                # A ConvexError is the app's own answer to its client (the 4xx of a Convex
                # function: rate limited, not allowed); only other failures count as errors.
                "error": r["status"] == "failure" and not _app_error(r.get("error")),
            }
            for r in self.convex.rows
            if r["kind"] == "execution"
        ]


def _app_error(text: Any) -> bool:
    """Whether a failed execution's error is a ConvexError the function threw on purpose."""
    return isinstance(text, str) and text.lstrip().startswith(
        ("Uncaught ConvexError", "ConvexError")
    )


@dataclass
class LogRead:
    """Every file read: request rows, Convex executions, and what could not be read."""

    files: list[LogFile] = field(default_factory=list)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request rows of every request log, in file order."""
        return [row for f in self.files if f.requests is not None for row in f.requests.rows]

    @property
    def executions(self) -> list[dict[str, Any]]:
        """The Convex function executions of every Convex log, in file order."""
        return [e for f in self.files for e in f.executions()]

    @property
    def lines(self) -> int:
        """Non-blank lines read."""
        return sum(f.lines for f in self.files)

    @property
    def bad(self) -> int:
        """Lines that did not parse."""
        return sum(f.bad_count for f in self.files)

    def bad_examples(self, most: int) -> list[str]:
        """The first `most` bad lines as `file:line: why`."""
        return list(itertools.islice((b for f in self.files for b in f.bad), most))


MAX_REFS = 5  # the bad lines kept with a reference, per file


def read_file(name: str) -> LogFile:
    """Read one file (or `-`) whole, with the reader of its format."""
    lines = read_window(name, None, None, line_time, seek=False).lines
    seen: list[Line] = []
    fmt: RequestFormat | ConvexFormat | None = None
    try:
        for line in lines:
            seen.append(line)
            if line.text.strip() and (fmt := detect(line.text)) is not None:
                break
        if isinstance(fmt, ConvexFormat) and name != "-":
            # A file is read again by path: JSONL goes through Arrow in blocks.
            parsed = read_log(name, fmt, None, None)
        elif isinstance(fmt, ConvexFormat):
            parsed = parse_lines(name, fmt, itertools.chain(seen, lines))
        else:
            every = itertools.chain(seen, lines)  # numbered here: a plain file's are not
            return _requests(
                name, fmt, [Line(n, ln.offset, ln.text) for n, ln in enumerate(every, 1)]
            )
    finally:
        getattr(lines, "close", lambda: None)()
    refs = tuple(b.ref() for b in parsed.bad[:MAX_REFS])
    return LogFile(name, fmt, parsed.lines_read, refs, len(parsed.bad), convex=parsed)


def _requests(name: str, fmt: RequestFormat | None, lines: list[Line]) -> LogFile:
    """A request log's rows (or, for no known format, every line as a bad one)."""
    if fmt is None:
        told = [ln for ln in lines if ln.text.strip()]
        refs = tuple(BadLine(name, ln, UNRECOGNISED).ref() for ln in told[:MAX_REFS])
        return LogFile(name, None, len(told), refs, len(told))
    read = read_requests(name, fmt, lines)
    refs = tuple(b.ref() for b in read.bad[:MAX_REFS])
    return LogFile(name, fmt, read.lines_read, refs, len(read.bad), requests=read)


def read_logs(paths: Sequence[str], reads: ReadCache | None = None) -> LogRead:
    """Read every file whole (through the run's cache when given: once per run, whoever asks)."""
    cache = reads if reads is not None else ReadCache()
    return LogRead([cache.get(p, "log", partial(read_file, p)) for p in paths])


def first_line(name: str) -> str | None:
    """The first non-blank line of a file (None: it has none); OSError when it cannot be read."""
    head = read_window(name, None, None, line_time, seek=False).lines
    try:
        for line in head:
            if line.text == TRUNCATED and line.number == 1:
                raise OSError("not gzip, or cut off before its first line")
            if line.text.strip():
                return line.text
    finally:
        getattr(head, "close", lambda: None)()
    return None
