"""Lab HTTPS servers on 127.0.0.1: one port per certificate fault, plus the failures before a certificate."""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from diagnose.lab.certs import CASES, make_pki

# Faults that happen before any certificate is seen.
EXTRA: dict[str, str] = {
    "silent": "accepts TCP connections and never speaks TLS (handshake timeout)",
    "alert": "aborts every handshake with a handshake_failure alert",
    "refused": "nothing listens on the port (connection refused)",
}
_BODY = b"<!doctype html><title>Dashtray</title><div id=root>Dashtray</div>"


@dataclass
class TLSLab:
    """The running TLS lab: where each case listens and the root to trust."""

    root_file: Path
    ports: dict[str, int]
    aia_url: str
    stop: threading.Event = field(default_factory=threading.Event)

    def address(self, case: str) -> str:
        """Return 127.0.0.1:PORT of a case, as --connect-to takes it."""
        return f"127.0.0.1:{self.ports[case]}"


def _listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    return sock


def _context(chain: Path, key: Path, alert: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Weak keys and SHA-1 are the faults on purpose: let OpenSSL load and send them.
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(chain, key)
    if alert:

        def refuse(sock: Any, name: Any, context: Any) -> int:
            return ssl.ALERT_DESCRIPTION_HANDSHAKE_FAILURE

        ctx.sni_callback = refuse
    return ctx


def _talk(conn: socket.socket, ctx: ssl.SSLContext | None) -> None:
    """Serve one connection: handshake, read the request head, answer 200, close."""
    conn.settimeout(5.0)
    try:
        if ctx is None:  # the silent server: hold the connection, say nothing, until EOF
            while conn.recv(4096):
                pass
            return
        with ctx.wrap_socket(conn, server_side=True) as tls:
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = tls.recv(4096)
                if not chunk:
                    return
                data += chunk
            head = (
                f"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {len(_BODY)}\r\n"
                "connection: close\r\n\r\n"
            )
            tls.sendall(head.encode() + _BODY)
    except (OSError, ssl.SSLError):
        return  # the client gave up on a bad certificate: that is the point of the lab
    finally:
        conn.close()


def _accept_loop(sock: socket.socket, ctx: ssl.SSLContext | None, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=_talk, args=(conn, ctx), daemon=True).start()


class _AIAHandler(BaseHTTPRequestHandler):
    der: bytes = b""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep the lab quiet."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        """Serve the intermediate certificate (DER), as a CA's caIssuers URL does."""
        self.send_response(200)
        self.send_header("content-type", "application/pkix-cert")
        self.send_header("content-length", str(len(self.der)))
        self.end_headers()
        self.wfile.write(self.der)


@contextmanager
def serve_tls() -> Iterator[TLSLab]:
    """Run every TLS lab case on its own port (and the AIA server) until the block ends."""
    with ExitStack() as stack:
        stop = threading.Event()
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="diagnose-tls-")))
        aia = ThreadingHTTPServer(("127.0.0.1", 0), _AIAHandler)
        aia_url = f"http://127.0.0.1:{aia.server_address[1]}/lab-intermediate.der"
        pki = make_pki(aia_url)
        aia.RequestHandlerClass = type("AIA", (_AIAHandler,), {"der": pki.intermediate_der})
        threading.Thread(target=aia.serve_forever, daemon=True).start()
        stack.callback(aia.server_close)
        stack.callback(aia.shutdown)
        paths = pki.write(folder)
        sockets: list[tuple[socket.socket, ssl.SSLContext | None]] = []
        ports: dict[str, int] = {}
        for case in CASES:
            sock = _listen()
            ports[case] = sock.getsockname()[1]
            ctx = _context(paths[f"{case}.chain"], paths[f"{case}.key"])
            sockets.append((sock, ctx))
        # The second address of the inconsistent name serves another certificate, same port.
        other = _context(paths["inconsistent-b.chain"], paths["inconsistent-b.key"])
        sockets.append((_listen("127.0.0.2", ports["inconsistent"]), other))
        silent = _listen()
        ports["silent"] = silent.getsockname()[1]
        sockets.append((silent, None))
        alert = _listen()
        ports["alert"] = alert.getsockname()[1]
        sockets.append((alert, _context(paths["good.chain"], paths["good.key"], alert=True)))
        closed = _listen()
        ports["refused"] = closed.getsockname()[1]
        closed.close()  # a port that was just free: nothing listens there now
        for sock, served in sockets:
            threading.Thread(target=_accept_loop, args=(sock, served, stop), daemon=True).start()
        lab = TLSLab(paths["root"], ports, aia_url, stop)
        try:
            yield lab
        finally:
            stop.set()
            for sock, _ in sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()


@contextmanager
def serve_chain(chain: Path, key: Path) -> Iterator[int]:
    """Serve one certificate chain (leaf first, as nginx's ssl_certificate takes it) on an
    ephemeral port of 127.0.0.1 until the block ends; yield the port."""
    stop = threading.Event()
    sock = _listen()
    thread = threading.Thread(target=_accept_loop, args=(sock, _context(chain, key), stop))
    thread.daemon = True
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
