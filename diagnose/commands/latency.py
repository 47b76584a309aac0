"""diagnose latency: is it slow, where, and since when (live sampling and logs)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from diagnose.commands.common import common_options
from diagnose.commands.smoke import check_url
from diagnose.engine.api import gather_facts
from diagnose.errors import BadInput
from diagnose.output import finish
from diagnose.settings import Common, make_common
from diagnose.timeparse import iso, parse_when

PROBES = ["latency_budget", "latency_sample", "latency_logs"]


def _bounded(value: int, option: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise BadInput(f"bad {option} {value}: give a whole number from {low} to {high}")
    return value


def run_latency(urls: tuple[str, ...], params: dict[str, Any]) -> int:
    """Sample the URLs and read the logs, judge against the budgets, write the report."""
    from diagnose.engine.api import judge
    from diagnose.families.latency.budgets import resolve
    from diagnose.families.latency.logs import read_path_check

    # The latency options are taken out; what remains are the common options.
    n = _bounded(params.pop("n"), "-n", 1, 10_000)
    concurrency = _bounded(params.pop("concurrency"), "--concurrency", 1, 64)
    warmup = _bounded(params.pop("warmup"), "--warmup", 0, 100)
    logs: tuple[str, ...] = params.pop("logs")
    since: str | None = params.pop("since")
    until: str | None = params.pop("until")
    ca_file: str | None = params.pop("ca_file")
    common: Common = make_common(params)
    for path in logs:
        if problem := read_path_check(path):
            raise BadInput(f"--log {path}: {problem}")
    if not urls and not logs and (configured := common.config.get("service", "url")):
        urls = (configured,)
    if not urls and not logs:
        raise BadInput(
            "nothing to measure: give URLs (diagnose latency https://dashtray.com), "
            "--log PATH, or set service.url in diagnose.toml"
        )
    urls = tuple(check_url(u, "URL") for u in urls)
    lo = parse_when(since, common.now) if since is not None else None
    hi = parse_when(until, common.now) if until is not None else None
    if lo and hi and lo > hi:
        raise BadInput(f"--since {since} is after --until {until}")
    configured = dict(common.config.data.get("budgets", {}))
    options = {
        "latency_urls": list(urls),
        "latency_n": n,
        "latency_concurrency": concurrency,
        "latency_warmup": warmup,
        "latency_logs": list(logs),
        "since": iso(lo) if lo else None,
        "until": iso(hi) if hi else None,
        "budgets": resolve(configured),
        "budget_source": str(common.config.path) if configured else "runbook",
        "request_timeout": common.config.get("run", "request_timeout", 10.0),
        "ca_file": ca_file or common.config.get("ssl", "ca_file"),
    }
    rules = common.rules()
    started = datetime.now(UTC)
    target = " ".join([*urls, *logs])
    factset = gather_facts(
        common,
        "latency",
        target,
        PROBES,
        options,
    )
    diagnosis = judge(factset, rules, started)
    return finish(diagnosis, common)


@click.command("latency")
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option("-n", "n", type=int, default=20, show_default=True, help="Measured requests per URL.")
@click.option(
    "--concurrency", type=int, default=4, show_default=True, help="Requests in flight at once."
)
@click.option(
    "--warmup",
    type=int,
    default=1,
    show_default=True,
    help="Warm-up requests per URL, sent first and left out of the statistics.",
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
def command(urls: tuple[str, ...], **params: Any) -> None:
    """Is it slow, where, and since when: sample URLs live and/or read logs, against the budgets."""
    sys.exit(run_latency(urls, params))
