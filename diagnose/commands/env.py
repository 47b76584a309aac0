"""diagnose env: required variables against the Convex deployment, env files and workflows."""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from diagnose.errors import BadInput
from diagnose.options import common_options
from diagnose.redact import Redactor
from diagnose.runner import Common, finish, invocation, make_common

MAX_ENV_BYTES = 1024 * 1024


@dataclass(frozen=True)
class _EnvCommon(Common):
    """Common, plus the values read from env files: masked in everything written, just in case."""

    file_values: tuple[str, ...] = ()

    def redactor(self) -> Redactor:
        """Return the usual redactor that also knows every value this run read from a file."""
        return super().redactor().with_secrets(self.file_values)


def _read(source: str, what: str) -> str:
    from diagnose.commands.build import read_bytes

    data = read_bytes(source, what, MAX_ENV_BYTES)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{what} {source}: not UTF-8 text (byte {exc.start})") from None


def run_env(
    project: str | None, convex_env: str | None, env_files: tuple[str, ...], params: dict[str, Any]
) -> int:
    """Gather the env facts, judge them, write the report; return the exit code."""
    from diagnose.engine.api import gather, judge
    from diagnose.envcheck.check import (
        VITE_PRODUCTION_FILES,
        Source,
        source_from_text,
        workflow_sources,
    )
    from diagnose.envcheck.scan import Scope

    base = make_common(params)
    root = Path(project) if project else None
    if root is not None and not root.is_dir():
        raise BadInput(f"--project {project}: not a folder")
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
    values = tuple(e.value for s in sources for e in s.entries if e.value)
    common = _EnvCommon(
        **{f.name: getattr(base, f.name) for f in fields(Common)}, file_values=values
    )
    rules = common.rules()
    started = datetime.now(UTC)
    target = project or (convex_env if convex_env not in (None, "-") else "stdin")
    factset = gather(
        "env",
        str(target),
        ["envvars"],
        {"project_dir": project, "sources": sources, "extra_required": extra},
        now=common.now,
        config=common.config,
        timeout=common.timeout,
        invocation=invocation(),
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
