"""diagnose all: every check the config enables, in one run, merged into one ranked list.

Each family that declares a `plan` contributes one (its probes and their options) built from
diagnose.toml. All probes then run concurrently under the one deadline, and every rule judges the
merged facts, so a root cause in one family absorbs its consequences in another (an expired
certificate explains the failed smoke test).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from diagnose.commands.common import common_options
from diagnose.engine.api import plans_from_config, run_plans
from diagnose.errors import BadInput
from diagnose.output import finish
from diagnose.settings import make_common
from diagnose.timeparse import parse_when


def run_all(since: str | None, until: str | None, params: dict[str, Any]) -> int:
    """Run every enabled family at once and judge the merged facts."""
    pre = make_common(params)
    window = {
        "since": parse_when(since, pre.now) if since is not None else None,
        "until": parse_when(until, pre.now) if until is not None else None,
    }
    found = plans_from_config(pre, window)
    if not found:
        raise BadInput(
            "nothing to check: diagnose.toml enables no check (run 'diagnose init' to write one)"
        )
    secrets = tuple(v for p in found for v in p.secrets)
    common = make_common(params, secret_values=secrets)
    return finish(run_plans(common, "all", found, common.rules()), common)


@click.command("all")
@click.option("--since", metavar="WHEN", help="Start of the log window (1h, RFC 3339, epoch).")
@click.option("--until", metavar="WHEN", help="End of the log window [default: now].")
@common_options
def command(since: str | None, until: str | None, **params: Any) -> None:
    """Every check diagnose.toml enables, concurrently, merged into one ranked list."""
    sys.exit(run_all(since, until, params))
