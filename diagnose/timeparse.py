"""Parse WHEN values as people type them: durations, RFC 3339 times, Unix epochs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from diagnose.errors import BadInput

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d|w)\s*$", re.I)
_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse `90s`, `30m`, `1h`, `2d`; raise BadInput otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise BadInput(f"bad duration {text!r}: use a number and a unit, e.g. 90s, 30m, 1h, 2d")
    try:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    except OverflowError:
        raise BadInput(f"bad duration {text!r}: too long") from None


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 time or a Unix epoch (s or ms) into an aware UTC datetime."""
    value = text.strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", value):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds, as JavaScript and Convex write them
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadInput(f"bad time {text!r}: out of range") from None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadInput(
            f"bad time {text!r}: use RFC 3339 (2026-11-27T10:00:00Z), a Unix epoch or a duration"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise BadInput(f"bad time {text!r}: out of range") from None


def parse_when(text: str, now: datetime) -> datetime:
    """Parse a WHEN: a duration means that long before `now`."""
    if not text.strip():
        raise BadInput("empty time: give a duration (1h), an RFC 3339 time or a Unix epoch")
    if _DURATION.match(text):
        try:
            return now - parse_duration(text)
        except OverflowError:
            raise BadInput(f"bad duration {text!r}: reaches before year 1") from None
    return parse_instant(text)


def iso(moment: datetime) -> str:
    """Format a UTC instant the way every WHEN option accepts it back."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
