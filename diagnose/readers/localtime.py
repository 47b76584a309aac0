"""Read the times `npx convex logs` prints: `new Date(ms).toLocaleString()` in any locale.

The CLI (convex/dist/esm/cli/lib/logs.js, prefixLog) prints each line's time in the locale and
zone of the machine it runs on, with no zone: en-US `8/20/2026, 2:05:09 PM`, en-IN `20/8/2026,
2:05:09 pm`, en-CA `2026-08-20, 2:05:09 p.m.`, fr-FR `20/08/2026 14:05:09`, ja-JP `2026/8/20
14:05:09`, nl-NL `20-8-2026, 14:05:09`, fi-FI `20.8.2026 klo 14.05.09`, ko-KR `2026. 8. 20. PM
2:05:09`, vi-VN `14:05:09 20/8/2026`, fr-CA `2026-08-20 14 h 05 min 09 s`, Arabic and Bengali
digits, th-TH's Buddhist years. So the time is read from its numbers, not from a list of formats.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache

# Hours, minutes, seconds: `14:05:09`, `14.05.09` (fi, da, id), `14 h 05 min 09 s` (fr-CA).
_CLOCK = re.compile(
    r"(?<![\d.])(\d{1,2})(?:[:.]| h )(\d{2})(?:[:.]| min )(\d{2})(?: s)?(?![\d.]\d)"
)
_NUMBER = re.compile(r"\d+")
# The day-period markers ICU writes (lower-cased, dots and spaces removed): afternoon ones first.
_PM = ("pm", "μμ", "下午", "午後", "오후", "م", "ptg", "ch", "অপরাহ্ণ")
_AM = ("am", "πμ", "上午", "午前", "오전", "ص", "pg", "sa")
_BUDDHIST_OFFSET = 543  # th-TH counts years from 543 BC: 2569 is 2026
_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202f\u00a0"), " ")


def _ascii_digits(text: str) -> str:
    if text.isascii():
        return text
    out = []
    for ch in text.translate(_MARKS):
        digit = unicodedata.digit(ch, None) if not ch.isascii() else None
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


def _period(rest: str) -> str | None:
    """Return 'pm', 'am' or None from the text around the numbers."""
    marks = rest.lower().replace(".", "").replace(" ", "")
    if not marks:
        return None
    if any(m in marks for m in _PM):
        return "pm"
    if any(m in marks for m in _AM):
        return "am"
    return None


@lru_cache(maxsize=8192)  # a log repeats the same second on many lines
def local_time(text: str) -> float | None:
    """Return Unix seconds from a `toLocaleString()` time (read as UTC: it has no zone), or None."""
    raw = text.strip()
    s = _ascii_digits(raw)
    clock = _CLOCK.search(s)
    if clock is None:
        return None
    hour, minute, second = (int(g) for g in clock.groups())
    date_part = s[: clock.start()] + " " + s[clock.end() :]
    numbers = list(_NUMBER.finditer(date_part))
    if len(numbers) != 3:
        return None
    values = [int(m.group()) for m in numbers]
    years = [i for i, m in enumerate(numbers) if len(m.group()) == 4]
    if len(years) != 1:
        return None
    if years[0] == 0:  # year first: ja, zh, ko, hu, sv, lt, en-CA, en-ZA
        year, month, day = values
    elif years[0] == 2:
        first, second_value, year = values
        if first > 12:
            day, month = first, second_value
        elif second_value > 12 or _month_first(raw, date_part):
            month, day = first, second_value
        else:
            day, month = first, second_value
    else:
        return None
    if year > 2400:
        year -= _BUDDHIST_OFFSET
    if year < 1970:  # fa-IR's solar hijri (1405) and other calendars: not read, never misread
        return None
    words = _NUMBER.sub(" ", date_part)
    period = _period(re.sub(r"[,/\-.:年月日г]", " ", words))
    if period == "pm" and hour < 12:
        hour += 12
    elif period == "am" and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _month_first(raw: str, date_part: str) -> bool:
    """Tell a month-first date (en-US `8/20/2026, 2:05:09 PM`) from a day-first one.

    Of the locales ICU writes `d/m/yyyy` and `m/d/yyyy` in, only the American English family
    writes the month first, and only it writes an upper-case AM/PM after a slashed date with
    ASCII digits (en-AU, en-IN, en-NZ write `pm`; ms-MY `PTG`; bn-BD its own digits).
    """
    return raw.isascii() and "/" in date_part and re.search(r"\b[AP]M\b", raw) is not None
