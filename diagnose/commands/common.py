"""The options every diagnosing command shares (design.md, command line contract)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from diagnose.options import help_for
from diagnose.runoptions import COLOR, FORMAT, RunOptions

F = TypeVar("F", bound=Callable[..., Any])


def common_options(fn: F) -> F:
    """Add the options every diagnosing command shares (design.md, command line contract)."""
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["text", "json", "markdown", "html"]),
            help=f"Output format [default: {FORMAT}].",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False),
            help="Write the report to FILE instead of stdout.",
        ),
        click.option(
            "--brief",
            is_flag=True,
            help="Print only the first screen: the answer and one line per finding.",
        ),
        click.option(
            "--color",
            type=click.Choice(["auto", "always", "never"]),
            help="Colour text output (auto: on a terminal; NO_COLOR, FORCE_COLOR apply) "
            f"[default: {COLOR}].",
        ),
        click.option(
            "--junit",
            type=click.Path(dir_okay=False),
            help="Also write a JUnit XML report to FILE (one failure per root cause).",
        ),
        click.option(
            "--timeout",
            type=float,
            default=None,
            help=help_for(RunOptions, "timeout", "One deadline for the whole run, in seconds."),
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path),
            help="Config file [default: ./diagnose.toml if present].",
        ),
        click.option(
            "--rules",
            "rules_dirs",
            multiple=True,
            type=click.Path(),
            help="Also load the rules in DIR (repeatable).",
        ),
        click.option(
            "--save-facts",
            type=click.Path(dir_okay=False),
            help="Write the gathered facts to FILE for 'diagnose replay'.",
        ),
        click.option("--attach", metavar="INCIDENT", help="Attach the diagnosis to an incident."),
        click.option(
            "-v", "--verbose", is_flag=True, help="Also show inconclusive and quiet rules."
        ),
        click.option(
            "--now", metavar="TIMESTAMP", help="Evaluate as of this instant (RFC 3339 or epoch)."
        ),
        click.option(
            "--offline", is_flag=True, default=None, help="Files only: ask no live source."
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def given(params: dict[str, Any], *names: str) -> dict[str, Any]:
    """Take a family's own options out of click's params; what remains are the common options."""
    return {name: params.pop(name) for name in names if name in params}


def run_family(command: str, params: dict[str, Any], build: Callable[..., Any]) -> int:
    """Wire one diagnosing command: common options -> the family's plans -> engine -> output.

    `build(common)` returns the plans (raising BadInput for bad input); secret values the plans
    read (an env file's values, a webhook secret) are masked in everything written.
    """
    from diagnose.engine.api import run_plans
    from diagnose.output import finish
    from diagnose.settings import make_common

    pre = make_common(params)
    plans = build(pre)
    secrets = tuple(v for p in plans for v in p.secrets)
    common = make_common(params, secret_values=secrets) if secrets else pre
    rules = common.rules()
    diagnosis = run_plans(common, command, plans, rules)
    return finish(diagnosis, common, rules)
