"""The runbook's version-tracking record, kept in the incident log's SQLite file."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diagnose.config import Config, load_config
from diagnose.errors import BadInput
from diagnose.families.deploy.ci import from_env
from diagnose.families.deploy.given import ENVIRONMENT, Given
from diagnose.incidents.store import BUSY_TIMEOUT_MS, Store, default_path
from diagnose.redact import Redactor
from diagnose.timeparse import iso, parse_when

COMMIT_RX = re.compile(r"^[0-9a-fA-F]{4,40}$")
MAX_TEXT = 4000


@dataclass(frozen=True)
class Deployment:
    """One deployment: the runbook's Date, Version, Deployed By, Commit and Changes."""

    deployed_at: str
    version: str
    commit: str
    deployed_by: str | None = None
    changes: str | None = None
    environment: str = ENVIRONMENT
    source: str = "flags"
    recorded_at: str = ""
    id: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "id": self.id,
            "deployed_at": self.deployed_at,
            "version": self.version,
            "commit": self.commit,
            "deployed_by": self.deployed_by,
            "changes": self.changes,
            "environment": self.environment,
            "source": self.source,
            "recorded_at": self.recorded_at,
        }

    def runbook_text(self) -> str:
        """Return the record as the runbook's Version Tracking section writes it."""
        lines = [
            f"Date: {self.deployed_at}",
            f"Version: {self.version}",
            f"Deployed By: {self.deployed_by or '[unknown]'}",
            f"Commit: {self.commit}",
            "Changes:",
        ]
        changes = [c.strip() for c in (self.changes or "").splitlines() if c.strip()]
        lines.extend(f"- {c.lstrip('- ')}" for c in changes or ["(none given)"])
        return "\n".join(lines)


def from_flags(given: Given, env: Mapping[str, str], now: datetime, mask: Redactor) -> Deployment:
    """The record to store: flags win, then the CI job's variables; masked, as it is printed."""
    ci = from_env(env)
    version = given.version or (ci.version if ci else None)
    commit = given.commit or (ci.commit if ci else None)
    if not version or not commit:
        missing = " and ".join(
            n for n, v in (("--version", version), ("--commit", commit)) if not v
        )
        raise BadInput(
            f"no {missing}: give --version v1.2.0 --commit abc1234, or run inside CI "
            "(GITHUB_SHA/GITHUB_REF_NAME, CF_PAGES_COMMIT_SHA, CI_COMMIT_SHA)"
        )
    when = parse_when(given.at, now) if given.at is not None else now
    # Notes come from commit messages and CI variables: they are stored and printed masked.
    return mask.model(
        Deployment(
            deployed_at=iso(when),
            version=version.strip(),
            commit=commit.strip(),
            deployed_by=given.by or (ci.deployed_by if ci else None) or env.get("USER"),
            changes=given.notes or (ci.changes if ci else None),
            environment=given.environment,
            source="flags" if not ci else ci.source,
        )
    )


def check_fields(version: str, commit: str) -> None:
    """Raise BadInput naming the value when a version or commit is not usable."""
    if not version.strip() or len(version) > 100 or "\n" in version:
        raise BadInput(f"bad --version {version!r}: give a short tag such as v1.2.0")
    if not COMMIT_RX.match(commit):
        raise BadInput(f"bad --commit {commit!r}: give a git commit hash (4 to 40 hex digits)")


def db_path(config: Config) -> Path:
    """Return the SQLite file: the incident log's (DIAGNOSE_INCIDENT_DB, [incident] db, data dir)."""
    return default_path(config)


def _connect(path: Path) -> sqlite3.Connection:
    Store(path).close()  # creates the file and runs the migrations (the deployments table)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return db


def _row(row: sqlite3.Row) -> Deployment:
    return Deployment(
        id=int(row["id"]),
        deployed_at=row["deployed_at"],
        version=row["version"],
        commit=row["commit_sha"],
        deployed_by=row["deployed_by"],
        changes=row["changes"],
        environment=row["environment"],
        source=row["source"],
        recorded_at=row["recorded_at"],
    )


def record(path: Path, deployment: Deployment) -> Deployment:
    """Store a deployment; return it with its id and recording time."""
    check_fields(deployment.version, deployment.commit)
    recorded = iso(datetime.now(UTC))
    try:
        db = _connect(path)
        try:
            cur = db.execute(
                "INSERT INTO deployments (deployed_at, version, commit_sha, deployed_by, changes,"
                " environment, source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    deployment.deployed_at,
                    deployment.version,
                    deployment.commit,
                    deployment.deployed_by,
                    (deployment.changes or "")[:MAX_TEXT] or None,
                    deployment.environment,
                    deployment.source,
                    recorded,
                ),
            )
            new_id = int(cur.lastrowid or 0)
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise BadInput(f"deployment log {path}: {exc}") from None
    return Deployment(**{**deployment.__dict__, "id": new_id, "recorded_at": recorded})


def recent(path: Path, limit: int, until: str | None = None) -> list[Deployment]:
    """Return the latest deployments first (deployed at or before `until`, an iso() time)."""
    try:
        db = _connect(path)
        try:
            rows = db.execute(
                "SELECT * FROM deployments WHERE deployed_at <= ? "
                "ORDER BY deployed_at DESC, id DESC LIMIT ?",
                (until or "9999", limit),
            ).fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise BadInput(f"deployment log {path}: {exc}") from None
    return [_row(r) for r in rows]


def read_only_recent(path: Path, until: str, limit: int = 2) -> list[Deployment] | None:
    """Return the latest deployments without creating or migrating anything; None if no table."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT * FROM deployments WHERE deployed_at <= ? "
                "ORDER BY deployed_at DESC, id DESC LIMIT ?",
                (until, limit),
            ).fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return [_row(r) for r in rows]


def lookup_path(options: Any) -> Path:
    """Return the deployment log for a run: the command's, else env, else ./diagnose.toml's."""
    given = options.get("deploy_db") if hasattr(options, "get") else None
    if given:
        return Path(str(given))
    if env := os.environ.get("DIAGNOSE_INCIDENT_DB"):
        return Path(env).expanduser()

    try:
        config = load_config(None)
    except BadInput:
        config = Config()
    return db_path(config)


def has_records(options: Any) -> bool:
    """Return True when the deployment log holds at least one deployment (cheap, read-only)."""
    found = read_only_recent(lookup_path(options), "9999", 1)
    return bool(found)
