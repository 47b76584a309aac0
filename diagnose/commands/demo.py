"""diagnose demo: a whole diagnosis offline, against the lab, in seconds."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from diagnose.commands.all import run_all
from diagnose.commands.common import common_options
from diagnose.config import Config
from diagnose.engine.api import gather_facts, judge
from diagnose.errors import BadInput
from diagnose.output import finish
from diagnose.runoptions import FORMAT
from diagnose.settings import make_common

DEFAULT_SCENARIO = "incident"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block (the lab's secret), then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def list_scenarios() -> None:
    """Print the whole-service scenarios, then the smoke-only ones."""
    from diagnose.lab.http_app import SCENARIOS as SMOKE
    from diagnose.lab.stack import SCENARIOS

    click.echo("Whole service (diagnose all against the lab):")
    for name, scenario in SCENARIOS.items():
        click.echo(f"  {name:16} {scenario.summary}")
    click.echo("Smoke tests only (diagnose smoke against the lab's HTTP app):")
    for name, text in SMOKE.items():
        if name not in SCENARIOS:
            click.echo(f"  {name:16} {text}")


def run_demo(scenario: str | None, list_: bool, params: dict[str, Any]) -> int:
    """Start the lab, play the scenario, diagnose it like `diagnose all`, stop everything."""
    from diagnose.lab.http_app import SCENARIOS as SMOKE
    from diagnose.lab.stack import SCENARIOS

    if list_:
        list_scenarios()
        return 0
    scenario = scenario or DEFAULT_SCENARIO
    if scenario in SCENARIOS:
        return _whole_service(scenario, params)
    if scenario in SMOKE:
        return _smoke_only(scenario, params)
    raise BadInput(f"unknown scenario {scenario!r}: 'diagnose demo --list' names them")


def _whole_service(scenario: str, params: dict[str, Any]) -> int:
    from diagnose.lab.stack import SCENARIOS, start

    if params.get("config_path"):
        raise BadInput("--config: the demo writes its own config for the lab")
    if params.get("attach"):
        # Before the lab starts: a bad incident is one line, not a lab's worth of output first.
        from diagnose.incidents.attach import check_target

        check_target(str(params["attach"]), Config())
    talk = (params.get("fmt") or FORMAT) == "text" and not params.get("output")
    with (
        tempfile.TemporaryDirectory(prefix="diagnose-demo-") as tmp,
        start(scenario, Path(tmp)) as lab,
    ):
        if talk:
            click.echo(f"lab: {scenario}: {SCENARIOS[scenario].summary}", err=True)
            click.echo("lab: " + ", ".join(f"{k} {v}" for k, v in lab.endpoints.items()), err=True)
        with _environment(lab.env):
            return run_all("10m", None, {**params, "config_path": lab.config})


def _smoke_only(scenario: str, params: dict[str, Any]) -> int:
    from diagnose.lab.http_app import SCENARIOS, serve

    common = make_common({**params, "timeout": params.get("timeout") or 3.0})
    rules = common.rules()
    with serve(scenario) as app:
        if common.fmt == "text" and common.output is None:
            click.echo(f"lab: {scenario} ({SCENARIOS[scenario]}) at {app.url}", err=True)
        started = datetime.now(UTC)
        options = {"url": app.url, "convex_url": app.url, "request_timeout": 2.0}
        factset = gather_facts(
            common,
            "smoke",
            app.url,
            ["smoke"],
            options,
            how=f"diagnose demo {scenario}",
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
