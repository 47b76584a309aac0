"""Lab DNS servers on 127.0.0.1 (UDP and TCP): a zone for dashtray.test, and resolvers that misbehave."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from diagnose.lab.certs import CASES, DOMAIN
from diagnose.lab.tls_server import EXTRA

Record = tuple[str, int, str]  # (rdtype, ttl, rdata text)

TTL = 300

# The healthy zone. Every TLS lab case has a name that resolves to the loopback.
ZONE: dict[str, list[Record]] = {
    **{f"{case}.{DOMAIN}.": [("A", TTL, "127.0.0.1")] for case in [*CASES, *EXTRA]},
    f"{DOMAIN}.": [
        ("A", TTL, "127.0.0.1"),
        ("NS", 3600, f"ns1.{DOMAIN}."),
        ("CAA", 3600, '0 issue "letsencrypt.org"'),
    ],
    f"ns1.{DOMAIN}.": [("A", TTL, "127.0.0.1")],
    f"www.{DOMAIN}.": [("CNAME", TTL, "dashtray.pages.dev.")],
    "dashtray.pages.dev.": [("A", TTL, "127.0.0.1")],
    f"wrong-cname.{DOMAIN}.": [("CNAME", TTL, "old-dashtray.pages.dev.")],
    "old-dashtray.pages.dev.": [("A", TTL, "127.0.0.1")],
    f"noaddr.{DOMAIN}.": [("TXT", TTL, '"v=spf1 -all"')],
    f"caa-blocked.{DOMAIN}.": [("A", TTL, "127.0.0.1"), ("CAA", 3600, '0 issue "digicert.com"')],
    f"moved.{DOMAIN}.": [("A", TTL, "127.0.0.1")],
    f"inconsistent.{DOMAIN}.": [("A", TTL, "127.0.0.1"), ("A", TTL, "127.0.0.2")],
}

# What a resolver still caching the old record answers.
STALE: dict[str, list[Record]] = {f"moved.{DOMAIN}.": [("A", 3600, "127.0.0.9")]}


class Mode(StrEnum):
    """How a lab DNS server behaves."""

    GOOD = "good"  # answers from ZONE
    STALE = "stale"  # answers from ZONE, but with STALE's old records
    SERVFAIL = "servfail"  # answers SERVFAIL to everything
    SILENT = "silent"  # never answers
    BOGUS = "bogus"  # a validating resolver on a zone with broken DNSSEC: SERVFAIL unless CD


@dataclass
class DNSServer:
    """One running lab DNS server."""

    mode: Mode
    port: int
    queries: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        """Return ADDR:PORT as --resolver takes it."""
        return f"127.0.0.1:{self.port}"


def answer(wire: bytes, mode: Mode, records: Mapping[str, list[Record]]) -> bytes | None:
    """Build the response to one query in wire format; None means stay silent."""
    import dns.flags
    import dns.message
    import dns.rcode
    import dns.rdatatype

    if mode is Mode.SILENT:
        return None
    try:
        query = dns.message.from_wire(wire)
    except Exception:  # noqa: BLE001 - garbage in: a real server ignores it too
        return None
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA
    checking_disabled = bool(query.flags & dns.flags.CD)
    if mode is Mode.SERVFAIL or (mode is Mode.BOGUS and not checking_disabled):
        response.set_rcode(dns.rcode.SERVFAIL)
        return response.to_wire()
    question = query.question[0]
    name = question.name.to_text().lower()
    wanted = dns.rdatatype.to_text(question.rdtype)
    response.flags |= dns.flags.AA
    seen: set[str] = set()
    while name in records and name not in seen:
        seen.add(name)
        rows = records[name]
        cname = [r for r in rows if r[0] == "CNAME"]
        if cname and wanted != "CNAME":
            _add(response, name, cname[0])
            name = cname[0][2].lower()
            continue
        for row in rows:
            if row[0] == wanted:
                _add(response, name, row)
        return response.to_wire()
    if not seen and not any(n.endswith("." + name) for n in records):
        response.set_rcode(dns.rcode.NXDOMAIN)
    return response.to_wire()


def _add(response: Any, name: str, row: Record) -> None:
    import dns.name
    import dns.rdata
    import dns.rdatatype

    rtype, ttl, text = row
    rrset = response.find_rrset(
        response.answer, dns.name.from_text(name), "IN", dns.rdatatype.from_text(rtype), create=True
    )
    rrset.update_ttl(ttl)
    rrset.add(dns.rdata.from_text("IN", dns.rdatatype.from_text(rtype), text))


def _records(mode: Mode) -> dict[str, list[Record]]:
    return {**ZONE, **STALE} if mode is Mode.STALE else ZONE


def _serve_udp(sock: socket.socket, server: DNSServer, stop: threading.Event) -> None:
    records = _records(server.mode)
    while not stop.is_set():
        try:
            wire, peer = sock.recvfrom(4096)
        except OSError:
            return
        server.queries.append("udp")
        reply = answer(wire, server.mode, records)
        if reply is not None:
            sock.sendto(reply, peer)


def _serve_tcp(sock: socket.socket, server: DNSServer, stop: threading.Event) -> None:
    records = _records(server.mode)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(2.0)
            try:
                (length,) = struct.unpack("!H", conn.recv(2))
                wire = conn.recv(length)
            except (OSError, struct.error):
                continue
            server.queries.append("tcp")
            reply = answer(wire, server.mode, records)
            if reply is not None:
                conn.sendall(struct.pack("!H", len(reply)) + reply)


def udp_tcp_pair() -> tuple[socket.socket, socket.socket, int]:
    """Bind a UDP and a listening TCP socket on one ephemeral port of 127.0.0.1.

    The port is free for UDP, not always for TCP (another test's connection may hold it):
    try again on another port rather than fail the lab.
    """
    for attempt in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            udp.close()
            tcp.close()
            if attempt == 49:
                raise
            continue
        tcp.listen(16)
        return udp, tcp, port
    raise AssertionError("unreachable")


@contextmanager
def serve_dns(mode: Mode | str = Mode.GOOD) -> Iterator[DNSServer]:
    """Run one lab DNS server on 127.0.0.1 (UDP and TCP, one ephemeral port) until the block ends."""
    mode = Mode(mode)
    udp, tcp, port = udp_tcp_pair()
    server = DNSServer(mode, port)
    stop = threading.Event()
    threads = [
        threading.Thread(target=_serve_udp, args=(udp, server, stop), daemon=True),
        threading.Thread(target=_serve_tcp, args=(tcp, server, stop), daemon=True),
    ]
    for t in threads:
        t.start()
    try:
        yield server
    finally:
        stop.set()
        # Closing a socket does not wake a thread blocked in recvfrom/accept on Linux; shut down.
        for s in (udp, tcp):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@contextmanager
def serve_resolvers(*modes: Mode | str) -> Iterator[dict[str, DNSServer]]:
    """Run one lab server per mode (default: all of them); return mode -> server."""
    with ExitStack() as stack:
        yield {Mode(m).value: stack.enter_context(serve_dns(m)) for m in (modes or tuple(Mode))}
