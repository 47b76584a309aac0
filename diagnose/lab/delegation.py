"""A lab delegation on loopback: a parent zone that still delegates to the old nameservers.

Three authoritative servers share one port on 127.0.0.2-4, as real nameservers share port 53:

- 127.0.0.2, the parent (`test.`): delegates `moving.test` to ns1.old-dns.test (glue 127.0.0.3),
  the registrar's record that was never updated, and `settled.test` to the Cloudflare pair;
- 127.0.0.3, the old provider: still answers for `moving.test`, with itself as NS;
- 127.0.0.4, "Cloudflare": holds both zones, with the nameservers it assigned
  (ada.ns.cloudflare.test, bob.ns.cloudflare.test) as NS.

A resolver on 127.0.0.1 answers what a recursive resolver would (following the parent's
delegation), so `diagnose dns moving.test --resolver <it> --authoritative-port <port>
--expect-ns ada.ns.cloudflare.test --expect-ns bob.ns.cloudflare.test` sees the wrong delegation.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from diagnose.lab.dns_server import Record

CLOUDFLARE_NS = ("ada.ns.cloudflare.test", "bob.ns.cloudflare.test")
OLD_NS = ("ns1.old-dns.test",)
PARENT, OLD, CLOUDFLARE = "127.0.0.2", "127.0.0.3", "127.0.0.4"

ADDRESSES: dict[str, list[Record]] = {
    "ns.parent.test.": [("A", 3600, PARENT)],
    "ns1.old-dns.test.": [("A", 3600, OLD)],
    "ada.ns.cloudflare.test.": [("A", 3600, CLOUDFLARE)],
    "bob.ns.cloudflare.test.": [("A", 3600, CLOUDFLARE)],
}


def _ns(*hosts: str) -> list[Record]:
    return [("NS", 86400, f"{h}.") for h in hosts]


# zone apex -> its records, per server; `cuts` are the delegations a parent refers to.
SERVERS: dict[str, dict[str, Any]] = {
    PARENT: {
        "zones": {"test.": {"test.": _ns("ns.parent.test"), **ADDRESSES}},
        "cuts": {"moving.test.": OLD_NS, "settled.test.": CLOUDFLARE_NS},
    },
    OLD: {
        "zones": {
            "moving.test.": {
                "moving.test.": [*_ns(*OLD_NS), ("A", 300, "127.0.0.9")],
            }
        },
        "cuts": {},
    },
    CLOUDFLARE: {
        "zones": {
            apex: {apex: [*_ns(*CLOUDFLARE_NS), ("A", 300, "127.0.0.1")]}
            for apex in ("moving.test.", "settled.test.")
        },
        "cuts": {},
    },
}


def authoritative_answer(wire: bytes, server: Mapping[str, Any]) -> bytes | None:
    """Answer as an authoritative server: records of its zones (AA), a referral at a cut."""
    import dns.flags
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype

    try:
        query = dns.message.from_wire(wire)
    except Exception:  # noqa: BLE001 - garbage in: a real server ignores it too
        return None
    response = dns.message.make_response(query)
    question = query.question[0]
    name = question.name.to_text().lower()
    wanted = dns.rdatatype.to_text(question.rdtype)

    def add(section: list[Any], owner: str, row: Record) -> None:
        rtype, ttl, text = row
        rrset = response.find_rrset(
            section,
            dns.name.from_text(owner),
            dns.rdataclass.IN,
            dns.rdatatype.from_text(rtype),
            create=True,
        )
        rrset.update_ttl(ttl)
        rrset.add(dns.rdata.from_text("IN", dns.rdatatype.from_text(rtype), text))

    for cut, hosts in server["cuts"].items():
        if name == cut or name.endswith("." + cut):
            for host in hosts:  # a referral: not authoritative, NS in authority, glue beside
                add(response.authority, cut, ("NS", 86400, f"{host}."))
                for row in ADDRESSES.get(f"{host}.", []):
                    add(response.additional, f"{host}.", row)
            return response.to_wire()
    for apex, records in server["zones"].items():
        if name == apex or name.endswith("." + apex):
            response.flags |= dns.flags.AA
            for row in records.get(name, []):
                if row[0] == wanted:
                    add(response.answer, name, row)
            if name not in records:
                response.set_rcode(dns.rcode.NXDOMAIN)
            return response.to_wire()
    response.set_rcode(dns.rcode.REFUSED)
    return response.to_wire()


def recursive_answer(wire: bytes) -> bytes | None:
    """Answer as a recursive resolver would: follow the parent's delegations to the end."""
    import dns.flags
    import dns.message

    try:
        query = dns.message.from_wire(wire)
    except Exception:  # noqa: BLE001
        return None
    server = SERVERS[PARENT]
    for _ in range(4):
        reply = dns.message.from_wire(authoritative_answer(wire, server) or b"")
        if reply.answer or not reply.authority:
            response = dns.message.make_response(query)
            response.flags |= dns.flags.RA
            response.answer = reply.answer
            response.set_rcode(reply.rcode())
            return response.to_wire()
        glue = [str(r) for rrset in reply.additional for r in rrset]
        server = SERVERS.get(glue[0] if glue else "", SERVERS[PARENT])
    return None


@dataclass(frozen=True)
class DelegationLab:
    """The running delegation lab: the resolver to pass and the nameservers' shared port."""

    resolver: str
    port: int


def _serve_udp(sock: socket.socket, answer: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            wire, peer = sock.recvfrom(4096)
        except OSError:
            return
        reply = answer(wire)
        if reply is not None:
            sock.sendto(reply, peer)


def _bind_all(hosts: tuple[str, ...]) -> tuple[list[socket.socket], int]:
    """Bind UDP sockets on one port of every host (the port must be free on all of them)."""
    for _ in range(50):
        first = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        first.bind((hosts[0], 0))
        port = first.getsockname()[1]
        socks = [first]
        try:
            for host in hosts[1:]:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.bind((host, port))
        except OSError:
            for sock in socks:
                sock.close()
            continue
        return socks, port
    raise OSError("no UDP port free on every lab nameserver address")


@contextmanager
def serve_delegation() -> Iterator[DelegationLab]:
    """Run the parent, the old provider, Cloudflare and a resolver until the block ends."""
    stop = threading.Event()
    with ExitStack() as stack:
        socks, port = _bind_all((PARENT, OLD, CLOUDFLARE))
        resolver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        resolver.bind(("127.0.0.1", 0))
        socks.append(resolver)
        for sock in socks:
            stack.callback(sock.close)
        handlers = [
            *(
                (s, lambda w, srv=SERVERS[h]: authoritative_answer(w, srv))
                for s, h in zip(socks, (PARENT, OLD, CLOUDFLARE), strict=False)
            ),
            (resolver, recursive_answer),
        ]
        for sock, handler in handlers:
            threading.Thread(target=_serve_udp, args=(sock, handler, stop), daemon=True).start()
        try:
            yield DelegationLab(f"127.0.0.1:{resolver.getsockname()[1]}", port)
        finally:
            stop.set()
            for sock in socks:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
