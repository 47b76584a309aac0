"""Text as users save it: UTF-8 with or without a BOM, UTF-16 LE/BE (PowerShell's `>`), CRLF.

One decoding for every reader, so that a log saved on Windows is read, not skipped as garbage.
"""

from __future__ import annotations

import atexit
import codecs
import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
CHUNK = 1 << 16


def sniff(head: bytes) -> tuple[str, int]:
    """Return the encoding of text starting with `head` and the length of its BOM.

    Without a BOM, NUL bytes in most odd (or even) places and almost none in the others mean
    UTF-16 of mostly ASCII text (a file converted without one); anything else is UTF-8.
    """
    for bom, name in BOMS:
        if head.startswith(bom):
            return name, len(bom)
    pairs = head[: len(head) // 2 * 2][:64]
    if len(pairs) >= 4:
        odd, even = pairs[1::2], pairs[0::2]
        if odd.count(0) >= 0.7 * len(odd) and even.count(0) <= 0.1 * len(even):
            return "utf-16-le", 0
        if even.count(0) >= 0.7 * len(even) and odd.count(0) <= 0.1 * len(odd):
            return "utf-16-be", 0
    return "utf-8", 0


def decode(data: bytes) -> str:
    """Decode bytes as text (BOM or UTF-16 sniffed, else UTF-8; a bad byte becomes U+FFFD) with
    CRLF and lone CR turned into LF."""
    encoding, skip = sniff(data[:64])
    text = data[skip:].decode(encoding, "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strict_decode(data: bytes) -> str:
    """Decode like `decode`, but raise UnicodeDecodeError on a byte that is not text."""
    encoding, skip = sniff(data[:64])
    return data[skip:].decode(encoding).replace("\r\n", "\n").replace("\r", "\n")


class _Utf8Stream(io.RawIOBase):
    """A binary stream of UTF-8 bytes transcoded on the fly from another encoding."""

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        """It is."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill buffer with transcoded bytes; 0 at the end."""
        while not self._pending and not self._done:
            chunk = self._raw.read(CHUNK)
            self._done = not chunk
            self._pending = self._decoder.decode(chunk, final=self._done).encode("utf-8")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        """Close the file underneath too."""
        self._raw.close()
        super().close()


def wrap_utf8(raw: BinaryIO) -> BinaryIO:
    """Return UTF-8 bytes from a binary stream of any supported encoding, BOM dropped (the
    stream must be at its start; it is read through a buffer, so it need not be seekable)."""
    buffered: Any = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    encoding, skip = sniff(buffered.peek(64)[:64])
    if skip:
        buffered.read(skip)
    if encoding == "utf-8":
        return buffered
    stream: Any = io.BufferedReader(_Utf8Stream(buffered, encoding), CHUNK)
    return stream


def open_utf8(path: str | Path) -> BinaryIO:
    """Open a file as a stream of UTF-8 bytes (for readers that split bytes, such as Arrow's)."""
    return wrap_utf8(open(path, "rb"))  # noqa: SIM115 - the caller closes it


def open_text(path: str | Path) -> IO[str]:
    """Open a file as text lines: any supported encoding, universal newlines, bad bytes replaced."""
    return io.TextIOWrapper(open_utf8(path), encoding="utf-8", errors="replace", newline=None)


def lines(path: str | Path) -> Iterator[str]:
    """Yield a file's lines without their line ends."""
    with open_text(path) as handle:
        for line in handle:
            yield line.rstrip("\n")


_COPIES: dict[tuple[str, int, int], Path] = {}


def utf8_path(path: Path) -> Path:
    """Return a path whose bytes are the file's text as UTF-8: the file itself when it already
    is (a UTF-8 BOM is fine: line readers drop it), else a transcoded copy in a temporary folder
    removed at exit. A copy, not a stream, because the readers seek (the window search, Arrow's
    blocks); it is written in chunks, so a large UTF-16 log costs disk, not memory."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
        stat = path.stat()
    except OSError:
        return path  # the reader reports why it cannot open it
    encoding, _ = sniff(head)
    if encoding == "utf-8":
        return path
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if (done := _COPIES.get(key)) is not None and done.exists():
        return done

    folder = Path(tempfile.mkdtemp(prefix="diagnose-utf8-"))
    atexit.register(shutil.rmtree, folder, True)
    copy = folder / path.name
    with open_utf8(path) as src, open(copy, "wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)
    _COPIES[key] = copy
    return copy
