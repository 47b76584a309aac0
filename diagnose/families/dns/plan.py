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


def probe_options(
    name: str, opts: DnsOptions, common: Common, pinned: str | None = None
) -> dict[str, Any]:
    """The dns probe's options for one name.

    Public resolvers and the zone's nameservers are asked by default only when no resolver is
    given or configured and no address is pinned (--connect-to): on the user's own network the
    comparison is the point; with resolvers given (a lab, a test) or an address pinned, nothing
    else is asked unless said so (--public, --authoritative). With an address pinned (`pinned`
    says which) the DNS facts are advisory: reported, never ranked above or explaining what the
    pinned address showed.
    """
    resolvers = [parse_address(r, "--resolver", 53) for r in opts.resolvers]
    default = not resolvers and pinned is None
    return {
        "name": name,
        "advisory": (
            f"the TLS and HTTPS checks connected to {pinned} (--connect-to), not to what "
            "the name resolves to"
            if pinned
            else None
        ),
        "resolvers": resolvers,
        "public_resolvers": default if opts.public is None else opts.public,
        "authoritative": default if opts.authoritative is None else opts.authoritative,
        "authoritative_port": opts.authoritative_port,
        "expect_cname": expected_cname(opts, common),
        "expect_ns": [check_domain(n) for n in opts.expect_ns],
    }


def command_plan(domain: str, opts: DnsOptions, common: Common) -> Plan:
    """The dns probe for one name, and the delegation check when it may ask the zone's servers.

    The delegation is checked when the zone's own nameservers are asked (--authoritative, on by
    default on the user's network) or the assigned nameservers are named (--expect-ns).
    """
    name = check_domain(domain) if domain else ""
    options = probe_options(name, opts, common)
    delegation = options["authoritative"] or bool(opts.expect_ns)
    return Plan("dns", name, ("dns", "delegation") if delegation else ("dns",), options)
