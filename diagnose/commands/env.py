"""diagnose env: required variables against the Convex deployment, env files and workflows."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from diagnose.commands.common import common_options
from diagnose.engine.api import gather_facts
from diagnose.errors import BadInput
from diagnose.output import finish
from diagnose.settings import make_common

if TYPE_CHECKING:
    from diagnose.families.env.check import Source

MAX_ENV_BYTES = 1024 * 1024


def _read(source: str, what: str) -> str:
    from diagnose.commands.build import read_bytes

    data = read_bytes(source, what, MAX_ENV_BYTES)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{what} {source}: not UTF-8 text (byte {exc.start})") from None


def env_sources(
    root: Path | None, convex_env: str | None, env_files: Sequence[str]
) -> list[Source]:
    """Where the present names come from: Convex's env list, the build's .env files, workflows."""
    from diagnose.families.env.check import (
        VITE_PRODUCTION_FILES,
        source_from_text,
        workflow_sources,
    )
    from diagnose.families.env.scan import Scope

    sources: list[Source] = []
    if convex_env is not None:
        label = "npx convex env list" + ("" if convex_env == "-" else f" ({convex_env})")
        sources.append(
            source_from_text(_read(convex_env, "--convex-env"), label, Scope.CONVEX, True)
        )
    files = [Path(f) for f in env_files]
    if not files and root is not None:
        # What `vite build` itself would read.
        files = [root / n for n in VITE_PRODUCTION_FILES if (root / n).is_file()]
    for path in files:
        text = _read(str(path), "--env-file")
        label = path.name if root is not None and path.parent == root else str(path)
        production = "development" not in path.name and not path.name.endswith(".test")
        sources.append(source_from_text(text, label, Scope.BUILD, production, path))
    if root is not None:
        sources.extend(workflow_sources(root))
    return sources


def file_values(sources: Sequence[Source]) -> tuple[str, ...]:
    """Return every value the sources hold (for the redactor; never for output)."""
    return tuple(e.value for s in sources for e in s.entries if e.value)


def run_env(
    project: str | None, convex_env: str | None, env_files: tuple[str, ...], params: dict[str, Any]
) -> int:
    """Gather the env facts, judge them, write the report; return the exit code."""
    from diagnose.engine.api import judge

    base = make_common(params)
    root = Path(project) if project else None
    if root is not None and not root.is_dir():
        raise BadInput(f"--project {project}: not a folder")
    sources = env_sources(root, convex_env, env_files)
    if not sources:
        raise BadInput(
            "nothing to check against: give --convex-env FILE|- (npx convex env list --prod), "
            "--env-file FILE, or --project DIR with .env files or workflows"
        )
    extra: dict[str, str] = {}
    for key in ("secret_env", "previous_secret_env"):
        name = base.config.get("webhooks", key)
        if name:
            extra[str(name)] = f"diagnose.toml webhooks.{key}"
    # Values read from files are masked in everything written, just in case.
    common = make_common(params, secret_values=file_values(sources))
    rules = common.rules()
    started = datetime.now(UTC)
    target = project or (convex_env if convex_env not in (None, "-") else "stdin")
    factset = gather_facts(
        common,
        "env",
        str(target),
        ["envvars"],
        {"project_dir": project, "sources": sources, "extra_required": extra},
    )
    return finish(judge(factset, rules, started), common)


@click.command("env")
@click.option(
    "--project", type=click.Path(), help="Project folder: convex/, src/, .env.example, workflows."
)
@click.option(
    "--convex-env",
    metavar="FILE|-",
    help="Output of 'npx convex env list --prod' (NAME=value lines, dotenv quoting).",
)
@click.option(
    "--env-file",
    "env_files",
    multiple=True,
    metavar="FILE",
    help="A .env file of the frontend build, or a list of names (repeatable).",
)
@common_options
def command(
    project: str | None, convex_env: str | None, env_files: tuple[str, ...], **params: Any
) -> None:
    """Missing, empty, placeholder or misplaced environment variables (names only, never values)."""
    sys.exit(run_env(project, convex_env, env_files, params))
