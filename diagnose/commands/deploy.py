"""diagnose deploy record | list: the runbook's version tracking, kept as evidence."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from diagnose.config import load_config
from diagnose.errors import BadInput
from diagnose.redact import Redactor
from diagnose.timeparse import iso, parse_when


def _config(config_path: Path | None) -> Any:
    return load_config(config_path)


def run_record(
    version: str | None,
    commit: str | None,
    notes: str | None,
    by: str | None,
    at: str | None,
    environment: str,
    fmt: str,
    config_path: Path | None,
) -> int:
    """Record one deployment; flags win, then the CI job's environment."""
    from diagnose.families.deploy.ci import from_env
    from diagnose.families.deploy.records import Deployment, db_path, record

    ci = from_env(os.environ)
    version = version or (ci.version if ci else None)
    commit = commit or (ci.commit if ci else None)
    if not version or not commit:
        missing = " and ".join(
            n for n, v in (("--version", version), ("--commit", commit)) if not v
        )
        raise BadInput(
            f"no {missing}: give --version v1.2.0 --commit abc1234, or run inside CI "
            "(GITHUB_SHA/GITHUB_REF_NAME, CF_PAGES_COMMIT_SHA, CI_COMMIT_SHA)"
        )
    now = datetime.now(UTC)
    when = parse_when(at, now) if at is not None else now
    config = _config(config_path)
    path = db_path(config)

    # Notes come from commit messages and CI variables: they are stored and printed masked.
    mask = Redactor(config.secret_values(()))
    saved = record(
        path,
        mask.model(
            Deployment(
                deployed_at=iso(when),
                version=version.strip(),
                commit=commit.strip(),
                deployed_by=by or (ci.deployed_by if ci else None) or os.environ.get("USER"),
                changes=notes or (ci.changes if ci else None),
                environment=environment,
                source="flags" if not ci else ci.source,
            )
        ),
    )
    if fmt == "json":
        click.echo(json.dumps(saved.to_json(), indent=2))
    else:
        click.echo(saved.runbook_text())
        click.echo(f"\nrecorded as deployment #{saved.id} in {path}")
    return 0


def run_list(limit: int, fmt: str, config_path: Path | None) -> int:
    """Print the latest deployments, newest first."""
    from diagnose.families.deploy.records import db_path, recent

    if not 1 <= limit <= 10_000:
        raise BadInput(f"bad --limit {limit}: give a whole number from 1 to 10000")
    path = db_path(_config(config_path))
    found = recent(path, limit)
    if fmt == "json":
        click.echo(json.dumps([d.to_json() for d in found], indent=2))
        return 0
    if not found:
        click.echo(f"no deployment recorded in {path}")
        return 0
    click.echo(f"{'#':>4}  {'deployed at':<24}  {'version':<16}  {'commit':<12}  by")
    for d in found:
        click.echo(
            f"{d.id:>4}  {d.deployed_at:<24}  {d.version:<16}  {d.commit[:12]:<12}  {d.deployed_by or '-'}"
        )
    return 0


_CONFIG = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="Config file ([incident] db)."
)
_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@click.group("deploy")
def command() -> None:
    """Record deployments (runbook: Version Tracking) so that diagnoses can blame or clear them."""


@command.command("record")
@click.option("--version", "version", help="The release, e.g. v1.2.0 [CI: the tag, or branch@sha].")
@click.option(
    "--commit", help="The commit deployed [CI: GITHUB_SHA, CF_PAGES_COMMIT_SHA, CI_COMMIT_SHA]."
)
@click.option("--notes", help="The changes (one per line), as in the runbook's record.")
@click.option("--by", help="Who deployed [CI: GITHUB_ACTOR; else $USER].")
@click.option(
    "--at", metavar="WHEN", help="When it was deployed [default: now] (RFC 3339, epoch, 10m)."
)
@click.option("--environment", default="production", show_default=True)
@_FORMAT
@_CONFIG
def record_cmd(
    version: str | None,
    commit: str | None,
    notes: str | None,
    by: str | None,
    at: str | None,
    environment: str,
    fmt: str,
    config_path: Path | None,
) -> None:
    """Write the runbook's version-tracking record (date, version, by, commit, changes)."""
    sys.exit(run_record(version, commit, notes, by, at, environment, fmt, config_path))


@command.command("list")
@click.option("--limit", type=int, default=20, show_default=True)
@_FORMAT
@_CONFIG
def list_cmd(limit: int, fmt: str, config_path: Path | None) -> None:
    """List the recorded deployments, newest first."""
    sys.exit(run_list(limit, fmt, config_path))
