"""The loopback guard: no test sends a packet anywhere but 127.0.0.1 or ::1, DNS included.

Every test (lab or not) runs with socket connect/sendto and name resolution patched: a
destination off loopback, or a name that is not `localhost`, is refused with an OSError (so the
code under test sees what an unreachable network looks like) *and* recorded, and the test fails
afterwards even when the code under test swallowed the error as a fact.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

LOCAL_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


class OffLoopback(OSError):
    """A test tried to reach something other than this machine."""


def _loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    # 0.0.0.0 and :: are this machine too (a bind address, or Linux's connect to self).
    return bool(
        address.is_loopback or address.is_unspecified or (mapped is not None and mapped.is_loopback)
    )


def _allowed(family: int, address: Any) -> bool:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return True  # unix sockets and socketpairs never leave the machine
    return isinstance(address, tuple) and _loopback(address[0])


@contextmanager
def loopback_only(nodeid: str) -> Iterator[list[str]]:
    """Patch the socket module for one test; yield the list of refused destinations."""
    refused: list[str] = []

    def refuse(what: str) -> OffLoopback:
        refused.append(what)
        return OffLoopback(f"{nodeid}: tests may reach 127.0.0.1 and ::1 only, not {what}")

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_sendmsg = socket.socket.sendmsg
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname
    real_gethostbyname_ex = socket.gethostbyname_ex

    def connect(self: socket.socket, address: Any) -> None:
        if not _allowed(self.family, address):
            raise refuse(f"connect {address!r}")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _allowed(self.family, address):
            raise refuse(f"connect {address!r}")
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        address = args[-1]
        if not _allowed(self.family, address):
            raise refuse(f"sendto {address!r}")
        return real_sendto(self, data, *args)

    def sendmsg(self: socket.socket, buffers: Any, *args: Any) -> int:
        if len(args) >= 3 and args[2] is not None and not _allowed(self.family, args[2]):
            raise refuse(f"sendmsg {args[2]!r}")
        return real_sendmsg(self, buffers, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback(host):
            raise refuse(f"a lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host: str) -> str:
        if not _loopback(host):
            raise refuse(f"a lookup of {host!r}")
        return real_gethostbyname(host)

    def gethostbyname_ex(host: str) -> Any:
        if not _loopback(host):
            raise refuse(f"a lookup of {host!r}")
        return real_gethostbyname_ex(host)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket.socket, "sendto", sendto)
        patch.setattr(socket.socket, "sendmsg", sendmsg)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        patch.setattr(socket, "gethostbyname", gethostbyname)
        patch.setattr(socket, "gethostbyname_ex", gethostbyname_ex)
        yield refused


def _guarded(item: pytest.Item, phase: str) -> Iterator[None]:
    """Run one phase of a test under the guard; a refused destination fails the test."""
    with loopback_only(item.nodeid) as refused:
        result = yield
    if refused:
        pytest.fail(f"left loopback during {phase}: {'; '.join(refused[:3])}", pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Fixtures run under the guard too."""
    return (yield from _guarded(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """The test body runs under the guard."""
    return (yield from _guarded(item, "the test"))
