"""The local incident log: SQLite, WAL, busy timeout, versioned schema migrations."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from diagnose.config import Config
from diagnose.errors import BadInput
from diagnose.timeparse import iso

ENV_DB = "DIAGNOSE_INCIDENT_DB"
DB_NAME = "incidents.sqlite3"
BUSY_TIMEOUT_MS = 15_000
# A delivery left "pending" this long was cut off (killed process); retry picks it up.
STALE_PENDING_S = 600

# Migration N brings the schema from user_version N-1 to N. Append, never edit a shipped one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        external TEXT UNIQUE,
        opened_at TEXT NOT NULL,
        closed_at TEXT,
        close_note TEXT
    );
    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents(id),
        attached_at TEXT NOT NULL,
        observed_at TEXT NOT NULL,
        command TEXT NOT NULL,
        target TEXT NOT NULL,
        status TEXT NOT NULL,
        key TEXT NOT NULL,
        markdown TEXT NOT NULL,
        plain TEXT NOT NULL,
        diagnosis_json TEXT NOT NULL
    );
    CREATE INDEX attachments_by_incident ON attachments(incident_id, observed_at);
    """,
    """
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        attachment_id INTEGER NOT NULL REFERENCES attachments(id),
        sink TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'unsent')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        remote_id TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX deliveries_by_state ON deliveries(state);
    """,
    # Issue #11: the runbook's version-tracking records (diagnose deploy record), read by the
    # deploys probe; kept here so that one file holds the incident and its deployments.
    """
    CREATE TABLE deployments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        deployed_at TEXT NOT NULL,
        version TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        deployed_by TEXT,
        changes TEXT,
        environment TEXT NOT NULL,
        source TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX deployments_by_time ON deployments(deployed_at);
    """,
    # Issue 21, 11: a send whose outcome is unknown (a timeout after sending, a connection closed
    # before the answer) may have arrived; SQLite cannot alter a CHECK, so the table is rebuilt.
    """
    CREATE TABLE deliveries_v4 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        attachment_id INTEGER NOT NULL REFERENCES attachments(id),
        sink TEXT NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('pending', 'sent', 'unsent', 'may_have_arrived')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        remote_id TEXT,
        updated_at TEXT NOT NULL
    );
    INSERT INTO deliveries_v4 (id, attachment_id, sink, state, attempts, last_error, remote_id,
        updated_at)
        SELECT id, attachment_id, sink, state, attempts, last_error, remote_id, updated_at
        FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_v4 RENAME TO deliveries;
    CREATE INDEX deliveries_by_state ON deliveries(state);
    """,
    # Issue 20: what happened to an incident besides diagnoses (notes, closes, reopens), for the
    # timeline and the postmortem.
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('note', 'closed', 'reopened')),
        text TEXT
    );
    CREATE INDEX events_by_incident ON events(incident_id, at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_LOCAL_REF = re.compile(r"^(?:INC-)?(\d{1,12})$", re.I)


class IncidentStatus(StrEnum):
    """Whether an incident is still being worked on."""

    OPEN = "open"
    CLOSED = "closed"


class EventKind(StrEnum):
    """What can happen to an incident besides a diagnosis."""

    NOTE = "note"
    CLOSED = "closed"
    REOPENED = "reopened"


@dataclass(frozen=True)
class Event:
    """A note, a close or a reopen, with when it happened."""

    id: int
    incident_id: int
    at: str
    kind: EventKind
    text: str | None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"at": self.at, "kind": self.kind.value, "text": self.text}


class DeliveryState(StrEnum):
    """Where a remote delivery stands."""

    PENDING = "pending"
    SENT = "sent"
    UNSENT = "unsent"
    # The receiver may have it (the answer never came): sent again only with --force.
    MAY_HAVE_ARRIVED = "may_have_arrived"


@dataclass(frozen=True)
class Incident:
    """One incident: local, or the local record of a remote one (external = its sink spec)."""

    id: int
    title: str
    severity: str
    status: str
    opened_at: str
    closed_at: str | None = None
    close_note: str | None = None
    external: str | None = None

    @property
    def ref(self) -> str:
        """Return the name people type: INC-<id>."""
        return f"INC-{self.id}"

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "id": self.ref,
            "title": self.title,
            "severity": self.severity,
            "status": self.status,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "close_note": self.close_note,
            "external": self.external,
        }


@dataclass(frozen=True)
class AttachmentRecord:
    """What is kept of one diagnosis: already redacted renderings plus its identity."""

    observed_at: str
    command: str
    target: str
    status: str
    key: str
    markdown: str
    plain: str
    diagnosis_json: str


