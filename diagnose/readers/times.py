"""Times as logs write them: epoch numbers in s, ms, us or ns, and RFC 3339 text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_NUMBER = re.compile(r"\d+(\.\d+)?")


def epoch_seconds(value: Any) -> float:
    """Return seconds since the epoch from a number (s, ms, us or ns by magnitude) or RFC 3339.

    Raises ValueError for anything else (a bool, an object, unreadable text).
    """
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        for limit, scale in ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3)):
            if number > limit:
                return number / scale
        return number
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"bad timestamp {value!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    raise ValueError(f"bad timestamp {value!r}")
