"""diagnose dns: resolve a domain everywhere and explain what is wrong with its DNS."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import click

from diagnose.errors import BadInput
from diagnose.options import common_options
from diagnose.runner import Common, finish, invocation, make_common

_LABEL_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def check_domain(value: str) -> str:
    """Return the domain lower-cased without a trailing dot; raise BadInput when it is not one."""
    name = value.strip().rstrip(".").lower()
    if "://" in name or "/" in name:
        raise BadInput(f"bad DOMAIN {value!r}: give a host name such as dashtray.com, not a URL")
    labels = name.split(".")
    if not name or len(name) > 253 or any(not 0 < len(x) <= 63 for x in labels):
        raise BadInput(f"bad DOMAIN {value!r}: not a DNS name")
    if any(set(x) - _LABEL_OK for x in labels):
        raise BadInput(f"bad DOMAIN {value!r}: a DNS name has letters, digits and '-' only")
    return name


def parse_address(value: str, option: str, default_port: int) -> tuple[str, int]:
    """Parse ADDR[:PORT] (IPv6 as [ADDR]:PORT); raise BadInput naming the option and value."""
    text = value.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise BadInput(
            f"bad {option} {value!r}: give an IP address, e.g. 1.1.1.1 or 127.0.0.1:5353"
        ) from None
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadInput(f"bad {option} {value!r}: the port is not a number from 1 to 65535")
    return host, int(port_text)


def resolver_options(given: Sequence[str], common: Common) -> list[tuple[str, int]]:
    """Return the resolvers from --resolver, else from dns.resolvers in the config."""
    raw = list(given) or [str(r) for r in common.config.get("dns", "resolvers", [])]
    return [parse_address(r, "--resolver", 53) for r in raw]


def run_dns(
    domain: str, resolvers: Sequence[str], expect_cname: str | None, params: dict[str, Any]
) -> int:
    """Gather the DNS facts, judge them, write the report; return the exit code."""
    from diagnose.engine.api import gather, judge

    common = make_common(params)
    name = check_domain(domain)
    expect = expect_cname or common.config.get("dns", "expect_cname")
    options = {
        "name": name,
        "resolvers": resolver_options(resolvers, common),
        "expect_cname": check_domain(expect) if expect else None,
    }
    rules = common.rules()
    started = datetime.now(UTC)
    factset = gather(
        "dns",
        name,
        ["dns"],
        options,
        now=common.now,
        timeout=common.timeout,
        invocation=invocation(),
    )
    return finish(judge(factset, rules, started), common)


@click.command("dns")
@click.argument("domain")
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
@common_options
def command(
    domain: str, resolvers: tuple[str, ...], expect_cname: str | None, **params: Any
) -> None:
    """Resolve DOMAIN at every resolver and explain what is wrong with its DNS."""
    sys.exit(run_dns(domain, resolvers, expect_cname, params))
