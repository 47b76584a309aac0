"""The delegation: the parent zone's NS set against the zone's own, and the ones Cloudflare assigned.

The most common reason a custom domain stays "pending" after a move to Cloudflare is the
registrar still listing the old nameservers: the parent zone (what the registrar publishes)
delegates to servers that are not the ones the zone, or Cloudflare, names.
"""

from __future__ import annotations

from typing import Any, ClassVar

from diagnose.net.resolve import Resolver, query, resolvers_from
from diagnose.probe import FactSink, ProbeContext

QUERY_TIMEOUT = 2.0
FIELDS = (
    "checked",
    "apex",
    "parent",
    "parent_servers",
    "parent_ns",
    "zone_ns",
    "assigned_ns",
    "assigned_zone_ns",
    "parent_matches_zone",
    "parent_matches_assigned",
    "error",
)


def _names(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({str(r["value"]).rstrip(".").lower() for r in rows})


def referral(server: Resolver, zone: str, timeout: float) -> tuple[list[str], dict[str, str]]:
    """Ask a parent server for the zone's NS, without recursion; return the NS set and glue."""
    import dns.exception
    import dns.flags
    import dns.message
    import dns.query
    import dns.rdatatype

    msg = dns.message.make_query(zone, "NS")
    msg.flags &= ~dns.flags.RD
    try:
        response, _ = dns.query.udp_with_fallback(
            msg, server.address, timeout=timeout, port=server.port
        )
    except (OSError, dns.exception.DNSException):
        return [], {}
    hosts: set[str] = set()
    for section in (response.authority, response.answer):
        for rrset in section:
            if rrset.rdtype == dns.rdatatype.NS:
                hosts |= {str(r.target).rstrip(".").lower() for r in rrset}
    glue = {
        rrset.name.to_text().rstrip(".").lower(): str(r)
        for rrset in response.additional
        if rrset.rdtype == dns.rdatatype.A
        for r in rrset
    }
    return sorted(hosts), glue


class DelegationProbe:
    """Compare the delegation the parent publishes with the zone's own NS and the assigned ones."""

    name: ClassVar[str] = "delegation"
    provides: ClassVar[frozenset[str]] = frozenset(f"dns.delegation.{f}" for f in FIELDS)

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Find the zone cut, ask the parent's servers, then the delegated and assigned ones."""
        name = str(ctx.options["name"]).rstrip(".").lower()
        assigned = sorted(str(n).rstrip(".").lower() for n in ctx.options["expect_ns"])
        port = int(ctx.options["authoritative_port"])
        sink.update({f"dns.delegation.{f}": None for f in FIELDS})
        sink.update({"dns.delegation.checked": True, "dns.delegation.assigned_ns": assigned})
        resolvers = resolvers_from(ctx.options)
        if not resolvers:
            raise RuntimeError("no resolver: none given and none configured in /etc/resolv.conf")
        via = resolvers[0]
        timeout = min(QUERY_TIMEOUT, ctx.remaining() * 0.2)
        labels = name.split(".")
        apex = None
        for i in range(len(labels) - 1):
            zone = ".".join(labels[i:])
            if query(via, zone, "NS", timeout)["answers"]:
                apex = zone
                break
        if apex is None:
            sink.put(
                "dns.delegation.error", f"no NS record for {name} or a parent zone at {via.name}"
            )
            return
        parent = apex.split(".", 1)[1] if "." in apex else "."
        sink.update({"dns.delegation.apex": apex, "dns.delegation.parent": parent})
        parent_hosts = _names(query(via, parent, "NS", timeout)["answers"])[:4]
        servers = [
            Resolver(a["value"], port, f"parent {h}")
            for h in parent_hosts
            for a in query(via, h, "A", timeout)["answers"][:1]
        ]
        sink.put("dns.delegation.parent_servers", [s.name for s in servers])
        parent_ns: list[str] = []
        glue: dict[str, str] = {}
        for server in servers:
            parent_ns, glue = referral(server, apex, timeout)
            if parent_ns:
                break
        if not parent_ns:
            sink.put("dns.delegation.error", f"no parent server of {parent} answered for {apex}")
            return
        sink.put("dns.delegation.parent_ns", parent_ns)
        zone_ns = self._ask(parent_ns, glue, apex, via, port, timeout)
        sink.put("dns.delegation.zone_ns", zone_ns)
        sink.put("dns.delegation.parent_matches_zone", zone_ns == parent_ns if zone_ns else None)
        if assigned:
            sink.put(
                "dns.delegation.assigned_zone_ns", self._ask(assigned, {}, apex, via, port, timeout)
            )
            sink.put("dns.delegation.parent_matches_assigned", parent_ns == assigned)

    @staticmethod
    def _ask(
        hosts: list[str], glue: dict[str, str], apex: str, via: Resolver, port: int, timeout: float
    ) -> list[str]:
        """The apex's NS set as the first of `hosts` that answers gives it (its own view)."""
        for host in hosts:
            address = glue.get(host) or next(
                (a["value"] for a in query(via, host, "A", timeout)["answers"]), None
            )
            if address is None:
                continue
            got = query(Resolver(address, port, host), apex, "NS", timeout)
            if got["answers"]:
                return _names(got["answers"])
        return []
