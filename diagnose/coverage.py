"""What a run checked: each probe's own count of what it read or measured, and what to give when
it is none (design.md: ok only when something was checked and passed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# A probe declares `checked.<its name>` in `provides` and writes one `Checked.to_json()` there.
PREFIX = "checked."


def fact_name(probe: str) -> str:
    """Return the name of the fact in which `probe` says what it checked."""
    return PREFIX + probe


@dataclass(frozen=True)
class Checked:
    """What one probe checked: how many items, what they are, and what to give when none."""

    count: int  # items actually checked: readable lines in the window, measured requests...
    unit: str  # what an item is: "lines", "requests", "variables"
    detail: str = ""  # one line: "1 200 lines read, 3 skipped as unreadable, window 10:00-11:00"
    hint: str = ""  # when count is 0: what the user should give ("give --log FILE: ...")

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form stored as a fact."""
        return {"count": self.count, "unit": self.unit, "detail": self.detail, "hint": self.hint}

    @classmethod
    def from_json(cls, data: Any) -> Checked | None:
        """Build from a fact's value; None for anything that is not one (a hand-made facts file)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("count"), int):
            return None
        return cls(
            count=int(data["count"]),
            unit=str(data.get("unit") or "items"),
            detail=str(data.get("detail") or ""),
            hint=str(data.get("hint") or ""),
        )


def checked(facts: Mapping[str, Any]) -> dict[str, Checked]:
    """Return probe name -> what it checked, for every probe that said."""
    out: dict[str, Checked] = {}
    for name, value in facts.items():
        if name.startswith(PREFIX) and (c := Checked.from_json(value)) is not None:
            out[name[len(PREFIX) :]] = c
    return out


def blind_spots(facts: Mapping[str, Any], judged: int) -> list[str]:
    """Return one line per reason the run cannot say ok: a probe that checked nothing, or no
    rule that could judge at all (no input, no enabled check)."""
    lines = [
        f"nothing checked by {probe}: {c.detail or f'0 {c.unit}'}"
        + (f"; {c.hint}" if c.hint else "")
        for probe, c in sorted(checked(facts).items())
        if c.count == 0
    ]
    if judged == 0:
        lines.append(
            "nothing checked: no rule had facts to judge (give an input or enable a check)"
        )
    return lines


def summary(facts: Mapping[str, Any], ran: Iterable[str] = ()) -> list[str]:
    """Return one line per probe that said what it checked (those that ran, when given)."""
    names = set(ran)
    return [
        f"checked by {probe}: {c.detail or f'{c.count} {c.unit}'}"
        for probe, c in sorted(checked(facts).items())
        if c.count > 0 and (not names or probe in names)
    ]
