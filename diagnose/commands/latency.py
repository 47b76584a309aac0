"""diagnose latency: is it slow, where, and since when (live sampling and logs)."""

from __future__ import annotations

import sys
from typing import Any

import click

from diagnose.commands.common import common_options, given, run_family
from diagnose.families.latency.options import LatencyOptions
from diagnose.options import help_for, resolve
from diagnose.timeparse import parse_when


@click.command("latency")
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option(
    "-n",
    "n",
    type=int,
    default=None,
    help=help_for(LatencyOptions, "n", "Measured requests per URL."),
)
@click.option(
    "--concurrency",
    type=int,
    default=None,
    help=help_for(LatencyOptions, "concurrency", "Requests in flight at once."),
)
@click.option(
    "--warmup",
    type=int,
    default=None,
    help=help_for(
        LatencyOptions,
        "warmup",
        "Warm-up requests per URL, sent first and left out of the statistics.",
    ),
)
@click.option(
    "--log",
    "logs",
    multiple=True,
    metavar="PATH",
    help="Cloudflare Logpush http_requests JSON lines, Common/Combined Log Format with a "
    "response time, or Convex JSONL (npx convex logs --jsonl); .gz or - for stdin. Repeatable.",
)
@click.option(
    "--since", metavar="WHEN", help="Only log lines from WHEN (30m, 2h, RFC 3339, epoch)."
)
@click.option("--until", metavar="WHEN", help="Only log lines up to WHEN.")
@click.option("--ca-file", type=click.Path(dir_okay=False), help="Trust this CA bundle (PEM).")
@common_options
def command(urls: tuple[str, ...], since: str | None, until: str | None, **params: Any) -> None:
    """Is it slow, where, and since when: sample URLs live and/or read logs, against the budgets."""
    from diagnose.families.latency.plan import command_plan

    mine = {"urls": urls, **given(params, "n", "concurrency", "warmup", "logs", "ca_file")}

    def build(common: Any) -> list[Any]:
        lo = parse_when(since, common.now) if since is not None else None
        hi = parse_when(until, common.now) if until is not None else None
        return [command_plan(resolve(LatencyOptions, common.config, mine), common, lo, hi)]

    sys.exit(run_family("latency", params, build))
