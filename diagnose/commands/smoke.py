"""diagnose smoke: the runbook's smoke tests as a deploy gate."""

from __future__ import annotations

import sys
from typing import Any

import click

from diagnose.commands.common import common_options, given, run_family
from diagnose.families.smoke.options import SmokeOptions
from diagnose.options import help_for, resolve


@click.command("smoke")
@click.option("--url", help=help_for(SmokeOptions, "url", "Frontend base URL."))
@click.option(
    "--convex-url",
    help=help_for(SmokeOptions, "convex_url", "Convex site URL for GET /api/health."),
)
@click.option(
    "--allow-redirect",
    multiple=True,
    metavar="HOST",
    help="A host a check may be redirected to off the site (followed, recorded); repeatable.",
)
@common_options
def command(**params: Any) -> None:
    """Run the runbook's smoke tests: homepage, sign-in, Convex health."""
    from diagnose.families.smoke.plan import command_plan

    mine = given(params, "url", "convex_url", "allow_redirect")

    def build(common: Any) -> list[Any]:
        return [command_plan(resolve(SmokeOptions, common.config, mine))]

    sys.exit(run_family("smoke", params, build))
