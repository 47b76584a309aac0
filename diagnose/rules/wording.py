"""How fact values read inside a rule's sentences, and the clauses a sentence leaves out."""

from __future__ import annotations

import re
from typing import Any

from diagnose.rules.conditions import show

_PROSE_ITEMS = 8  # a longer list names its first eight and counts the rest
# A clause that opens on a zero count ("0 verify only with the previous secret"), after the
# start, a colon, comma or semicolon; "0 of 4" is a finding's point and stays.
_ZERO_CLAUSE = re.compile(
    r"(?:(?<=^)|(?<=[:,;] ))(?:and )?0 (?!of\b|%|ms\b|s\b)[^,;.]*?(?=[,;]|\.$|$)"
)


def prose(value: Any) -> str:
    """Show a fact value inside a sentence: lists as names joined (whole items, the rest
    counted), whole floats as integers, other floats rounded; never JSON brackets or quotes."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
    if isinstance(value, list | tuple):
        items = [prose(v) for v in value[:_PROSE_ITEMS]]
        more = len(value) - _PROSE_ITEMS
        return ", ".join(items) + (f" and {more} more" if more > 0 else "")
    if isinstance(value, str):
        return value
    return show(value)


_AND_ZERO = re.compile(r" and 0 (?!of\b|%|ms\b|s\b)[^,;.]*?(?=[,;]|\.$|$)")


def drop_zero_clauses(sentence: str) -> str:
    """Leave out the clauses that count zero: a reader wants what happened, not what did not."""
    out = _ZERO_CLAUSE.sub("", _AND_ZERO.sub("", sentence))
    if out == sentence:
        return sentence
    # Mend the separators the dropped clauses left behind.
    out = re.sub(r"(?:[,;] ?)+(?=[,;])", "", out)
    out = re.sub(r":\s*[,;]\s*", ": ", out)
    out = re.sub(r"\s*[,;]\s*(?=\.?$)", "", out)
    out = re.sub(r"^[,;]\s*", "", out)
    out = re.sub(r" {2,}", " ", out).strip()
    if out.endswith(":") or not re.search(r"\w", out):
        return sentence  # every clause was a zero: say it as it was rather than say nothing
    return out[0].upper() + out[1:] if sentence[:1].isupper() else out
