"""diagnose incident: open, list, show, attach, close and retry, on the local incident log."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from diagnose.config import load_config
from diagnose.errors import BadInput
from diagnose.inputs import read_json_object
from diagnose.output import write_text
from diagnose.redact import Redactor

F = TypeVar("F", bound=Callable[..., Any])
SEVERITIES = ("critical", "warning", "info")


def _config_option(fn: F) -> F:
    """Add --config to a subcommand (the log's path may come from [incident] db)."""
    option = click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        help="Config file [default: ./diagnose.toml if present].",
    )
    return option(fn)


def _format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default="text",
        show_default=True,
        help="Output format.",
    )


def _context(config_path: Path | None) -> tuple[Any, Any]:
    """Return the config and a redactor that knows its secrets."""
    config = load_config(config_path)
    return config, Redactor(config.secret_values())


def _emit(text: str, redactor: Any) -> None:
    write_text(text if text.endswith("\n") else text + "\n", None, redactor)


def run_open(title: str, severity: str, config_path: Path | None) -> int:
    """Open an incident; print its id alone on stdout (for scripts)."""
    from diagnose.incidents.store import open_store

    if not title.strip():
        raise BadInput("incident open: give a title, e.g. 'Payments not processing'")
    config, redactor = _context(config_path)
    with open_store(config) as store:
        incident = store.open_incident(redactor.text(title.strip()), severity)
        click.echo(f"opened {incident.ref} ({severity}) in {store.path}", err=True)
    _emit(incident.ref, redactor)
    return 0


def run_list(fmt: str, config_path: Path | None) -> int:
    """List incidents, newest first."""
    from diagnose.incidents.store import open_store

    config, redactor = _context(config_path)
    with open_store(config) as store:
        rows = store.incidents()
    if fmt == "json":
        data = [{**i.to_json(), "attached": n, "unsent": u} for i, n, u in rows]
        _emit(redactor.json(data, indent=2), redactor)
        return 0
    if not rows:
        _emit("no incidents yet: 'diagnose incident open TITLE' opens one", redactor)
        return 0
    lines = [f"{'ID':8} {'STATUS':7} {'SEVERITY':9} {'OPENED':20} {'ATTACHED':14} TITLE"]
    for incident, attached, unsent in rows:
        count = f"{attached}" + (f" ({unsent} unsent)" if unsent else "")
        lines.append(
            f"{incident.ref:8} {incident.status:7} {incident.severity:9} "
            f"{incident.opened_at[:19].replace('T', ' '):20} {count:14} {incident.title}"
        )
    _emit("\n".join(lines), redactor)
    return 0


