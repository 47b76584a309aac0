"""What `diagnose dns` runs, from its options; ssl asks the same questions about the name."""

from __future__ import annotations

from typing import Any

from diagnose.families.dns.options import DnsOptions
from diagnose.family import Plan
from diagnose.inputs import check_domain, parse_address
from diagnose.settings import Common


def expected_cname(opts: DnsOptions, common: Common) -> str | None:
    """The CNAME the name must point at: given, else <service.pages_project>.pages.dev."""
    expect = opts.expect_cname
    if not expect and (project := common.config.get("service", "pages_project")):
        expect = f"{project}.pages.dev"
    return check_domain(expect) if expect else None


def probe_options(name: str, opts: DnsOptions, common: Common) -> dict[str, Any]:
    """The dns probe's options for one name.

    Public resolvers and the zone's nameservers are asked by default only when no resolver is
    given or configured: on the user's own network the comparison is the point; with resolvers
    given (a lab, a test) nothing else is asked unless said so.
    """
    resolvers = [parse_address(r, "--resolver", 53) for r in opts.resolvers]
    default = not resolvers
    return {
        "name": name,
        "resolvers": resolvers,
        "public_resolvers": default if opts.public is None else opts.public,
        "authoritative": default if opts.authoritative is None else opts.authoritative,
        "authoritative_port": opts.authoritative_port,
        "expect_cname": expected_cname(opts, common),
    }


def command_plan(domain: str, opts: DnsOptions, common: Common) -> Plan:
    """The dns probe for one name."""
    name = check_domain(domain) if domain else ""
    return Plan("dns", name, ("dns",), probe_options(name, opts, common))