@dataclass(frozen=True)
class Attachment:
    """A stored diagnosis, attached to an incident."""

    id: int
    incident_id: int
    attached_at: str
    record: AttachmentRecord


@dataclass(frozen=True)
class Delivery:
    """One attempt-tracked send of an attachment to a remote sink."""

    id: int
    attachment_id: int
    sink: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    remote_id: str | None
    updated_at: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "sink": self.sink,
            "state": self.state.value,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "remote_id": self.remote_id,
            "updated_at": self.updated_at,
        }


def default_path(config: Config) -> Path:
    """Return the log's path: $DIAGNOSE_INCIDENT_DB, else [incident] db, else the user data dir."""
    if env := os.environ.get(ENV_DB):
        return Path(env).expanduser()
    if configured := config.get("incident", "db"):
        path = Path(configured).expanduser()
        base = config.path.parent if config.path else Path.cwd()
        return path if path.is_absolute() else base / path

    return Path(user_data_dir("diagnose")) / DB_NAME


def _now() -> str:
    return iso(datetime.now(UTC))


def _incident(row: sqlite3.Row) -> Incident:
    return Incident(**{f.name: row[f.name] for f in fields(Incident)})


def _attachment(row: sqlite3.Row) -> Attachment:
    record = AttachmentRecord(**{f.name: row[f.name] for f in fields(AttachmentRecord)})
    return Attachment(row["id"], row["incident_id"], row["attached_at"], record)


def _delivery(row: sqlite3.Row) -> Delivery:
    values = {f.name: row[f.name] for f in fields(Delivery)}
    return Delivery(**{**values, "state": DeliveryState(row["state"])})


