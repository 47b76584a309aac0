"""The loopback guard (tests/support/network.py) refuses what leaves the machine, and records it."""

from __future__ import annotations

import socket

import pytest

from tests.support.network import OffLoopback, loopback_only


@pytest.mark.parametrize(
    "call",
    [
        lambda: socket.getaddrinfo("example.com", 443),
        lambda: socket.gethostbyname("dashtray.com"),
        lambda: socket.create_connection(("192.0.2.1", 443), timeout=0.1),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("1.1.1.1", 53)),
        lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM).connect_ex(("2001:db8::1", 443)),
    ],
    ids=["getaddrinfo", "gethostbyname", "connect", "udp-sendto-resolver", "connect-ex-v6"],
)
def test_refused_and_recorded(call: object) -> None:
    with loopback_only("t") as refused:
        with pytest.raises(OffLoopback):
            call()  # type: ignore[operator]
    assert len(refused) == 1


def test_dnspython_to_a_public_resolver_is_refused() -> None:
    import dns.message
    import dns.query

    with loopback_only("t") as refused:
        with pytest.raises(OSError):
            dns.query.udp(dns.message.make_query("example.com", "A"), "8.8.8.8", timeout=0.2)
    assert refused and "8.8.8.8" in refused[0]


def test_loopback_passes() -> None:
    with loopback_only("t") as refused:
        assert socket.getaddrinfo("127.0.0.1", 80)
        assert socket.getaddrinfo("localhost", 80)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Nothing listens there; the point is that the guard lets the packet go.
        sock.sendto(b"x", ("127.0.0.1", 9))
        sock.close()
    assert refused == []
