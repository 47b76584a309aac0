"""Files in and out, safely: bounded reads of regular files only, atomic writes never through a link."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from diagnose.errors import BadInput

MAX_INPUT_BYTES = 32 << 20  # config, facts, targets, rules: far above any real one
_CHUNK = 1 << 20


def regular_file_problem(path: str | Path) -> str | None:
    """Return why a path is not a regular file we may read (None when it is); never blocks.

    A FIFO, a device (/dev/zero) or a socket never ends or never answers: refusing them is
    what keeps a read inside the run's deadline and its memory bounded. stat() does not open.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return exc.strerror or str(exc)
    if stat.S_ISDIR(st.st_mode):
        return "is a folder, give a file (or - for stdin)"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a pipe or device never ends; give a file, or - for stdin)"
    return None


def read_input(source: str | Path, what: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """Read a regular file, or stdin for `-`, up to limit bytes; raise BadInput naming it."""
    name = str(source)
    label = f"{what} {name}".strip()
    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)  # a text-only stdin (a test's StringIO)
        data = _read_capped(
            stream.read if stream is not None else lambda n: sys.stdin.read(n).encode(), limit
        )
    else:
        problem = regular_file_problem(name)
        if problem:
            raise BadInput(f"{label}: {problem}")
        try:
            # O_NONBLOCK: a file swapped for a FIFO between stat and open must not hang the open.
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise BadInput(f"{label}: cannot read: {exc.strerror or exc}") from None
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise BadInput(f"{label}: not a regular file")
            try:
                data = _read_capped(fh.read, limit)
            except OSError as exc:
                raise BadInput(f"{label}: cannot read: {exc.strerror or exc}") from None
    if data is None:
        raise BadInput(f"{label}: larger than {_size(limit)}")
    return data


def read_input_text(source: str | Path, what: str, limit: int = MAX_INPUT_BYTES) -> str:
    """read_input decoded as UTF-8 (one clear line when it is not)."""
    data = read_input(source, what, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{what} {source}: not UTF-8 text (byte {exc.start})".strip()) from None


MAX_PROJECT_FILE = 4 << 20  # a workflow, package.json, .env.example: a few KB


def read_project_text(path: Path, limit: int = MAX_PROJECT_FILE) -> str | None:
    """Return a project file's text, or None when it is not a regular file (a planted FIFO or
    a link to /dev/zero), is larger than limit, or cannot be read; never blocks or grows."""
    try:
        read = read_input(path, "project file", limit)
    except BadInput:
        return None
    return read.decode("utf-8", errors="replace")


def _read_capped(read: Callable[[int], bytes], limit: int) -> bytes | None:
    """Read in chunks until EOF; None as soon as more than limit bytes came."""
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            return None


def _size(limit: int) -> str:
    return f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit} bytes"


def write_file(path: str | Path, data: bytes | str, private: bool = True) -> None:
    """Write atomically: a temporary file in the same folder, then rename over the target.

    The rename replaces a planted symlink itself, never the file it points to; a full disk
    leaves the old file (or none), never a truncated one. Mode 0600 when private (evidence).
    """
    target = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    folder = target.parent if str(target.parent) else Path(".")
    try:
        if target.is_symlink():
            raise BadInput(f"cannot write {target}: it is a symbolic link (remove it first)")
        if target.exists() and not target.is_file():
            raise BadInput(f"cannot write {target}: not a regular file")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise BadInput(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise BadInput(f"cannot write {target}: {exc.strerror or exc}") from None
