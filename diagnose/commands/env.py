"""diagnose env: required variables against the Convex deployment, env files and workflows."""

from __future__ import annotations

import sys
from typing import Any

import click

from diagnose.commands.common import common_options, run_family
from diagnose.options import resolve


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
    from diagnose.families.env.options import EnvOptions
    from diagnose.families.env.plan import command_plan

    mine = {"project": project, "convex_env": convex_env, "env_files": env_files}

    def build(common: Any) -> list[Any]:
        return [command_plan(resolve(EnvOptions, common.config, mine), common)]

    sys.exit(run_family("env", params, build))
