"""diagnose demo: a whole diagnosis offline, against the lab, in seconds."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from diagnose.errors import BadInput
from diagnose.options import common_options
from diagnose.runner import finish, make_common

DEFAULT_SCENARIO = "cf-522"


def run_demo(scenario: str | None, list_: bool, params: dict[str, Any]) -> int:
    """Start the lab app, play the scenario, run the smoke diagnosis against it, stop."""
    from diagnose.lab.http_app import SCENARIOS, serve

    if list_:
        for name, text in SCENARIOS.items():
            click.echo(f"{name:16} {text}")
        return 0
    scenario = scenario or DEFAULT_SCENARIO
    if scenario not in SCENARIOS:
        raise BadInput(f"unknown scenario {scenario!r}: 'diagnose demo --list' names them")
    common = make_common({**params, "timeout": params.get("timeout") or 3.0})
    from diagnose.engine.api import gather, judge

    rules = common.rules()
    with serve(scenario) as app:
        if common.fmt == "text" and common.output is None:
            click.echo(f"lab: {scenario} ({SCENARIOS[scenario]}) at {app.url}", err=True)
        started = datetime.now(UTC)
        options = {"url": app.url, "convex_url": app.url, "request_timeout": 2.0}
        factset = gather(
            "smoke",
            app.url,
            ["smoke"],
            options,
            now=common.now,
            timeout=common.timeout,
            invocation=f"diagnose demo {scenario}",
        )
        diagnosis = judge(factset, rules, started)
    return finish(diagnosis, common)


@click.command("demo")
@click.argument("scenario", required=False)
@click.option("--list", "list_", is_flag=True, help="List the scenarios.")
@common_options
def command(scenario: str | None, list_: bool, **params: Any) -> None:
    """Start the lab on 127.0.0.1, play an incident, diagnose it, stop. Offline, in seconds."""
    sys.exit(run_demo(scenario, list_, params))
