"""An incident as people read it: text (timeline, what changed), JSON, and the postmortem."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from diagnose.incidents.store import Attachment, Delivery, Event, EventKind, Incident
from diagnose.incidents.timeline import (
    Snapshot,
    ago,
    changes,
    clock,
    history,
    span_text,
    stamp,
)
from diagnose.timeparse import parse_instant

_FENCE = re.compile(r"^\s*(```|~~~)")
# "43 min ago" must not wrap inside: not between 43 and min, nor before "ago".
_QUANTITY = re.compile(r"\d (?:s|min|h|d)\b(?: ago\b)?")
_GLUE = "\x00"


@dataclass(frozen=True)
class IncidentView:
    """Everything `incident show` reads from the log about one incident."""

    incident: Incident
    attachments: Sequence[Attachment]
    deliveries: Sequence[Delivery]
    events: Sequence[Event]

    def documents(self) -> list[dict[str, Any]]:
        """Return each attachment's diagnosis in its JSON form."""
        return [json.loads(a.record.diagnosis_json) for a in self.attachments]

    def snapshots(self) -> list[Snapshot]:
        """Return what the timeline compares, one per attachment."""
        return [
            Snapshot.from_json(a.record.observed_at, doc)
            for a, doc in zip(self.attachments, self.documents(), strict=True)
        ]

    def sent_to(self, attachment: Attachment) -> list[Delivery]:
        """Return the remote sends of one attachment."""
        return [d for d in self.deliveries if d.attachment_id == attachment.id]


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: a diagnosis attached, a note, a close, a reopen."""

    at: datetime
    text: str
    details: tuple[str, ...] = ()


def _diagnosis_text(attachment: Attachment, doc: dict[str, Any]) -> str:
    ids = [str(f.get("id")) for f in doc.get("findings") or []]
    found = ", ".join(ids) if ids else "no findings"
    r = attachment.record
    return f"#{attachment.id} {r.command} {r.target}: {r.status.upper()} ({found})"


def _event_text(event: Event) -> str:
    words = {EventKind.NOTE: "note", EventKind.CLOSED: "closed", EventKind.REOPENED: "reopened"}
    return words[event.kind] + (f": {event.text}" if event.text else "")


def entries(view: IncidentView) -> list[Entry]:
    """Return the incident's timeline: its opening, diagnoses and events, in time order."""
    found = [Entry(parse_instant(view.incident.opened_at), "opened")]
    for attachment, doc in zip(view.attachments, view.documents(), strict=True):
        sends = view.sent_to(attachment)
        text = _diagnosis_text(attachment, doc)
        text += "".join(f" [{d.sink} {d.state.value}]" for d in sends)
        errors = tuple(
            f"{d.sink}: {d.last_error}" for d in sends if d.last_error and d.state.value != "sent"
        )
        found.append(Entry(parse_instant(attachment.record.observed_at), text, errors))
    found += [Entry(parse_instant(e.at), _event_text(e)) for e in view.events]
    # Stable: an opening and a diagnosis at the same second keep that order.
    return sorted(found, key=lambda e: e.at)


