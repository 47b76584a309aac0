"""diagnose replay: judge saved facts again with today's rules."""

from __future__ import annotations

import sys
from typing import Any

import click

from diagnose.commands.common import common_options
from diagnose.engine.api import judge
from diagnose.inputs import load_facts
from diagnose.output import finish
from diagnose.settings import make_common


def run_replay(facts_file: str, params: dict[str, Any]) -> int:
    """Load facts, judge them, write the report; return the exit code."""
    common = make_common(params)
    factset = load_facts(facts_file)
    return finish(judge(factset, common.rules()), common)


@click.command("replay")
@click.argument("facts_file", metavar="FACTS.json")
@common_options
def command(facts_file: str, **params: Any) -> None:
    """Judge facts saved with --save-facts again, with today's rules."""
    sys.exit(run_replay(facts_file, params))
