"""DNS lookups (dnspython) shared by the dns and ssl families: which resolvers, one query, A/AAAA."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Asked only when options["public_resolvers"] is true: by default only when no resolver is
# given (the user's own network), never in tests.
PUBLIC_RESOLVERS = ("1.1.1.1", "8.8.8.8", "9.9.9.9")


@dataclass(frozen=True)
class Resolver:
    """Where to send queries: an address and a port; `label` is how facts name it."""

    address: str
    port: int = 53
    label: str = ""

    @property
    def name(self) -> str:
        """Return the label, or ADDR:PORT."""
        if self.label:
            return self.label
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def system_resolvers() -> list[Resolver]:
    """Return the system's first configured resolver (what the OS would ask)."""
    import dns.resolver

    try:
        found = dns.resolver.Resolver().nameservers
    except dns.resolver.NoResolverConfiguration:
        return []
    return [Resolver(str(ns), 53, f"system ({ns})") for ns in found[:1]]


def resolvers_from(options: Any) -> list[Resolver]:
    """Return the resolvers a probe should ask: the given ones, else the system's."""
    given = [Resolver(a, int(p)) for a, p in options.get("resolvers") or ()]
    chosen = given or system_resolvers()
    if options.get("public_resolvers"):
        chosen += [Resolver(a, 53, f"public {a}") for a in PUBLIC_RESOLVERS]
    return chosen


def query(
    resolver: Resolver, name: str, rdtype: str, timeout: float, cd: bool = False
) -> dict[str, Any]:
    """Ask one resolver one question (UDP, TCP when truncated); every outcome is a dict."""
    import dns.exception
    import dns.flags
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    t0 = time.monotonic()
    msg = dns.message.make_query(name, rdtype)
    if cd:
        msg.flags |= dns.flags.CD
    out: dict[str, Any] = {"rcode": None, "error": None, "answers": [], "cname_chain": []}
    try:
        response, _ = dns.query.udp_with_fallback(
            msg, resolver.address, timeout=timeout, port=resolver.port
        )
    except dns.exception.Timeout:
        out["error"] = f"timeout: no answer within {timeout:.1f} s"
        out["rcode"] = "TIMEOUT"
    except (OSError, dns.exception.DNSException) as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["rcode"] = "ERROR"
    else:
        out["rcode"] = dns.rcode.to_text(response.rcode())
        wanted = dns.rdatatype.from_text(rdtype)
        for rrset in response.answer:
            for rdata in rrset:
                if rrset.rdtype == dns.rdatatype.CNAME:
                    out["cname_chain"].append(str(rdata.target).rstrip(".").lower())
                elif rrset.rdtype == wanted:
                    out["answers"].append({"value": rdata.to_text(), "ttl": rrset.ttl})
    out["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)
    return out


def resolve(
    name: str, resolvers: Sequence[Resolver], timeout: float
) -> tuple[list[str], str | None]:
    """Return the name's A/AAAA addresses from the first resolver that answers, or an error."""
    errors: list[str] = []
    for resolver in resolvers:
        per = max(0.2, timeout / max(1, len(resolvers)))
        found: list[str] = []
        outcome = ""
        for rdtype in ("A", "AAAA"):
            got = query(resolver, name, rdtype, per)
            if got["rcode"] != "NOERROR":
                outcome = got["error"] or got["rcode"]
                break
            found += [a["value"] for a in got["answers"]]
        if found:
            return found, None
        if outcome == "NXDOMAIN":
            return [], f"{name}: NXDOMAIN from {resolver.name}"
        errors.append(f"{resolver.name}: {outcome or 'no A/AAAA record'}")
    return [], f"{name} does not resolve ({'; '.join(errors) or 'no resolver'})"
