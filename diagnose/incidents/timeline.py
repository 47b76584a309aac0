"""What changed between the diagnoses attached to an incident: when each finding came and went."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from diagnose.render.charts import Event
from diagnose.timeparse import parse_instant


@dataclass(frozen=True)
class Snapshot:
    """One attached diagnosis, reduced to what the timeline compares."""

    at: datetime
    present: Mapping[str, str]  # rule id -> severity, consequences included
    quiet: frozenset[str]  # rules judged and found quiet: only these can be "gone"
    explained_by: Mapping[str, str] = field(default_factory=dict)  # consequence -> root cause
    subject: str = ""  # the command and target judged: only the same subject can clear a rule

    @classmethod
    def from_json(cls, at: str, diagnosis: Mapping[str, Any]) -> Snapshot:
        """Build from an observation time and a diagnosis in its JSON form."""
        present: dict[str, str] = {}
        explained_by: dict[str, str] = {}
        for finding in diagnosis.get("findings") or []:
            root = str(finding.get("id"))
            present[root] = str(finding.get("severity", ""))
            for explained in finding.get("explains") or []:
                present.setdefault(str(explained.get("id")), str(explained.get("severity", "")))
                explained_by.setdefault(str(explained.get("id")), root)
        quiet = frozenset(diagnosis.get("quiet") or ())
        subject = f"{diagnosis.get('command', '')} {diagnosis.get('target', '')}"
        return cls(parse_instant(at), present, quiet, explained_by, subject)


@dataclass(frozen=True)
class Span:
    """A rule's presence from one snapshot until it was judged quiet (or is still there)."""

    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class RuleHistory:
    """One rule across an incident: its severity when last seen and each stretch it was present."""

    rule_id: str
    severity: str
    spans: tuple[Span, ...]
    explained_by: str | None = None


def history(snapshots: Sequence[Snapshot]) -> list[RuleHistory]:
    """Return each rule's spans, in the order rules first appeared.

    A rule that a later diagnosis did not judge at all (another command, or inconclusive) keeps
    its state: only a diagnosis of the same command and target that judged it quiet can say it
    is gone (webhooks on another log file saw other traffic, not the fix).
    """
    spans: dict[str, list[Span]] = {}
    seen_in: dict[str, str] = {}
    severity: dict[str, str] = {}
    via: dict[str, str | None] = {}
    for snap in sorted(snapshots, key=lambda s: s.at):
        for rule_id, sev in snap.present.items():
            severity[rule_id] = sev
            seen_in[rule_id] = snap.subject
            via[rule_id] = snap.explained_by.get(rule_id)
            runs = spans.setdefault(rule_id, [])
            if not runs or runs[-1].end is not None:
                runs.append(Span(snap.at, None))
        for rule_id, runs in spans.items():
            if (
                runs[-1].end is None
                and rule_id in snap.quiet
                and rule_id not in snap.present
                and snap.subject == seen_in.get(rule_id)
            ):
                runs[-1] = Span(runs[-1].start, snap.at)
    return [RuleHistory(r, severity[r], tuple(s), via[r]) for r, s in spans.items()]


def span_text(seconds: float) -> str:
    """Say a length of time as people do: 40 s, 41 min, 2 h 5 min, 3 d 4 h."""
    total = round(abs(seconds))
    if total < 60:
        return f"{total} s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def ago(moment: datetime, now: datetime) -> str:
    """Return "41 min ago" (or "in 5 min" for an instant after now, "just now" within a second)."""
    seconds = (now - moment).total_seconds()
    if abs(seconds) < 1:
        return "just now"
    return f"{span_text(seconds)} ago" if seconds > 0 else f"in {span_text(seconds)}"


def clock(moment: datetime, with_date: bool = True) -> str:
    """Format an instant for the timeline, to the second, in UTC."""
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def stamp(moment: datetime, now: datetime | None) -> str:
    """Return "2026-11-27 10:02:00 UTC, 41 min ago" (without the relative part when now is None)."""
    text = f"{clock(moment)} UTC"
    return f"{text}, {ago(moment, now)}" if now is not None else text


def describe(
    rules: Sequence[RuleHistory], last: datetime | None, now: datetime | None = None
) -> list[str]:
    """Return one line per rule: "tls.cert-expired (critical): first seen 2026-11-27 10:02:00 UTC,
    41 min ago; gone at 10:41:00 after 39 min". The first instant carries the date and how long
    ago it was; later ones carry the date only when it changed."""
    lines = []
    for rule in rules:
        first = rule.spans[0].start if rule.spans else None
        moments: list[tuple[str, datetime]] = []
        for i, span in enumerate(rule.spans):
            if i:
                moments.append(("back at", span.start))
            if span.end is not None:
                moments.append(("gone at", span.end))
        if rule.spans and rule.spans[-1].end is None and last and last > rule.spans[-1].start:
            moments.append(("still there at", last))
        parts = [f"first seen {stamp(first, now)}"] if first else []
        day = first.date() if first else None
        starts = [s.start for s in rule.spans]
        for word, moment in moments:
            text = f"{word} {clock(moment, with_date=moment.date() != day)}"
            day = moment.date()
            if word == "gone at":
                began = max(t for t in starts if t <= moment)
                text += f" after {span_text((moment - began).total_seconds())}"
            parts.append(text)
        why = f", explained by {rule.explained_by}" if rule.explained_by else ""
        lines.append(f"{rule.rule_id} ({rule.severity}{why}): " + "; ".join(parts))
    return lines


def changes(snapshots: Sequence[Snapshot], now: datetime | None = None) -> list[str]:
    """Return the "what changed" lines for an incident's snapshots (relative to now when given)."""
    if not snapshots:
        return []
    last = max(s.at for s in snapshots)
    return describe(history(snapshots), last, now)


def events(snapshots: Sequence[Snapshot], runs: Sequence[str]) -> list[Event]:
    """The incident's timeline: each attached diagnosis (`runs`, one line each, in snapshot
    order) and each rule's first sighting and end, in time order."""
    ordered: list[tuple[datetime, int, Event]] = [
        (snap.at, 0, Event(snap.at, run, "failure" if snap.present else "ok"))
        for snap, run in zip(snapshots, runs, strict=True)
    ]
    for rule in history(snapshots):
        for i, span in enumerate(rule.spans):
            verb = "first seen" if i == 0 else "back"
            text = f"{rule.rule_id} ({rule.severity}) {verb}"
            ordered.append((span.start, 1, Event(span.start, text, "failure")))
            if span.end is not None:
                ordered.append((span.end, 1, Event(span.end, f"{rule.rule_id} gone", "ok")))
    # At one instant: the diagnosis first, then what it showed.
    return [e for _, _, e in sorted(ordered, key=lambda t: (t[0], t[1]))]
