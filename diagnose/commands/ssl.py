"""diagnose ssl: from a domain name to the broken link (DNS, TLS chain, HTTPS), ranked."""

from __future__ import annotations

import sys
from typing import Any

import click

from diagnose.commands.common import common_options, given
from diagnose.commands.dns import DNS_OPTIONS, TARGETS_OPTION, domain_run, with_network_options
from diagnose.families.dns.options import DnsOptions
from diagnose.families.ssl.options import SslOptions
from diagnose.options import help_for, resolve


@click.command("ssl")
@click.argument("domain", required=False)
@click.option("--port", type=int, default=None, help=help_for(SslOptions, "port", "TLS port."))
@click.option(
    "--resolver",
    "resolvers",
    multiple=True,
    metavar="ADDR[:PORT]",
    help="Resolve with this resolver (repeatable) [default: dns.resolvers, else the system's].",
)
@click.option(
    "--connect-to",
    "connect_to",
    multiple=True,
    metavar="ADDR[:PORT]",
    help="Connect here instead of the resolved addresses, SNI and Host unchanged (repeatable).",
)
@click.option(
    "--ca-file", type=click.Path(dir_okay=False), help="Also trust the roots in this PEM file."
)
@click.option(
    "--warn-days",
    type=int,
    default=None,
    help=help_for(SslOptions, "warn_days", "Warn when the certificate expires within N days."),
)
@TARGETS_OPTION
@with_network_options
@common_options
def command(domain: str | None, targets: str | None, **params: Any) -> None:
    """Check DOMAIN (or every domain of --targets FILE) end to end: DNS, TLS chain, HTTPS."""
    from diagnose.families.ssl.plan import command_plan

    dns = given(params, *DNS_OPTIONS)
    mine = given(params, "port", "connect_to", "ca_file", "warn_days")

    def plan_for(common: Any, name: str) -> Any:
        return command_plan(
            name,
            resolve(DnsOptions, common.config, dns),
            resolve(SslOptions, common.config, mine),
            common,
        )

    sys.exit(domain_run("ssl", domain, targets, params, plan_for))
