"""diagnose smoke: the runbook's smoke tests as a deploy gate."""

from __future__ import annotations

import sys
from typing import Any

import click

from diagnose.commands.common import common_options, given, run_family


@click.command("smoke")
@click.option("--url", help="Frontend base URL [default: service.url from the config].")
@click.option(
    "--convex-url", help="Convex site URL for GET /api/health [default: service.convex_url]."
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
    from diagnose.families.smoke.options import SmokeOptions
    from diagnose.families.smoke.plan import command_plan
    from diagnose.options import resolve

    mine = given(params, "url", "convex_url", "allow_redirect")

    def build(common: Any) -> list[Any]:
        return [command_plan(resolve(SmokeOptions, common.config, mine))]

    sys.exit(run_family("smoke", params, build))
