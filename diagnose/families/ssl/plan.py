"""What `diagnose ssl` runs: the name's DNS, the TLS chain as served, and HTTPS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagnose.families.dns.options import DnsOptions
from diagnose.families.dns.plan import probe_options
from diagnose.families.ssl.options import SslOptions
from diagnose.family import Plan
from diagnose.inputs import check_domain, check_pem, parse_address
from diagnose.options import resolve
from diagnose.settings import Common
from diagnose.sources import plans as live_sources

PROBES = ("dns", "tls", "https")
PINNED = ("tls", "https")  # --connect-to with no resolver named: no name resolution at all


def command_plan(domain: str, dns: DnsOptions, opts: SslOptions, common: Common) -> Plan:
    """dns + tls + https for one name; with --connect-to, dns only when a resolver is named.

    A pinned address is what curl's --connect-to and `openssl s_client -connect` mean: nothing
    resolves the name to decide where to connect. DNS then runs only when asked (--resolver,
    --public), and its findings are advisory.
    """
    name = check_domain(domain) if domain else ""
    if opts.ca_file:
        check_pem(opts.ca_file)
    pinned = [parse_address(c, "--connect-to", opts.port) for c in opts.connect_to]
    options: dict[str, Any] = {
        **probe_options(name, dns, common, pinned=_show(pinned) if pinned else None),
        "port": opts.port,
        "connect_to": pinned,
        "ca_file": opts.ca_file,
        "warn_days": opts.warn_days,
        "critical_days": opts.critical_days,
    }
    live = live_sources.ssl(common, name)  # the Cloudflare source (diagnose/sources), if set
    options.update(live.options)
    asks_dns = bool(dns.resolvers) or bool(dns.public) or bool(dns.authoritative)
    probes = PROBES if asks_dns or not pinned else PINNED
    return Plan("ssl", name, probes + live.probes, options, live.secrets)


def _show(addresses: list[tuple[str, int]]) -> str:
    return ", ".join(f"[{a}]:{p}" if ":" in a else f"{a}:{p}" for a, p in addresses)


def plan(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """DNS, TLS and HTTPS when service.domain is set."""
    domain = common.config.get("service", "domain")
    if not domain:
        return None
    dns = resolve(DnsOptions, common.config)
    return command_plan(domain, dns, resolve(SslOptions, common.config), common)
