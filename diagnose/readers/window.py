"""Read the part of a time-ordered log file inside a window: binary search on byte offsets.

A seekable, uncompressed file is searched for the first line at `since - slack`, so reading an
hour of a year-long log costs an hour's worth of I/O. Gzip and stdin are read from the start
(they cannot seek); the caller filters by time either way, so the result is the same.
"""

from __future__ import annotations

import gzip
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from diagnose.readers.text import utf8_path, wrap_utf8
from diagnose.safefiles import regular_file_problem

TimeOf = Callable[[str], float | None]
SLACK_S = 120.0  # logs are only roughly ordered (Convex writes by completion, not start)
BEFORE_BYTES = 64 * 1024  # how much history before the window to keep, for "earlier traffic"
MAX_LINE_BYTES = 1 << 20  # a longer line is judged on its first MiB (no log line is that long)
_PROBE_LINES = 20  # lines to look at past a seek point for one with a timestamp
_MIN_SPAN = 8 * 1024  # below this, reading is cheaper than seeking again


@dataclass(frozen=True)
class Line:
    """One line of a file: its number when known (1-based), byte offset and text."""

    number: int | None
    offset: int
    text: str


@dataclass(frozen=True)
class BadLine:
    """A line that could not be read, and why."""

    source: str
    line: Line
    why: str

    def ref(self) -> str:
        """Return `file:line: why` (`file:@offset: why` where the line number was not counted)."""
        where = self.line.number if self.line.number is not None else f"@{self.line.offset}"
        return f"{self.source}:{where}: {self.why}"


@dataclass
class WindowRead:
    """Lines just before the window and an iterator over the window (and a little slack)."""

    name: str
    before: list[Line]
    lines: Iterator[Line]
    start_offset: int = 0
    size: int | None = None
    seeked: bool = False
    _path: Path | None = field(default=None, repr=False)

    @property
    def path(self) -> Path | None:
        """The file, when it is a plain file that can be read again by offset."""
        return self._path

    def line_number(self, line: Line) -> int | None:
        """Return a line's number, counting newlines before it only when asked (bad lines)."""
        if line.number is not None or self._path is None:
            return line.number
        with self._path.open("rb") as fh:
            return _count_newlines(fh, line.offset) + 1


def _count_newlines(fh: BinaryIO, upto: int) -> int:
    count = 0
    left = upto
    while left > 0:
        chunk = fh.read(min(left, 1 << 20))
        if not chunk:
            break
        count += chunk.count(b"\n")
        left -= len(chunk)
    return count


def is_gzip(path: Path) -> bool:
    """Tell whether a file starts with the gzip magic bytes."""
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r\n").lstrip("\ufeff")


# What a gzip stream cut off in the middle reads as: not JSON and not a log line, so every
# reader counts it as one bad line (with its line number) instead of failing the whole file.
TRUNCATED = "<the compressed stream ends early: the file is cut off here>"


def read_line(fh: BinaryIO) -> tuple[bytes, int]:
    """Return one line cut to MAX_LINE_BYTES, and the bytes it really took (b"" at the end).

    The rest of an over-long line is read and dropped in chunks: an endless line (/dev/zero on
    stdin, a bundle on one line) costs time under the deadline, never memory.
    """
    raw = fh.readline(MAX_LINE_BYTES)
    used = len(raw)
    if used == MAX_LINE_BYTES and not raw.endswith(b"\n"):
        while chunk := fh.readline(MAX_LINE_BYTES):
            used += len(chunk)
            if chunk.endswith(b"\n"):
                break
    return raw, used


def _sequential(stream: BinaryIO, until: float | None, time_of: TimeOf) -> Iterator[Line]:
    offset = 0
    number = 0
    while True:
        try:
            raw, used = read_line(stream)
        except (EOFError, OSError, zlib.error):  # gzip.BadGzipFile is an OSError
            yield Line(number + 1, offset, TRUNCATED)
            return
        if not used:
            return
        number += 1
        text = _decode(raw)
        yield Line(number, offset, text)
        offset += used
        if until is not None and (t := time_of(text)) is not None and t > until + SLACK_S:
            return


def _time_after(fh: BinaryIO, offset: int, time_of: TimeOf) -> float | None:
    """Return the time of the first timestamped full line after a byte offset."""
    fh.seek(offset)
    if offset:
        fh.readline()  # a partial line
    for _ in range(_PROBE_LINES):
        raw = fh.readline()
        if not raw:
            return None
        if (t := time_of(_decode(raw))) is not None:
            return t
    return None


