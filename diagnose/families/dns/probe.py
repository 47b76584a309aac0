"""DNS as every resolver sees it (dnspython): rcodes, addresses, CNAME chain, TTLs, CAA, DNSSEC."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from diagnose.net.resolve import Resolver, query, resolvers_from
from diagnose.probe import FactSink, ProbeContext

QUERY_TIMEOUT = 2.0
# The CAs Cloudflare issues edge certificates from (Pages custom domains need one of them).
CLOUDFLARE_CAS = ("letsencrypt.org", "pki.goog", "ssl.com")
COUNTS = ("noerror", "nxdomain", "servfail", "timeout", "error", "dnssec_bogus")


def authoritative_servers(
    name: str, via: Resolver, timeout: float, port: int = 53, limit: int = 4
) -> list[Resolver]:
    """Return the zone's nameservers (NS of the closest enclosing zone, found through `via`).

    Their answers sit beside the resolvers': what the zone says now, against what caches still
    say (propagation), and whether the delegation answers at all.
    """
    labels = name.rstrip(".").split(".")
    for i in range(len(labels) - 1):
        zone = ".".join(labels[i:])
        got = query(via, zone, "NS", timeout)
        hosts = [a["value"].rstrip(".") for a in got["answers"]]
        if hosts:
            found: list[Resolver] = []
            for host in sorted(hosts)[:limit]:
                addresses = query(via, host, "A", timeout)["answers"]
                found += [
                    Resolver(a["value"], port, f"authoritative {host}") for a in addresses[:1]
                ]
            return found
    return []


def _caa(resolver: Resolver, name: str, timeout: float) -> tuple[str | None, list[str]]:
    """Return where the relevant CAA set is (climbing to the parent, RFC 8659) and its records."""
    labels = name.rstrip(".").split(".")
    for i in range(len(labels) - 1):
        here = ".".join(labels[i:])
        got = query(resolver, here, "CAA", timeout)
        if got["rcode"] not in ("NOERROR", "NXDOMAIN"):
            return None, []
        if got["answers"]:
            return here, [a["value"] for a in got["answers"]]
    return None, []


def caa_issuers(records: Sequence[str]) -> list[str]:
    """Return the CA domains that `issue`/`issuewild` records allow (';' parameters dropped)."""
    out: list[str] = []
    for record in records:
        parts = record.split(None, 2)
        if len(parts) == 3 and parts[1].lower() in ("issue", "issuewild"):
            value = parts[2].strip('"').split(";")[0].strip().lower()
            if value:
                out.append(value)
    return out


class DNSProbe:
    """Ask every resolver about the name, concurrently, and summarise where they agree."""

    name: ClassVar[str] = "dns"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "dns.name",
            "dns.advisory",
            "dns.expect_cname",
            "dns.resolvers",
            "dns.resolver_count",
            "dns.summary",
            "dns.dig_server",
            "dns.addresses",
            "dns.address_count",
            "dns.outcomes_distinct",
            "dns.max_ttl",
            "dns.cname_chain",
            "dns.cname_target",
            "dns.cname_matches",
            "dns.caa.name",
            "dns.caa.records",
            "dns.caa.issuers",
            "dns.caa.allows_cloudflare",
            *(f"dns.{c}_count" for c in COUNTS),
        }
    )

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Query every resolver; rcodes, timeouts and SERVFAILs are facts, not errors."""
        name = str(ctx.options["name"]).rstrip(".").lower()
        expect = ctx.options.get("expect_cname")
        expect = str(expect).rstrip(".").lower() if expect else None
        # Beside a pinned address (--connect-to) DNS is context, not the measurement.
        advisory = ctx.options.get("advisory") or None
        sink.update({"dns.name": name, "dns.advisory": advisory, "dns.expect_cname": expect})
        resolvers = resolvers_from(ctx.options)
        if not resolvers:
            raise RuntimeError("no resolver: none given and none configured in /etc/resolv.conf")
        # How dig asks the resolver asked first (the one given, or the system's), so that a fix
        # command pasted from the report asks the same server: "@127.0.0.1 -p 5353".
        asked = resolvers[0]
        dig_port = f" -p {asked.port}" if asked.port != 53 else ""
        sink.put("dns.dig_server", f"@{asked.address}{dig_port}")
        cap = QUERY_TIMEOUT
        timeout = min(cap, ctx.remaining() * 0.5)
        if ctx.options.get("authoritative"):
            port = int(ctx.options["authoritative_port"])
            resolvers = [
                *resolvers,
                *authoritative_servers(name, resolvers[0], min(timeout, 1.0), port),
            ]
        with ThreadPoolExecutor(max_workers=len(resolvers)) as pool:
            rows = list(pool.map(lambda r: _ask(r, name, timeout), resolvers))
        sink.put("dns.resolvers", rows)
        sink.put("dns.resolver_count", len(rows))
        counts = dict.fromkeys(COUNTS, 0)
        for row in rows:
            kind = str(row["rcode"]).lower()
            counts[kind if kind in counts else "error"] += 1
            counts["dnssec_bogus"] += bool(row["dnssec_bogus"])
        sink.update({f"dns.{k}_count": v for k, v in counts.items()})
        answering = [r for r in rows if r["rcode"] in ("NOERROR", "NXDOMAIN")]
        sink.put(
            "dns.outcomes_distinct",
            len({(r["rcode"], tuple(sorted(r["addresses"]))) for r in answering}),
        )
        addresses = sorted({a for r in rows for a in r["addresses"]})
        sink.update({"dns.addresses": addresses, "dns.address_count": len(addresses)})
        sink.put("dns.max_ttl", max((r["ttl"] for r in rows if r["ttl"] is not None), default=None))
        sink.put("dns.summary", "; ".join(f"{r['resolver']}: {r['outcome']}" for r in rows))
        first = next((r for r in rows if r["rcode"] == "NOERROR"), None)
        chain = first["cname_chain"] if first else []
        sink.update({"dns.cname_chain": chain, "dns.cname_target": chain[-1] if chain else None})
        sink.put("dns.cname_matches", (expect in chain) if expect and first else None)
        if first is not None:
            resolver = next(r for r in resolvers if r.name == first["resolver"])
            at, records = _caa(resolver, name, timeout)
            issuers = caa_issuers(records)
            sink.update(
                {"dns.caa.name": at, "dns.caa.records": records, "dns.caa.issuers": issuers}
            )
            # No CAA at all allows every CA; a CAA set with no issue tag forbids every CA.
            allows = any(i in CLOUDFLARE_CAS for i in issuers) if records else None
            sink.put("dns.caa.allows_cloudflare", allows)


