"""diagnose build: the first causal error of a failed build log, and the project's build settings."""

from __future__ import annotations

import sys
from typing import Any

import click

from diagnose.commands.common import common_options, run_family
from diagnose.options import resolve


@click.command("build")
@click.argument("log", required=False, metavar="[LOG|-]")
@click.option(
    "--project",
    type=click.Path(),
    help="Project folder: package.json engines/packageManager, .nvmrc, .github/workflows.",
)
@common_options
def command(log: str | None, project: str | None, **params: Any) -> None:
    """The first causal error of a failed build log (GitHub Actions, gh, Cloudflare Pages, raw)."""
    from diagnose.families.build.options import BuildOptions
    from diagnose.families.build.plan import command_plan

    def build(common: Any) -> list[Any]:
        opts = resolve(BuildOptions, common.config, {"log": log, "project": project})
        return [command_plan(opts, common)]

    sys.exit(run_family("build", params, build))
