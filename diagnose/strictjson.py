"""JSON in strictly: NaN, Infinity and integers outside 64 bits are bad values, never numbers."""

from __future__ import annotations

import json
import math
from typing import Any

INT_LIMIT = 2**63  # Arrow's int64; Logpush's nanosecond timestamps (about 1.7e18) fit
_MAX_DIGITS = 20  # checked before int(): 4,300 digits make int() raise, more make it slow


class BadNumber(json.JSONDecodeError):
    """A number JSON's safe range cannot hold: the line or file holding it is a bad one."""

    def __init__(self, what: str) -> None:
        super().__init__(what, "", 0)


def _constant(name: str) -> Any:
    raise BadNumber(f"{name} is not a JSON number")


def _int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > _MAX_DIGITS or abs(value := int(text)) >= INT_LIMIT:
        raise BadNumber(f"integer of {len(digits)} digits is out of range")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 overflows to inf
        raise BadNumber(f"{text[:20]} is out of range")
    return value


def loads(text: str | bytes) -> Any:
    """json.loads that raises BadNumber (a JSONDecodeError) on NaN, Infinity and huge numbers."""
    return json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)


def finite(value: Any) -> Any:
    """Return JSON-like data with every non-finite float as None: output is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value