class Store:
    """The incident log. Each write is one short IMMEDIATE transaction; nothing is held over I/O."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A log we may not write (a read-only file or folder) is still read: list and show.
            self.read_only = path.exists() and not (
                os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
            )
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE), so a writer takes the
            # write lock up front and waits on busy_timeout instead of failing half-way.
            target = f"{path.resolve().as_uri()}?mode=ro" if self.read_only else str(path)
            self._db = sqlite3.connect(
                target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, uri=self.read_only
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not self.read_only:
                # It holds diagnoses (evidence): the owner's only, like ~/.ssh.
                os.chmod(path, 0o600)
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            if self.read_only and self.schema_version() != SCHEMA_VERSION:
                raise BadInput(f"incident log {path}: read-only and of an older schema")
            if not self.read_only:
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"incident log {path}: {exc}") from None
        except OSError as exc:
            raise BadInput(f"incident log {path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            # Only after busy_timeout: someone holds the log far longer than any write takes.
            raise BadInput(f"incident log {self.path}: {exc}; try again") from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def schema_version(self) -> int:
        """Return the schema version the file is at."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return
        with self._write() as db:
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = self.schema_version()
            if version > SCHEMA_VERSION:
                raise BadInput(
                    f"incident log {self.path}: schema version {version} was written by a newer "
                    f"diagnose (this one knows up to {SCHEMA_VERSION}); upgrade diagnose"
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number - 1].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    # incidents

    def open_incident(self, title: str, severity: str, external: str | None = None) -> Incident:
        """Open a new incident and return it."""
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO incidents (title, severity, external, opened_at) VALUES (?, ?, ?, ?)",
                (title, severity, external, _now()),
            )
            row = db.execute("SELECT * FROM incidents WHERE id = ?", (cur.lastrowid,)).fetchone()
        return _incident(row)

    def find(self, ref: str) -> Incident | None:
        """Return the incident named INC-<n>, <n>, or by its remote spec; None if there is none."""
        match = _LOCAL_REF.match(ref.strip())
        if match:
            row = self._db.execute(
                "SELECT * FROM incidents WHERE id = ?", (int(match.group(1)),)
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT * FROM incidents WHERE external = ?", (ref.strip(),)
            ).fetchone()
        return _incident(row) if row else None

    def get(self, ref: str) -> Incident:
        """Return the named incident; raise BadInput naming it when there is none."""
        found = self.find(ref)
        if found is None:
            raise BadInput(
                f"unknown incident {ref!r} in {self.path}: 'diagnose incident list' names them, "
                "'diagnose incident open TITLE' opens one"
            )
        return found

    def for_sink(self, spec: str) -> Incident:
        """Return the local record of a remote incident, creating it on first use."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO incidents (title, severity, external, opened_at) "
                "VALUES (?, 'unknown', ?, ?)",
                (spec, spec, _now()),
            )
            row = db.execute("SELECT * FROM incidents WHERE external = ?", (spec,)).fetchone()
        return _incident(row)

    def incidents(self, status: IncidentStatus | None = None) -> list[tuple[Incident, int, int]]:
        """Return the incidents (of one status, or all), newest first, with their attachment and
        unsent counts."""
        where, args = ("WHERE i.status = ?", (status.value,)) if status else ("", ())
        rows = self._db.execute(
            f"""
            SELECT i.*,
                (SELECT COUNT(*) FROM attachments a WHERE a.incident_id = i.id) AS n_attached,
                (SELECT COUNT(*) FROM deliveries d JOIN attachments a ON a.id = d.attachment_id
                 WHERE a.incident_id = i.id AND d.state != 'sent') AS n_unsent
            FROM incidents i {where} ORDER BY i.id DESC
            """,
            args,
        ).fetchall()
        return [(_incident(r), r["n_attached"], r["n_unsent"]) for r in rows]

    def close_incident(self, incident: Incident, note: str | None) -> Incident:
        """Close an open incident with an optional note."""
        now = _now()
        with self._write() as db:
            cur = db.execute(
                "UPDATE incidents SET status = 'closed', closed_at = ?, close_note = ? "
                "WHERE id = ? AND status = 'open'",
                (now, note, incident.id),
            )
            if cur.rowcount == 0:
                raise BadInput(
                    f"{incident.ref} is already closed: 'diagnose incident reopen "
                    f"{incident.ref}' reopens it"
                )
            self._event(db, incident, now, EventKind.CLOSED, note)
            row = db.execute("SELECT * FROM incidents WHERE id = ?", (incident.id,)).fetchone()
        return _incident(row)

    def reopen_incident(self, incident: Incident, note: str | None) -> Incident:
        """Reopen a closed incident (the close stays in its timeline)."""
        now = _now()
        with self._write() as db:
            cur = db.execute(
                "UPDATE incidents SET status = 'open', closed_at = NULL, close_note = NULL "
                "WHERE id = ? AND status = 'closed'",
                (incident.id,),
            )
            if cur.rowcount == 0:
                raise BadInput(f"{incident.ref} is open: nothing to reopen")
            if (
                incident.closed_at
                and not db.execute(
                    "SELECT 1 FROM events WHERE incident_id = ? AND kind = 'closed'", (incident.id,)
                ).fetchone()
            ):
                # Closed before events were kept: keep that close in the timeline.
                self._event(db, incident, incident.closed_at, EventKind.CLOSED, incident.close_note)
            self._event(db, incident, now, EventKind.REOPENED, note)
            row = db.execute("SELECT * FROM incidents WHERE id = ?", (incident.id,)).fetchone()
        return _incident(row)

    def add_note(self, incident: Incident, text: str) -> Event:
        """Add a note to an incident's timeline (open or closed: postmortems are written later)."""
        with self._write() as db:
            return self._event(db, incident, _now(), EventKind.NOTE, text)

    @staticmethod
    def _event(
        db: sqlite3.Connection, incident: Incident, at: str, kind: EventKind, text: str | None
    ) -> Event:
        cur = db.execute(
            "INSERT INTO events (incident_id, at, kind, text) VALUES (?, ?, ?, ?)",
            (incident.id, at, kind.value, text),
        )
        return Event(int(cur.lastrowid or 0), incident.id, at, kind, text)

    def events(self, incident: Incident) -> list[Event]:
        """Return an incident's notes, closes and reopens in time order."""
        rows = self._db.execute(
            "SELECT * FROM events WHERE incident_id = ? ORDER BY at, id", (incident.id,)
        ).fetchall()
        found = [
            Event(r["id"], r["incident_id"], r["at"], EventKind(r["kind"]), r["text"]) for r in rows
        ]
        if incident.closed_at and not any(e.kind is EventKind.CLOSED for e in found):
            # Closed before events were kept (schema 3): the close is still part of the story.
            found.append(Event(0, incident.id, incident.closed_at, EventKind.CLOSED,
                               incident.close_note))  # fmt: skip
        return sorted(found, key=lambda e: (e.at, e.id))

    # attachments and deliveries

    def add_attachment(
        self, incident: Incident, record: AttachmentRecord, sink: str | None = None
    ) -> tuple[Attachment, Delivery | None]:
        """Store a diagnosis (and, for a remote sink, a pending delivery) in one transaction."""
        now = _now()
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO attachments (incident_id, attached_at, observed_at, command, target, "
                "status, key, markdown, plain, diagnosis_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    incident.id,
                    now,
                    record.observed_at,
                    record.command,
                    record.target,
                    record.status,
                    record.key,
                    record.markdown,
                    record.plain,
                    record.diagnosis_json,
                ),
            )
            attachment = Attachment(int(cur.lastrowid or 0), incident.id, now, record)
            delivery = None
            if sink is not None:
                cur = db.execute(
                    "INSERT INTO deliveries (attachment_id, sink, state, updated_at) "
                    "VALUES (?, ?, 'pending', ?)",
                    (attachment.id, sink, now),
                )
                delivery = Delivery(
                    id=int(cur.lastrowid or 0),
                    attachment_id=attachment.id,
                    sink=sink,
                    state=DeliveryState.PENDING,
                    attempts=0,
                    last_error=None,
                    remote_id=None,
                    updated_at=now,
                )
        return attachment, delivery

    def attachments(self, incident: Incident) -> list[Attachment]:
        """Return an incident's attachments in the order they were observed."""
        rows = self._db.execute(
            "SELECT * FROM attachments WHERE incident_id = ? ORDER BY observed_at, id",
            (incident.id,),
        ).fetchall()
        return [_attachment(r) for r in rows]

    def attachment(self, attachment_id: int) -> Attachment:
        """Return one attachment by id."""
        row = self._db.execute(
            "SELECT * FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()
        return _attachment(row)

    def deliveries(self, attachment_ids: list[int]) -> list[Delivery]:
        """Return the deliveries of these attachments."""
        marks = ",".join("?" * len(attachment_ids))
        rows = self._db.execute(
            f"SELECT * FROM deliveries WHERE attachment_id IN ({marks}) ORDER BY id",
            attachment_ids,
        ).fetchall()
        return [_delivery(r) for r in rows]

    def unsent(self, incident: Incident | None = None, force: bool = False) -> list[Delivery]:
        """Return the deliveries to retry: unsent, or pending so long their sender must have died;
        with `force`, also those that may have arrived."""
        cutoff = iso(datetime.fromtimestamp(datetime.now(UTC).timestamp() - STALE_PENDING_S, UTC))
        states = "('unsent', 'may_have_arrived')" if force else "('unsent')"
        query = (
            "SELECT d.* FROM deliveries d JOIN attachments a ON a.id = d.attachment_id "
            f"WHERE (d.state IN {states} OR (d.state = 'pending' AND d.updated_at < ?))"
        )
        args: list[Any] = [cutoff]
        if incident is not None:
            query += " AND a.incident_id = ?"
            args.append(incident.id)
        rows = self._db.execute(query + " ORDER BY d.id", args).fetchall()
        return [_delivery(r) for r in rows]

    def may_have_arrived(self, incident: Incident | None = None) -> int:
        """Return how many deliveries may have arrived (not sent again without --force)."""
        query = (
            "SELECT COUNT(*) FROM deliveries d JOIN attachments a ON a.id = d.attachment_id "
            "WHERE d.state = 'may_have_arrived'"
        )
        args: list[Any] = []
        if incident is not None:
            query += " AND a.incident_id = ?"
            args.append(incident.id)
        return int(self._db.execute(query, args).fetchone()[0])

    def claim(self, delivery: Delivery) -> bool:
        """Mark a delivery as being sent now; False if another process already has it."""
        with self._write() as db:
            cur = db.execute(
                "UPDATE deliveries SET state = 'pending', updated_at = ? "
                "WHERE id = ? AND updated_at = ? AND state = ?",
                (_now(), delivery.id, delivery.updated_at, delivery.state.value),
            )
        return cur.rowcount == 1

    def mark(
        self,
        delivery: Delivery,
        state: DeliveryState,
        attempts: int,
        error: str | None = None,
        remote_id: str | None = None,
    ) -> None:
        """Record how a send ended."""
        with self._write() as db:
            db.execute(
                "UPDATE deliveries SET state = ?, attempts = attempts + ?, last_error = ?, "
                "remote_id = COALESCE(?, remote_id), updated_at = ? WHERE id = ?",
                (state.value, attempts, error, remote_id, _now(), delivery.id),
            )

    def incident_of(self, attachment: Attachment) -> Incident:
        """Return the incident an attachment belongs to."""
        row = self._db.execute(
            "SELECT * FROM incidents WHERE id = ?", (attachment.incident_id,)
        ).fetchone()
        return _incident(row)


def open_store(config: Config) -> Store:
    """Open (creating and migrating if needed) the incident log the config names."""
    return Store(default_path(config))
