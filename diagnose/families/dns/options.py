"""The dns family's options: the only place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.options import setting


@dataclass(frozen=True)
class DnsOptions:
    """Which resolvers to ask, and what the name must point at."""

    resolvers: tuple[str, ...] = setting(
        (),
        "resolvers to ask, ADDR[:PORT] [default: the system's]",
        config="dns.resolvers",
        flag="--resolver",
    )
    expect_cname: str | None = setting(
        None,
        "the CNAME the name must point at [default: <pages_project>.pages.dev]",
        config="dns.expect_cname",
        flag="--expect-cname",
    )
    public: bool | None = setting(
        None,
        "also ask 1.1.1.1, 8.8.8.8, 9.9.9.9 [default: only when no resolver is given]",
        flag="--public",
    )
    authoritative: bool | None = setting(
        None,
        "also ask the zone's own nameservers [default: only when no resolver is given]",
        flag="--authoritative",
    )
    expect_ns: tuple[str, ...] = setting(
        (),
        "the nameservers the zone must be delegated to (Cloudflare's two, from the dashboard)",
        config="dns.nameservers",
        flag="--expect-ns",
    )
    authoritative_port: int = setting(
        53, "port of the zone's nameservers", low=1, high=65535, flag="--authoritative-port"
    )