def run_show(ref: str, fmt: str, config_path: Path | None) -> int:
    """Show an incident: its attached diagnoses as a timeline and what changed between them."""
    from diagnose.incidents.store import open_store
    from diagnose.incidents.timeline import Snapshot, changes, clock, history

    config, redactor = _context(config_path)
    with open_store(config) as store:
        incident = store.get(ref)
        attachments = store.attachments(incident)
        deliveries = store.deliveries([a.id for a in attachments]) if attachments else []
    by_attachment: dict[int, list[Any]] = {}
    for d in deliveries:
        by_attachment.setdefault(d.attachment_id, []).append(d)
    documents = [json.loads(a.record.diagnosis_json) for a in attachments]
    snaps = [
        Snapshot.from_json(a.record.observed_at, d)
        for a, d in zip(attachments, documents, strict=True)
    ]
    if fmt == "markdown":
        parts = [f"# {incident.ref}: {incident.title}\n"]
        parts += [a.record.markdown for a in attachments]
        _emit("\n".join(parts), redactor)
        return 0
    if fmt == "html":
        _emit(_incident_html(incident, attachments, documents, snaps, redactor), redactor)
        return 0
    if fmt == "json":
        data = {
            "incident": incident.to_json(),
            "attachments": [
                {
                    "id": a.id,
                    "attached_at": a.attached_at,
                    "observed_at": a.record.observed_at,
                    "command": a.record.command,
                    "target": a.record.target,
                    "status": a.record.status,
                    "findings": [f["id"] for f in doc.get("findings") or []],
                    "deliveries": [d.to_json() for d in by_attachment.get(a.id, [])],
                    "diagnosis": doc,
                }
                for a, doc in zip(attachments, documents, strict=True)
            ],
            "history": [
                {
                    "id": h.rule_id,
                    "severity": h.severity,
                    "spans": [
                        {"first_seen": s.start.isoformat(), "gone_at": s.end and s.end.isoformat()}
                        for s in h.spans
                    ],
                }
                for h in history(snaps)
            ],
            "changes": changes(snaps),
        }
        _emit(redactor.json(data, indent=2), redactor)
        return 0
    lines = [f"{incident.ref}  {incident.title}", f"  status {incident.status}, severity "
             f"{incident.severity}, opened {incident.opened_at}"]  # fmt: skip
    if incident.closed_at:
        note = f": {incident.close_note}" if incident.close_note else ""
        lines.append(f"  closed {incident.closed_at}{note}")
    if not attachments:
        lines += ["", "No diagnosis attached yet: add --attach " + incident.ref + " to a check."]
        _emit("\n".join(lines), redactor)
        return 0
    with_date = len({s.at.date() for s in snaps}) > 1
    count = f"{len(attachments)} diagnos{'es' if len(attachments) > 1 else 'is'}"
    lines += ["", f"Timeline (UTC), {count}:"]
    for a, doc, snap in zip(attachments, documents, snaps, strict=True):
        ids = [f["id"] for f in doc.get("findings") or []]
        found = ", ".join(ids) if ids else "no findings"
        sinks = "".join(f"  [{d.sink} {d.state.value}]" for d in by_attachment.get(a.id, []))
        lines.append(
            f"  {clock(snap.at, with_date)}  #{a.id} {a.record.command} {a.record.target}: "
            f"{a.record.status.upper()} ({found}){sinks}"
        )
        for d in by_attachment.get(a.id, []):
            if d.last_error and d.state.value != "sent":
                lines.append(f"         {d.sink}: {d.last_error}")
    what = changes(snaps)
    lines += ["", "What changed:" if what else "What changed: nothing was found."]
    lines += [f"  {line}" for line in what]
    _emit("\n".join(lines), redactor)
    return 0


def _incident_html(
    incident: Any, attachments: list[Any], documents: list[Any], snaps: list[Any], redactor: Any
) -> str:
    """The incident as one HTML page: its timeline, what changed, the latest diagnosis drawn."""
    from diagnose.incidents.attach import diagnosis_from_json
    from diagnose.incidents.timeline import changes, events
    from diagnose.render.html import render_incident

    runs = [
        f"diagnose {a.record.command} {a.record.target}: {a.record.status.upper()}"
        for a in attachments
    ]
    about = [f"status {incident.status}, severity {incident.severity}, opened {incident.opened_at}"]
    if incident.closed_at:
        about.append(
            f"closed {incident.closed_at}"
            + (f": {incident.close_note}" if incident.close_note else "")
        )
    latest = diagnosis_from_json(documents[-1], incident.ref) if documents else None
    return render_incident(
        f"{incident.ref}: {incident.title}",
        about,
        events(snaps, runs),
        changes(snaps),
        redactor.model(latest) if latest else None,
    )


def run_attach(ref: str, file: str, config_path: Path | None) -> int:
    """Attach a diagnosis saved with --format json; exit 1 if the remote send failed."""
    from diagnose.incidents.attach import attach_record, diagnosis_from_json, make_record

    config, redactor = _context(config_path)
    data = read_json_object(file, "a diagnosis")
    record = make_record(diagnosis_from_json(data, file), redactor)
    return 0 if attach_record(record, ref, config, redactor) else 1


