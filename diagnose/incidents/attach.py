"""Attach a diagnosis to an incident: keep it in the local log, then send it to its sink."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from typing import Any

from diagnose.config import Config
from diagnose.errors import BadInput
from diagnose.incidents.sinks import (
    Payload,
    SendError,
    SinkKind,
    SinkSpec,
    check_sink,
    parse_sink,
    send,
)
from diagnose.incidents.store import (
    Attachment,
    AttachmentRecord,
    Delivery,
    DeliveryState,
    Incident,
    Store,
    open_store,
)
from diagnose.model import (
    Diagnosis,
)
from diagnose.redact import Redactor
from diagnose.render.json_out import render_json
from diagnose.render.markdown import render_markdown
from diagnose.render.text import render_text


def attachment_key(command: str, target: str) -> str:
    """Return the identity of "this check": attaching it again replaces its remote comment."""
    return hashlib.sha256(f"{command}\0{target}".encode()).hexdigest()[:16]


def make_record(diagnosis: Diagnosis, redactor: Redactor) -> AttachmentRecord:
    """Render a diagnosis for storage and sending, every rendering through the redactor."""
    return AttachmentRecord(
        # The instant the diagnosis describes (--now when given): what the timeline compares.
        observed_at=diagnosis.factset.now or diagnosis.started_at,
        command=redactor.text(diagnosis.command),
        target=redactor.text(diagnosis.target),
        status=diagnosis.status.value,
        key=attachment_key(diagnosis.command, redactor.text(diagnosis.target)),
        markdown=redactor.text(render_markdown(redactor.model(diagnosis))),
        plain=redactor.text(render_text(redactor.model(diagnosis), color=False)),
        diagnosis_json=render_json(diagnosis, redactor).rstrip("\n"),
    )


def payload_for(attachment: Attachment, incident: Incident) -> Payload:
    """Return what a sink sends for a stored attachment."""
    r = attachment.record
    headline = f"diagnose {r.command} {r.target}: {r.status.upper()}"
    first = _first_finding(r.diagnosis_json)
    if first:
        headline += f" ({first})"
    return Payload(
        key=r.key,
        incident=incident.ref,
        headline=headline,
        markdown=r.markdown,
        plain=r.plain,
        diagnosis_json=r.diagnosis_json,
    )


def _first_finding(diagnosis_json: str) -> str:
    findings = json.loads(diagnosis_json).get("findings") or []
    if not findings:
        return ""
    top = findings[0]
    return f"{top.get('id')}: {top.get('title')}"


def deliver(
    store: Store,
    delivery: Delivery,
    attachment: Attachment,
    incident: Incident,
    config: Config,
    redactor: Redactor,
) -> bool:
    """Send one delivery and record the outcome; on failure say so in one line on stderr."""
    spec = parse_sink(delivery.sink)
    assert spec is not None  # deliveries are only ever made for sink specs
    try:
        sent = send(spec, payload_for(attachment, incident), config, redactor)
    except SendError as exc:
        message = redactor.text(str(exc))
        state = DeliveryState.MAY_HAVE_ARRIVED if exc.maybe else DeliveryState.UNSENT
        store.mark(delivery, state, exc.attempts, error=message)
        kept = f"({incident.ref}, attachment {attachment.id})"
        if exc.maybe:
            how = (
                f"kept in the incident log as may-have-arrived {kept}: check the receiver; "
                f"'diagnose incident retry --force {incident.ref}' sends it again" + _again(spec)
            )
        else:
            how = f"kept in the incident log as unsent {kept}: 'diagnose incident retry' sends it"
        print(
            f"diagnose: attach to {redactor.text(spec.spec)} failed: {message}; the diagnosis is "
            + how,
            file=sys.stderr,
        )
        return False
    store.mark(delivery, DeliveryState.SENT, sent.attempts, remote_id=sent.remote_id)
    where = f" (id {sent.remote_id})" if sent.remote_id else ""
    print(
        f"diagnose: attached to {redactor.text(spec.spec)}{where}; logged as {incident.ref}, "
        f"attachment {attachment.id}",
        file=sys.stderr,
    )
    return True


def _again(spec: SinkSpec) -> str:
    """Say what makes a forced resend safe for this sink, if anything does."""
    if spec.kind is SinkKind.GITHUB:
        return " (it looks for its marker comment first and edits it if it is there)"
    if spec.kind is SinkKind.WEBHOOK:
        return " (with the same Idempotency-Key, for the receiver to deduplicate)"
    return " (this sink cannot tell a repeat: it would arrive twice)"


def resolve(store: Store, target: str, config: Config) -> tuple[Incident, SinkSpec | None]:
    """Return the incident a target names and its sink; raise BadInput for unknown or bad ones."""
    spec = parse_sink(target.strip())
    if spec is None:
        return store.get(target), None
    check_sink(spec, config)
    known = store.find(spec.spec)
    return (known or store.for_sink(spec.spec)), spec


def check_target(target: str, config: Config) -> None:
    """Raise BadInput now for a target that attaching would refuse later (for early checks)."""
    spec = parse_sink(target.strip())
    if spec is not None:
        check_sink(spec, config)
        return
    with open_store(config) as store:
        store.get(target)


def attach_record(
    record: AttachmentRecord, target: str, config: Config, redactor: Redactor
) -> bool:
    """Store a record on the target's incident and send it if the target is remote."""
    spec = parse_sink(target.strip())
    if spec is not None:
        check_sink(spec, config)  # before touching the log: a typo must not create an incident
    with open_store(config) as store:
        incident, spec = resolve(store, target, config)
        if incident.status == "closed":
            # Attached anyway (a check after the fix belongs to the story), but said: the
            # on-call may have meant a new incident.
            print(
                f"diagnose: warning: {incident.ref} was closed at {incident.closed_at}; attached "
                f"anyway ('diagnose incident reopen {incident.ref}' reopens it, 'diagnose "
                "incident open TITLE' starts a new one)",
                file=sys.stderr,
            )
        attachment, delivery = store.add_attachment(incident, record, spec.spec if spec else None)
        if delivery is None:
            print(
                f"diagnose: attached to {incident.ref} (attachment {attachment.id}, {store.path})",
                file=sys.stderr,
            )
            return True
        return deliver(store, delivery, attachment, incident, config, redactor)


def attach_diagnosis(diagnosis: Diagnosis, target: str, config: Config, redactor: Redactor) -> None:
    """Attach a diagnosis to INC-N or a sink; a failed send keeps it in the log as unsent."""
    attach_record(make_record(diagnosis, redactor), target, config, redactor)


def diagnosis_from_json(data: Mapping[str, Any], source: str) -> Diagnosis:
    """Rebuild a Diagnosis from `--format json` output; raise BadInput naming what is wrong."""
    if data.get("schema") != "diagnose/diagnosis@1":
        raise BadInput(
            f"{source}: not a diagnosis (schema is {data.get('schema')!r}, expected "
            "'diagnose/diagnosis@1': save one with --format json --output FILE)"
        )
    try:
        return Diagnosis.from_json(data)
    except KeyError as exc:
        raise BadInput(f"{source}: not a diagnosis: missing key {exc}") from None
    except (ValueError, TypeError, AttributeError) as exc:
        raise BadInput(f"{source}: not a diagnosis: {exc}") from None
