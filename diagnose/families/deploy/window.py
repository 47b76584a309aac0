"""The runbook's deployment schedule: best Tuesday-Thursday 10:00-14:00 local; avoid Friday,
weekends and late nights."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from diagnose.errors import BadInput

BEST_DAYS = (1, 2, 3)  # Tuesday, Wednesday, Thursday (Monday is 0)
BEST_HOURS = (10, 14)  # from 10:00 up to (not including) 14:00
LATE_NIGHT = (20, 7)  # 20:00 to 07:00 is "late night" for a deploy someone must watch
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def zone(name: str | None) -> tzinfo:
    """Return the named IANA zone, or the machine's local zone; raise BadInput on a bad name."""
    if not name:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(
            f"bad --tz {name!r}: give an IANA zone name such as Europe/Berlin or America/New_York"
        ) from None


def assess(now: datetime, tz: tzinfo) -> dict[str, Any]:
    """Return the window facts (names under checklist.window.) for the instant `now` in zone `tz`."""
    local = now.astimezone(tz)
    day, hour = local.weekday(), local.hour
    avoid: list[str] = []
    if day == 4:
        avoid.append("Friday")
    if day >= 5:
        avoid.append("weekend")
    if hour >= LATE_NIGHT[0] or hour < LATE_NIGHT[1]:
        avoid.append(f"late night ({LATE_NIGHT[0]}:00-0{LATE_NIGHT[1]}:00)")
    best = day in BEST_DAYS and BEST_HOURS[0] <= hour < BEST_HOURS[1]
    verdict = "avoid" if avoid else ("best" if best else "off-peak")
    return {
        "tz": str(getattr(tz, "key", None) or local.tzname() or "local"),
        "local_time": local.isoformat(timespec="minutes"),
        "weekday": DAYS[day],
        "hour": hour,
        "verdict": verdict,
        "avoid_reasons": avoid,
        "best": "Tuesday-Thursday 10:00-14:00 local time",
    }


WINDOW_FACTS = ("tz", "local_time", "weekday", "hour", "verdict", "avoid_reasons", "best")