def run_close(ref: str, note: str | None, config_path: Path | None) -> int:
    """Close an incident with an optional note."""
    from diagnose.incidents.store import open_store

    config, redactor = _context(config_path)
    with open_store(config) as store:
        incident = store.close_incident(store.get(ref), redactor.text(note) if note else None)
    click.echo(f"closed {incident.ref} at {incident.closed_at}", err=True)
    return 0


def run_retry(ref: str | None, config_path: Path | None, force: bool = False) -> int:
    """Send every unsent attachment again (with `force`, also those that may have arrived);
    exit 1 if any is still unsent or may have arrived."""
    from diagnose.incidents.attach import deliver
    from diagnose.incidents.store import open_store

    config, redactor = _context(config_path)
    failed = sent = 0
    with open_store(config) as store:
        incident = store.get(ref) if ref else None
        for delivery in store.unsent(incident, force=force):
            if not store.claim(delivery):
                continue  # another process is sending it right now
            attachment = store.attachment(delivery.attachment_id)
            owner = store.incident_of(attachment)
            if deliver(store, delivery, attachment, owner, config, redactor):
                sent += 1
            else:
                failed += 1
        maybe = store.may_have_arrived(incident)
    click.echo(
        f"retry: {sent} sent, {failed} still unsent" if sent or failed else "retry: nothing unsent",
        err=True,
    )
    if maybe:
        click.echo(
            f"retry: {maybe} may have arrived (the answer never came), not sent again: check the "
            "receiver, then 'diagnose incident retry --force' (GitHub looks for its marker first)",
            err=True,
        )
    return 1 if failed or maybe else 0


@click.group("incident")
def command() -> None:
    """Open, list, show and close incidents; attach diagnoses and send them where the team works.

    INCIDENT is INC-N (the local log), or a sink: github:OWNER/REPO#N, slack:NAME,
    pagerduty:INCIDENT_ID, webhook:URL. Every diagnosing command takes --attach INCIDENT.
    """


@command.command("open")
@click.argument("title")
@click.option("--severity", type=click.Choice(SEVERITIES), default="warning", show_default=True)
@_config_option
def open_(title: str, severity: str, config_path: Path | None) -> None:
    """Open an incident; prints its id (INC-N)."""
    sys.exit(run_open(title, severity, config_path))


@command.command("list")
@_format_option("text", "json")
@_config_option
def list_(fmt: str, config_path: Path | None) -> None:
    """List incidents, newest first."""
    sys.exit(run_list(fmt, config_path))


@command.command("show")
@click.argument("ref", metavar="ID")
@_format_option("text", "json", "markdown", "html")
@_config_option
def show(ref: str, fmt: str, config_path: Path | None) -> None:
    """Show an incident's diagnoses as a timeline, and what changed between them."""
    sys.exit(run_show(ref, fmt, config_path))


@command.command("attach")
@click.argument("ref", metavar="INCIDENT")
@click.argument("file", metavar="FILE.json")
@_config_option
def attach(ref: str, file: str, config_path: Path | None) -> None:
    """Attach a diagnosis saved with --format json (FILE or - for stdin)."""
    sys.exit(run_attach(ref, file, config_path))


@command.command("close")
@click.argument("ref", metavar="ID")
@click.option("--note", help="What resolved it.")
@_config_option
def close(ref: str, note: str | None, config_path: Path | None) -> None:
    """Close an incident."""
    sys.exit(run_close(ref, note, config_path))


@command.command("retry")
@click.argument("ref", metavar="[ID]", required=False)
@click.option(
    "--force",
    is_flag=True,
    help="Also send those that may have arrived (the answer never came).",
)
@_config_option
def retry(ref: str | None, force: bool, config_path: Path | None) -> None:
    """Send again every attachment whose remote send failed (of one incident, or all)."""
    sys.exit(run_retry(ref, config_path, force))