def _wrap(text: str, width: int, indent: str, hang: str) -> list[str]:
    lines = textwrap.wrap(
        _QUANTITY.sub(lambda m: m.group(0).replace(" ", _GLUE), text),
        width=max(width, 40),
        initial_indent=indent,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]
    return [line.replace(_GLUE, " ") for line in lines]


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def render_text(view: IncidentView, now: datetime, width: int) -> str:
    """Return `incident show` as text: header, timeline (date, seconds, how long ago), changes."""
    incident = view.incident
    opened = parse_instant(incident.opened_at)
    lines = [f"{incident.ref}  {incident.title}"]
    lines += _wrap(
        f"status {incident.status}, severity {incident.severity}, opened {stamp(opened, now)}",
        width,
        "  ",
        "    ",
    )
    if incident.closed_at:
        closed = parse_instant(incident.closed_at)
        note = f": {incident.close_note}" if incident.close_note else ""
        lines += _wrap(
            f"closed {stamp(closed, now)}, after {span_text((closed - opened).total_seconds())}"
            f"{note}",
            width,
            "  ",
            "    ",
        )
    if not view.attachments:
        lines += ["", "No diagnosis attached yet: add --attach " + incident.ref + " to a check."]
    notes = sum(e.kind is EventKind.NOTE for e in view.events)
    counts = [_count(len(view.attachments), "diagnosis", "diagnoses")]
    if notes:
        counts.append(_count(notes, "note", "notes"))
    lines += ["", f"Timeline (UTC), {', '.join(counts)}:"]
    for entry in entries(view):
        when = f"{clock(entry.at)} ({ago(entry.at, now)})"
        lines += _wrap(f"{when}  {entry.text}", width, "  ", "      ")
        lines += [line for d in entry.details for line in _wrap(d, width, "      ", "        ")]
    if view.attachments:
        what = changes(view.snapshots(), now)
        lines += ["", "What changed:" if what else "What changed: nothing was found."]
        lines += [line for w in what for line in _wrap(w, width, "  ", "      ")]
    return "\n".join(lines)


def render_json(view: IncidentView) -> dict[str, Any]:
    """Return `incident show --format json`: absolute times only, so it never goes stale."""
    documents = view.documents()
    snaps = view.snapshots()
    return {
        "incident": view.incident.to_json(),
        "attachments": [
            {
                "id": a.id,
                "attached_at": a.attached_at,
                "observed_at": a.record.observed_at,
                "command": a.record.command,
                "target": a.record.target,
                "status": a.record.status,
                "findings": [f["id"] for f in doc.get("findings") or []],
                "deliveries": [d.to_json() for d in view.sent_to(a)],
                "diagnosis": doc,
            }
            for a, doc in zip(view.attachments, documents, strict=True)
        ],
        "events": [e.to_json() for e in view.events],
        "history": [
            {
                "id": h.rule_id,
                "severity": h.severity,
                "explained_by": h.explained_by,
                "spans": [
                    {"first_seen": s.start.isoformat(), "gone_at": s.end and s.end.isoformat()}
                    for s in h.spans
                ],
            }
            for h in history(snaps)
        ],
        "changes": changes(snaps),
    }


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _demote(markdown: str, levels: int) -> list[str]:
    """Push a report's headings down under the postmortem's own (code blocks left alone)."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            line = "#" * levels + line
        out.append(line)
    return out


def render_postmortem(view: IncidentView) -> str:
    """Return the postmortem in Markdown: summary, timeline, what changed, each diagnosis whole."""
    incident = view.incident
    opened = parse_instant(incident.opened_at)
    rows = [
        ("Status", incident.status),
        ("Severity", incident.severity),
        ("Opened", f"{clock(opened)} UTC"),
    ]
    if incident.closed_at:
        closed = parse_instant(incident.closed_at)
        rows.append(("Closed", f"{clock(closed)} UTC"))
        rows.append(("Duration", span_text((closed - opened).total_seconds())))
        if incident.close_note:
            rows.append(("Resolution", incident.close_note))
    if incident.external:
        rows.append(("Where", f"`{incident.external}`"))
    out = [f"# {incident.ref}: {_md(incident.title)}", "", "| | |", "|---|---|"]
    out += [f"| {k} | {_md(v)} |" for k, v in rows]
    out += ["", "## Timeline (UTC)", "", "| When | What |", "|---|---|"]
    for entry in entries(view):
        said = "; ".join((entry.text, *entry.details))
        out.append(f"| {clock(entry.at)} | {_md(said)} |")
    out += ["", "## What changed", ""]
    what = changes(view.snapshots())
    out += [f"- {_md(line)}" for line in what] or ["Nothing was found."]
    if view.attachments:
        out += ["", "## Diagnoses", ""]
        for attachment in view.attachments:
            out += _demote(attachment.record.markdown, 1)
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
