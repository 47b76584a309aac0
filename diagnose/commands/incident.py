"""diagnose incident: open, list, show, attach, close and retry, on the local incident log."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from diagnose.config import load_config
from diagnose.errors import BadInput
from diagnose.inputs import read_json_object
from diagnose.output import write_text
from diagnose.redact import Redactor
from diagnose.timeparse import parse_instant

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


def run_list(fmt: str, status: str, config_path: Path | None) -> int:
    """List incidents (open, closed or all), newest first."""
    from diagnose.incidents.store import IncidentStatus, open_store

    config, redactor = _context(config_path)
    with open_store(config) as store:
        rows = store.incidents(None if status == "all" else IncidentStatus(status))
    if fmt == "json":
        data = [{**i.to_json(), "attached": n, "unsent": u} for i, n, u in rows]
        _emit(redactor.json(data, indent=2), redactor)
        return 0
    if not rows:
        which = "incidents yet" if status == "all" else f"{status} incidents"
        _emit(f"no {which}: 'diagnose incident open TITLE' opens one", redactor)
        return 0
    lines = [f"{'ID':8} {'STATUS':7} {'SEVERITY':9} {'OPENED (UTC)':20} {'ATTACHED':14} TITLE"]
    for incident, attached, unsent in rows:
        count = f"{attached}" + (f" ({unsent} unsent)" if unsent else "")
        lines.append(
            f"{incident.ref:8} {incident.status:7} {incident.severity:9} "
            f"{incident.opened_at[:19].replace('T', ' '):20} {count:14} {incident.title}"
        )
    _emit("\n".join(lines), redactor)
    return 0


def run_show(ref: str, fmt: str, now_text: str | None, config_path: Path | None) -> int:
    """Show an incident: its timeline (diagnoses, notes, closes) and what changed."""
    from diagnose.incidents.report import (
        IncidentView,
        render_json,
        render_postmortem,
        render_text,
    )
    from diagnose.incidents.store import open_store
    from diagnose.render.text import terminal_width

    now = parse_instant(now_text) if now_text else datetime.now(UTC)
    config, redactor = _context(config_path)
    with open_store(config) as store:
        incident = store.get(ref)
        attachments = store.attachments(incident)
        deliveries = store.deliveries([a.id for a in attachments]) if attachments else []
        view = IncidentView(incident, attachments, deliveries, store.events(incident))
    if fmt == "markdown":
        _emit(render_postmortem(view), redactor)
    elif fmt == "html":
        _emit(_incident_html(view, redactor), redactor)
    elif fmt == "json":
        _emit(redactor.json(render_json(view), indent=2), redactor)
    else:
        _emit(render_text(view, now, terminal_width()), redactor)
    return 0


def _incident_html(view: Any, redactor: Any) -> str:
    """The incident as one HTML page: its timeline, what changed, the latest diagnosis drawn."""
    from diagnose.incidents.attach import diagnosis_from_json
    from diagnose.incidents.timeline import changes, events
    from diagnose.render.html import render_incident

    incident, attachments = view.incident, view.attachments
    documents, snaps = view.documents(), view.snapshots()
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


def run_reopen(ref: str, note: str | None, config_path: Path | None) -> int:
    """Reopen a closed incident (it came back); its close stays in the timeline."""
    from diagnose.incidents.store import open_store

    config, redactor = _context(config_path)
    with open_store(config) as store:
        incident = store.reopen_incident(store.get(ref), redactor.text(note) if note else None)
    click.echo(f"reopened {incident.ref}", err=True)
    return 0


def run_note(ref: str, text: str, config_path: Path | None) -> int:
    """Add a note to an incident's timeline."""
    from diagnose.incidents.store import open_store

    if not text.strip():
        raise BadInput("incident note: give the text, e.g. 'rolled back to v41'")
    config, redactor = _context(config_path)
    with open_store(config) as store:
        incident = store.get(ref)
        event = store.add_note(incident, redactor.text(text.strip()))
    click.echo(f"noted on {incident.ref} at {event.at}", err=True)
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
    """Open, note, close and reopen incidents; attach diagnoses and send them where the team works.

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
@click.option(
    "--status",
    type=click.Choice(("open", "closed", "all")),
    default="all",
    show_default=True,
    help="Only the open or the closed ones.",
)
@_config_option
def list_(fmt: str, status: str, config_path: Path | None) -> None:
    """List incidents, newest first."""
    sys.exit(run_list(fmt, status, config_path))


@command.command("show")
@click.argument("ref", metavar="ID")
@_format_option("text", "json", "markdown", "html")
@click.option(
    "--now",
    "now_text",
    metavar="TIMESTAMP",
    help="Say how long ago things were as of this instant (RFC 3339 or epoch) [default: now].",
)
@_config_option
def show(ref: str, fmt: str, now_text: str | None, config_path: Path | None) -> None:
    """Show an incident: a timeline of its diagnoses, notes and closes, and what changed.

    --format markdown is the postmortem: summary, timeline, what changed, every diagnosis whole.
    """
    sys.exit(run_show(ref, fmt, now_text, config_path))


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


@command.command("reopen")
@click.argument("ref", metavar="ID")
@click.option("--note", help="Why it is reopened.")
@_config_option
def reopen(ref: str, note: str | None, config_path: Path | None) -> None:
    """Reopen a closed incident; its close stays in the timeline."""
    sys.exit(run_reopen(ref, note, config_path))


@command.command("note")
@click.argument("ref", metavar="ID")
@click.argument("text")
@_config_option
def note(ref: str, text: str, config_path: Path | None) -> None:
    """Add a note to an incident's timeline (what was tried, who was called)."""
    sys.exit(run_note(ref, text, config_path))


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
