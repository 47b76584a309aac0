"""The regular expressions of rule conditions, run by RE2: linear in the text, never backtracking.

Python's `re` backtracks: `(a+)+$` on 34 a's and a b takes longer than any deadline, and a user's
rule folder is input like any other. RE2 (google-re2) matches in time linear in the text for
every pattern it accepts; the price is that it has no lookaround and no backreferences, which
`rules lint` rejects with the rule's file, line and field (`except:` and `groups_differ:` on a
`matches` leaf say what those were used for). Its `\\w`, `\\d` and `\\b` are ASCII.
"""

from __future__ import annotations

import functools
from typing import Any

MAX_PATTERN = 8192  # characters: the built-in rules' longest is under 700
# RE2's own memory cap for one compiled program (its default is 8 MiB); a pattern past it fails
# to compile, which lint reports, instead of growing without bound.
MAX_PROGRAM_BYTES = 16 << 20

# What RE2's parser says -> what the rule's author should read, and what to write instead.
_UNSUPPORTED = (
    ("(?=", "lookahead (?=...)", "match the longer text itself"),
    ("(?!", "negative lookahead (?!...)", "exclude lines with 'except: REGEX'"),
    ("(?<=", "lookbehind (?<=...)", "match the longer text itself"),
    ("(?<!", "negative lookbehind (?<!...)", "exclude lines with 'except: REGEX'"),
)
_ENGINE = "rules use RE2, which runs in linear time"


class PatternError(ValueError):
    """A pattern the rule engine cannot run, with one line saying why."""


def _why(message: str) -> str:
    for token, what, instead in _UNSUPPORTED:
        if token in message:
            return f"{what} is not supported ({_ENGINE}): {instead}"
    if "invalid escape sequence: \\" in message and message[-1:].isdigit():
        return (
            f"backreferences (\\1) are not supported ({_ENGINE}): "
            "compare two groups with 'groups_differ: [1, 2]'"
        )
    return message


@functools.lru_cache(maxsize=2048)
def compile_pattern(pattern: str) -> Any:
    """Return the compiled RE2 program, or raise PatternError with one line."""
    import re2

    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"the pattern is {len(pattern):,} characters (at most {MAX_PATTERN:,})")
    options = re2.Options()
    options.log_errors = False  # RE2 would print its own line on stderr for every bad pattern
    options.max_mem = MAX_PROGRAM_BYTES
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else str(exc)
        message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        raise PatternError(_why(message)) from None


def group_count(pattern: str) -> int:
    """Return how many capturing groups a (valid) pattern has."""
    return int(compile_pattern(pattern).groups)
