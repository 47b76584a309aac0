"""The deployment log as `diagnose deploy record | list` prints it: runbook text, a table, JSON."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from diagnose.families.deploy.records import Deployment
from diagnose.redact import Redactor


def render_recorded(saved: Deployment, path: Path, fmt: str, redactor: Redactor) -> str:
    """The runbook's record and where it was stored, or its JSON form."""
    if fmt == "json":
        return redactor.json(saved.to_json(), indent=2) + "\n"
    return f"{saved.runbook_text()}\n\nrecorded as deployment #{saved.id} in {path}\n"


def render_deployments(
    found: Sequence[Deployment], path: Path, fmt: str, redactor: Redactor
) -> str:
    """The latest deployments, newest first: a table, or a JSON list."""
    if fmt == "json":
        return redactor.json([d.to_json() for d in found], indent=2) + "\n"
    if not found:
        return f"no deployment recorded in {path}\n"
    rows = [f"{'#':>4}  {'deployed at':<24}  {'version':<16}  {'commit':<12}  by"]
    rows += [
        f"{d.id:>4}  {d.deployed_at:<24}  {d.version:<16}  {d.commit[:12]:<12}  {d.deployed_by or '-'}"
        for d in found
    ]
    return "\n".join(rows) + "\n"
