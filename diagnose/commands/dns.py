"""diagnose dns: resolve a domain everywhere and explain what is wrong with its DNS."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from diagnose.commands.common import common_options, given, run_family
from diagnose.errors import BadInput
from diagnose.families.dns.options import DnsOptions
from diagnose.inputs import read_targets
from diagnose.options import help_for, resolve
from diagnose.settings import make_common

NETWORK_OPTIONS = [
    click.option(
        "--public/--no-public",
        default=None,
        help="Also ask 1.1.1.1, 8.8.8.8 and 9.9.9.9 [default: only when no resolver is given].",
    ),
    click.option(
        "--authoritative/--no-authoritative",
        default=None,
        help="Also ask the zone's own nameservers [default: only when no resolver is given].",
    ),
    click.option(
        "--authoritative-port",
        type=int,
        default=None,
        metavar="N",
        help=help_for(
            DnsOptions,
            "authoritative_port",
            "Port of the nameservers (a lab or a non-standard setup).",
        ),
    ),
]


# dns and ssl take the same list of names, read by inputs.read_targets for engine.batch.
TARGETS_OPTION = click.option(
    "--targets",
    metavar="FILE",
    help="Check every domain in FILE (one per line, '-' for stdin) instead of DOMAIN.",
)


def with_network_options(fn: Any) -> Any:
    """Add --public, --authoritative and --authoritative-port to a command."""
    for option in reversed(NETWORK_OPTIONS):
        fn = option(fn)
    return fn


def domain_run(
    command: str,
    domain: str | None,
    targets: str | None,
    params: dict[str, Any],
    plan_for: Callable[[Any, str], Any],
) -> int:
    """What dns and ssl share: one DOMAIN, or every domain of --targets FILE in one run."""
    from diagnose.engine.batch import run_targets

    if bool(domain) == bool(targets):
        raise BadInput("give one DOMAIN, or --targets FILE (one domain per line), not both")
    if targets is None:
        return run_family(command, params, lambda common: [plan_for(common, str(domain))])
    common = make_common(params)
    if common.attach or common.save_facts is not None:
        raise BadInput("--attach and --save-facts take one diagnosis: run without --targets")
    names = read_targets(targets)
    plan_for(common, names[0])  # bad options are refused before any target runs
    rules = common.rules()
    return run_targets(command, names, lambda name: plan_for(common, name), common, rules)


DNS_OPTIONS = ("resolvers", "expect_cname", "public", "authoritative", "authoritative_port")


@click.command("dns")
@click.argument("domain", required=False)
@click.option(
    "--resolver",
    "resolvers",
    multiple=True,
    metavar="ADDR[:PORT]",
    help="Ask this resolver (repeatable) [default: dns.resolvers, else the system's].",
)
@click.option(
    "--expect-cname",
    metavar="TARGET",
    help="The CNAME the name must point at, e.g. <project>.pages.dev [default: dns.expect_cname].",
)
@click.option(
    "--expect-ns",
    "expect_ns",
    multiple=True,
    metavar="HOST",
    help="A nameserver the zone must be delegated to, e.g. Cloudflare's (repeatable) "
    "[default: dns.nameservers].",
)
@TARGETS_OPTION
@with_network_options
@common_options
def command(domain: str | None, targets: str | None, **params: Any) -> None:
    """Resolve DOMAIN (or every domain of --targets FILE) and explain what is wrong with its DNS."""
    from diagnose.families.dns.plan import command_plan

    mine = given(params, *DNS_OPTIONS, "expect_ns")

    def plan_for(common: Any, name: str) -> Any:
        return command_plan(name, resolve(DnsOptions, common.config, mine), common)

    sys.exit(domain_run("dns", domain, targets, params, plan_for))