def _ask(resolver: Resolver, name: str, timeout: float) -> dict[str, Any]:
    """Ask one resolver for A and AAAA (concurrently); on SERVFAIL ask again with CD set."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, aaaa = pool.map(lambda t: query(resolver, name, t, timeout), ("A", "AAAA"))
    addresses = [x["value"] for x in a["answers"] + aaaa["answers"]]
    ttls = [x["ttl"] for x in a["answers"] + aaaa["answers"]]
    bogus = False
    if a["rcode"] == "SERVFAIL":
        # A validating resolver answers SERVFAIL for bogus DNSSEC; with Checking Disabled it
        # answers anyway. That difference is the signature of a broken DNSSEC chain.
        retry = query(resolver, name, "A", timeout, cd=True)
        bogus = retry["rcode"] in ("NOERROR", "NXDOMAIN")
    rcode = a["rcode"]
    if rcode == "NOERROR":
        outcome = ", ".join(addresses) or "no A/AAAA record"
        if a["cname_chain"]:
            outcome = f"CNAME {' -> '.join(a['cname_chain'])}; {outcome}"
        if ttls:
            outcome += f" (TTL {max(ttls)} s)"
    elif bogus:
        outcome = "SERVFAIL (answers with DNSSEC checking disabled: DNSSEC is bogus)"
    else:
        outcome = a["error"] or str(rcode)
    return {
        "resolver": resolver.name,
        "rcode": rcode,
        "addresses": addresses,
        "cname_chain": a["cname_chain"],
        "ttl": max(ttls) if ttls else None,
        "elapsed_ms": a["elapsed_ms"],
        "error": a["error"],
        "dnssec_bogus": bogus,
        "outcome": outcome,
    }
