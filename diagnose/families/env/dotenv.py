"""A small, careful dotenv parser with python-dotenv's semantics (no dependency).

What it accepts, as python-dotenv does: `KEY=value`, `export KEY=value`, spaces around `=`,
unquoted values with a trailing ` # comment` removed, 'single-quoted' values (literal, `\\'` and
`\\\\` unescaped), "double-quoted" values with escapes (\\n \\t \\" \\\\ ...), quoted values spanning
lines (how `npx convex env list` writes multi-line values), and a bare `KEY` (a name with no
value, as `npx convex env list --names-only` prints: present, value unknown). A line it cannot
read is reported with its number and skipped; the rest is still read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY_RX = re.compile(r"[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "a": "\a"}
_DQ_ESCAPE_RX = re.compile(r"\\([\\'\"abfnrtv])")
_SQ_ESCAPE_RX = re.compile(r"\\([\\'])")


@dataclass(frozen=True)
class Entry:
    """One variable: its name, value (None for a bare name) and the line it starts on."""

    name: str
    value: str | None
    line: int


@dataclass(frozen=True)
class BadLine:
    """A line that could not be read."""

    line: int
    reason: str


def _unescape_double(text: str) -> str:
    return _DQ_ESCAPE_RX.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def parse_dotenv(text: str) -> tuple[list[Entry], list[BadLine]]:
    """Parse dotenv text into entries (later duplicates win, as in python-dotenv) and bad lines."""
    entries: dict[str, Entry] = {}
    bad: list[BadLine] = []
    pos = 0
    n = len(text)
    while pos < n:
        end = text.find("\n", pos)
        end = n if end == -1 else end
        line = text[pos:end]
        stripped = line.strip()
        lineno = _line_of(text, pos)
        if not stripped or stripped.startswith("#"):
            pos = end + 1
            continue
        m = _KEY_RX.match(line)
        if not m:
            bad.append(BadLine(lineno, "not NAME=value"))
            pos = end + 1
            continue
        key = m.group("key")
        after = pos + m.end()
        rest_of_line = text[after:end]
        if not rest_of_line.strip() or rest_of_line.lstrip().startswith("#"):
            # A bare name: python-dotenv reads it as a key with no value.
            entries[key] = Entry(key, None, lineno)
            pos = end + 1
            continue
        if text[after] != "=":
            bad.append(BadLine(lineno, f"{key}: expected '=' after the name"))
            pos = end + 1
            continue
        vpos = after + 1
        while vpos < n and text[vpos] in " \t":
            vpos += 1
        quote = text[vpos] if vpos < n else ""
        if quote in ("'", '"'):
            close = vpos + 1
            while True:
                close = text.find(quote, close)
                if close == -1 or text[close - 1] != "\\" or text[close - 2 : close] == "\\\\":
                    break
                close += 1
            if close == -1:
                bad.append(BadLine(lineno, f"{key}: the {quote} quote is never closed"))
                pos = end + 1
                continue
            inner = text[vpos + 1 : close]
            value = _unescape_double(inner) if quote == '"' else _SQ_ESCAPE_RX.sub(r"\1", inner)
            rest_end = text.find("\n", close)
            rest_end = n if rest_end == -1 else rest_end
            rest = text[close + 1 : rest_end].strip()
            if rest and not rest.startswith("#"):
                bad.append(BadLine(lineno, f"{key}: text after the closing quote"))
                pos = rest_end + 1
                continue
            entries[key] = Entry(key, value, lineno)
            pos = rest_end + 1
            continue
        raw = text[vpos:end]
        # An unquoted value ends at " #" (a comment); a '#' inside a word is kept.
        comment = re.search(r"\s#", raw)
        value = (raw[: comment.start()] if comment else raw).strip()
        entries[key] = Entry(key, value, lineno)
        pos = end + 1
    return list(entries.values()), bad
