"""diagnose deploy record | list: the runbook's version tracking, kept as evidence."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from diagnose.config import load_config
from diagnose.families.deploy.given import Given
from diagnose.output import write_text
from diagnose.redact import Redactor


def run_record(given: Given, fmt: str, config_path: Path | None) -> int:
    """Record one deployment (flags win, then the CI job's environment) and print it."""
    from diagnose.families.deploy.records import db_path, from_flags, record
    from diagnose.render.deploys import render_recorded

    config = load_config(config_path)
    mask = Redactor(config.secret_values(()))
    path = db_path(config)
    saved = record(path, from_flags(given, os.environ, datetime.now(UTC), mask))
    write_text(render_recorded(saved, path, fmt, mask), None, mask)
    return 0


def run_list(limit: int, fmt: str, config_path: Path | None) -> int:
    """Print the latest deployments, newest first."""
    from diagnose.families.deploy.records import db_path, recent
    from diagnose.render.deploys import render_deployments

    config = load_config(config_path)
    mask = Redactor(config.secret_values(()))
    path = db_path(config)
    write_text(render_deployments(recent(path, limit), path, fmt, mask), None, mask)
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
@click.option("--environment", help=f"Where it was deployed [default: {Given.environment}].")
@_FORMAT
@_CONFIG
def record_cmd(fmt: str, config_path: Path | None, **flags: str | None) -> None:
    """Write the runbook's version-tracking record (date, version, by, commit, changes)."""
    given = Given(**{k: v for k, v in flags.items() if v is not None})
    sys.exit(run_record(given, fmt, config_path))


@command.command("list")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="How many deployments to list.",
)
@_FORMAT
@_CONFIG
def list_cmd(limit: int, fmt: str, config_path: Path | None) -> None:
    """List the recorded deployments, newest first."""
    sys.exit(run_list(limit, fmt, config_path))