def find_offset(fh: BinaryIO, size: int, since: float, time_of: TimeOf, lo: int = 0) -> int:
    """Return a line-start offset at or before the first line timed at `since` (from `lo` on)."""
    first, hi = lo, size
    while hi - lo > _MIN_SPAN:
        mid = (lo + hi) // 2
        t = _time_after(fh, mid, time_of)
        if t is not None and t < since:
            lo = mid
        else:
            hi = mid
    if lo > first:  # a seek point, mid-line: move to the next line start
        fh.seek(lo)
        fh.readline()
        lo = fh.tell()
    return lo


def find_end(path: Path, start: int, until: float | None, time_of: TimeOf) -> int:
    """Return the offset just past the first line after `start` timed later than until + slack.

    The same line `_lines_from` stops after, found by binary search and then a short forward
    scan, so the window's byte range is known before any of it is parsed.
    """
    size = path.stat().st_size
    if until is None:
        return size
    limit = until + SLACK_S
    with path.open("rb") as fh:
        pos = find_offset(fh, size, limit, time_of, lo=start) if size - start > _MIN_SPAN else start
        pos = max(pos, start)
        fh.seek(pos)
        for raw in iter(fh.readline, b""):
            pos += len(raw)
            if (t := time_of(_decode(raw))) is not None and t > limit:
                return pos
    return size


def _lines_from(fh: BinaryIO, offset: int, until: float | None, time_of: TimeOf) -> Iterator[Line]:
    fh.seek(offset)
    pos = offset
    try:
        while True:
            raw, used = read_line(fh)
            if not used:
                return
            text = _decode(raw)
            yield Line(1 if pos == 0 else None, pos, text)
            pos += used
            if until is not None and (t := time_of(text)) is not None and t > until + SLACK_S:
                return
    finally:
        fh.close()


def _before(fh: BinaryIO, offset: int) -> list[Line]:
    start = max(0, offset - BEFORE_BYTES)
    fh.seek(start)
    data = fh.read(offset - start)
    parts = data.split(b"\n")
    if start:
        # the first part is a partial line: drop it
        start += len(parts[0]) + 1
        parts = parts[1:]
    out: list[Line] = []
    pos = start
    for raw in parts:
        if raw.strip():
            out.append(Line(1 if pos == 0 else None, pos, _decode(raw)))
        pos += len(raw) + 1
    return out


def read_window(
    name: str, since: float | None, until: float | None, time_of: TimeOf, seek: bool = True
) -> WindowRead:
    """Open `name` (a path, or `-` for stdin; gzip detected) for the window [since, until]."""
    if name == "-":
        stdin = _own_stdin()
        head = stdin.peek(2)[:2] if hasattr(stdin, "peek") else b""
        stream: BinaryIO = gzip.GzipFile(fileobj=stdin) if head == b"\x1f\x8b" else wrap_utf8(stdin)  # type: ignore[assignment]
        return WindowRead("<stdin>", [], _sequential(stream, until, time_of))
    path = utf8_path(Path(name))  # UTF-16 (PowerShell's `>`) is read as its UTF-8 text
    if is_gzip(path):
        gz: BinaryIO = gzip.open(path, "rb")  # type: ignore[assignment]
        return WindowRead(name, [], _closing(gz, _sequential(gz, until, time_of)))
    fh = path.open("rb")
    size = path.stat().st_size
    if not seek or since is None or size <= _MIN_SPAN:
        return WindowRead(name, [], _lines_from(fh, 0, until, time_of), 0, size, False, path)
    offset = find_offset(fh, size, since - SLACK_S, time_of)
    before = _before(fh, offset) if offset else []
    return WindowRead(
        name, before, _lines_from(fh, offset, until, time_of), offset, size, True, path
    )


def _own_stdin() -> BinaryIO:
    """Return a reader of stdin of our own (a dup of fd 0), not sys.stdin's.

    An endless stdin is still being read by the probe's daemon thread when the deadline ends the
    run; if that thread held sys.stdin's buffer lock, the interpreter's shutdown would abort
    ("could not acquire lock ... at interpreter shutdown", exit 134) after the report was out.
    """
    try:
        fd = os.dup(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):  # a test's in-memory stdin
        return sys.stdin.buffer
    return os.fdopen(fd, "rb")


def _closing(stream: BinaryIO, lines: Iterator[Line]) -> Iterator[Line]:
    try:
        yield from lines
    finally:
        stream.close()


def read_path_check(path: str) -> str | None:
    """Return why a --log path cannot be read, or None when it can (`-` is stdin)."""
    if path == "-":
        return None
    p = Path(path)
    if problem := regular_file_problem(p):
        return problem
    try:
        with p.open("rb"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def describe_window(since: object, until: object) -> str:
    """Say which part of a log was read: "the whole log", "since X", "up to Y" or "X .. Y"."""
    if since is None and until is None:
        return "the whole log"
    if until is None:
        return f"since {since}"
    if since is None:
        return f"up to {until}"
    return f"{since} .. {until}"
