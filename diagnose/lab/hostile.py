"""Hostile peers on 127.0.0.1: TLS and DNS servers that misbehave on purpose, to prove diagnose survives.

HTTP peers (a byte a second, a 1 GB body, redirects without end) are `diagnose.lab.http_app`'s
`trickle`, `huge-body` and `redirect-forever` scenarios; `http_peer` starts one of them.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from diagnose.lab.certs import DOMAIN
from diagnose.lab.dns_server import ZONE, Mode, answer, udp_tcp_pair
from diagnose.lab.http_app import serve

HOST = DOMAIN  # in the lab zone, so that the DNS step of `diagnose ssl` finds it
CHAIN_MB = 10
_FAT_CERTS = CHAIN_MB  # one extension of ~1 MB per certificate: ten make the 10 MB chain


class TLSMode(StrEnum):
    """How a hostile TLS server behaves."""

    SILENT = "silent"  # accepts the TCP connection, reads the ClientHello, never answers
    HUGE_CHAIN = "huge-chain"  # a real handshake whose Certificate message is ~10 MB
    TRICKLE = "trickle"  # a TLS record header, then one byte a second, without end


class DNSMode(StrEnum):
    """How a hostile DNS server answers."""

    GARBAGE = "garbage"  # the query's id, then random bytes
    TRUNCATED = "truncated"  # a real answer cut off in the middle of its records


HTTP_SCENARIOS = ("trickle", "huge-body", "redirect-forever")


@dataclass
class Peer:
    """One running hostile server: where it listens and what it saw."""

    mode: str
    port: int
    stop: threading.Event = field(default_factory=threading.Event)
    connections: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str:
        """Return 127.0.0.1:PORT, as --connect-to and --resolver take it."""
        return f"127.0.0.1:{self.port}"


def _fat_chain(folder: Path) -> tuple[Path, Path]:
    """Write a leaf for HOST plus CHAIN_MB certificates of ~1 MB each; return (chain, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)

    def cert(cn: str, blob: bytes | None, serial: int) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
        )
        if blob is None:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False
            )
        else:
            # A private, non-critical extension: any client must accept and carry it.
            oid = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1")
            builder = builder.add_extension(x509.UnrecognizedExtension(oid, blob), critical=False)
        return builder.sign(key, hashes.SHA256())

    blob = b"\x04\x83" + (1 << 20).to_bytes(3, "big") + os.urandom(1 << 20)  # DER OCTET STRING
    certs = [cert(HOST, None, 1)] + [cert(f"fat-{i}", blob, 2 + i) for i in range(_FAT_CERTS)]
    chain, key_file = folder / "huge.chain.pem", folder / "huge.key.pem"
    chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, key_file


def _hold(conn: socket.socket, stop: threading.Event) -> None:
    """Read whatever comes and never answer, until the client or the lab gives up."""
    conn.settimeout(0.5)
    while not stop.is_set():
        try:
            if not conn.recv(4096):
                return
        except TimeoutError:
            continue
        except OSError:
            return


def _trickle(conn: socket.socket, stop: threading.Event) -> None:
    """Announce a 16 KB handshake record, then send it one byte a second: no read ever times out."""
    try:
        conn.recv(4096)  # the ClientHello
        conn.sendall(b"\x16\x03\x03\x40\x00")
        while not stop.wait(1.0):
            conn.sendall(b"\x00")
    except OSError:
        return


def _huge(conn: socket.socket, stop: threading.Event, ctx: Any) -> None:
    """Handshake with the ~10 MB chain; the client is expected to refuse it."""
    import ssl

    conn.settimeout(10.0)
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)
    except (OSError, ssl.SSLError):
        return


@contextmanager
def serve_tls(mode: TLSMode | str) -> Iterator[Peer]:
    """Run one hostile TLS server on 127.0.0.1 until the block ends."""
    mode = TLSMode(mode)
    with ExitStack() as stack:
        sock = _listen_tcp(0)
        peer = Peer(mode.value, sock.getsockname()[1])
        serve_one: Callable[[socket.socket, threading.Event], None]
        if mode is TLSMode.HUGE_CHAIN:
            import ssl

            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="diagnose-")))
            chain, key = _fat_chain(folder)
            peer.extra["chain_bytes"] = chain.stat().st_size
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(chain, key)

            def serve_one(conn: socket.socket, stop: threading.Event) -> None:
                _huge(conn, stop, ctx)

        else:
            serve_one = _hold if mode is TLSMode.SILENT else _trickle

        threading.Thread(target=_accept_loop, args=(sock, peer, serve_one), daemon=True).start()
        try:
            yield peer
        finally:
            peer.stop.set()
            _shut(sock)


def _listen_tcp(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    return sock


def _accept_loop(
    sock: socket.socket, peer: Peer, serve_one: Callable[[socket.socket, threading.Event], None]
) -> None:
    """Accept until the lab stops; serve each connection in its own daemon thread."""
    while not peer.stop.is_set():
        try:
            conn, addr = sock.accept()
        except OSError:
            return
        peer.connections.append(f"tcp {addr[0]}:{addr[1]}")
        threading.Thread(target=_closing, args=(serve_one, conn, peer.stop), daemon=True).start()


def _closing(
    fn: Callable[[socket.socket, threading.Event], None],
    conn: socket.socket,
    stop: threading.Event,
) -> None:
    try:
        fn(conn, stop)
    finally:
        conn.close()


def _shut(sock: socket.socket) -> None:
    # Closing does not wake a thread blocked in accept/recvfrom on Linux; shut it down first.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def dns_reply(wire: bytes, mode: DNSMode) -> bytes:
    """Return the hostile answer to one query (garbage keeps the id, so it passes the id check)."""
    if mode is DNSMode.GARBAGE:
        return wire[:2] + os.urandom(62)

    full = answer(wire, Mode.GOOD, ZONE) or wire
    # Cut inside the answer section: the header promises records the packet does not hold.
    return full[: max(12, len(full) - 7)]


@contextmanager
def serve_dns(mode: DNSMode | str) -> Iterator[Peer]:
    """Run one hostile DNS server (UDP and TCP on one port) on 127.0.0.1 until the block ends."""
    mode = DNSMode(mode)

    udp, tcp, port = udp_tcp_pair()
    peer = Peer(mode.value, port)

    def serve_udp() -> None:
        while not peer.stop.is_set():
            try:
                wire, addr = udp.recvfrom(4096)
                if peer.stop.is_set() or not addr:
                    return
                peer.connections.append("udp")
                udp.sendto(dns_reply(wire, mode), addr)
            except OSError:
                return

    def serve_tcp(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(2.0)
        try:
            (length,) = struct.unpack("!H", conn.recv(2))
            reply = dns_reply(conn.recv(length), mode)
            conn.sendall(struct.pack("!H", len(reply)) + reply)
        except (OSError, struct.error):
            return

    threading.Thread(target=serve_udp, daemon=True).start()
    threading.Thread(target=_accept_loop, args=(tcp, peer, serve_tcp), daemon=True).start()
    try:
        yield peer
    finally:
        peer.stop.set()
        _shut(udp)
        _shut(tcp)


def http_peer(scenario: str) -> AbstractContextManager[Any]:
    """Start one of http_app's hostile HTTP scenarios (trickle, huge-body, redirect-forever)."""
    if scenario not in HTTP_SCENARIOS:
        raise KeyError(scenario)
    return serve(scenario)
