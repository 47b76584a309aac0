"""The two verdicts on a served chain: OpenSSL's (what curl, Python and most clients say) and
pyca's strict RFC 5280 verifier (what strict clients say).

OpenSSL's verdict comes from a real handshake with verification on, as `openssl s_client
-verify_return_error -verify_hostname` gives it: the system store plus --ca-file, at the security
level of this machine's OpenSSL configuration. A chain OpenSSL accepts is not a failure; where
only the strict verifier rejects it, the defect is reported for what it is.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509.verification import Store


@dataclass(frozen=True)
class OpenSSLVerdict:
    """What OpenSSL's verifier said in a verifying handshake; ok None when it never got to say."""

    ok: bool | None
    code: int | None = None
    message: str | None = None

    @property
    def text(self) -> str | None:
        """Return the error as OpenSSL prints it, with its verify code."""
        if self.ok or self.message is None:
            return None
        return f"{self.message} (OpenSSL verify code {self.code})" if self.code else self.message


@cache
def openssl_context(ca_file: str | None) -> ssl.SSLContext:
    """Return a verifying client context like `openssl s_client -verify_return_error`'s.

    Made once per process and --ca-file. The security level is the configured one (Debian and
    most distributions: level 2), as s_client's.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # hostname checked, chain required
    capath = ssl.get_default_verify_paths().capath
    if capath and any(Path(capath).glob("*.0")):
        # The same system store, looked up by subject hash when a chain needs it: loading the
        # whole bundle file costs tens of milliseconds per context, this about one.
        ctx.load_verify_locations(capath=capath)
    else:
        ctx.load_default_certs()
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    return ctx


def openssl_verdict(
    address: str, port: int, host: str, ca_file: str | None, timeout: float
) -> OpenSSLVerdict:
    """Handshake again with verification on; return OpenSSL's verdict on the chain and name."""
    ctx = openssl_context(ca_file)
    try:
        raw = socket.create_connection((address, port), timeout=timeout)
    except OSError as exc:
        return OpenSSLVerdict(None, None, f"verifying handshake not made: {exc.strerror or exc}")
    try:
        with ctx.wrap_socket(raw, server_hostname=host):
            return OpenSSLVerdict(True)
    except ssl.SSLCertVerificationError as exc:
        return OpenSSLVerdict(False, exc.verify_code, str(exc.verify_message))
    except ssl.SSLError as exc:
        # Refused before the chain was judged (no shared protocol at this security level).
        return OpenSSLVerdict(False, None, f"handshake failed: {exc.reason or exc}")
    except OSError as exc:
        return OpenSSLVerdict(None, None, f"verifying handshake not made: {exc}")
    finally:
        raw.close()


def strict_verdict(
    sent: Sequence[x509.Certificate],
    host: str,
    store: tuple[x509.Certificate, ...],
    now: datetime,
) -> str | None:
    """Validate with cryptography.x509.verification (RFC 5280, CA/B profile); None when valid."""
    from cryptography.x509 import verification as v

    if not store:
        return "no trusted roots (no system bundle and no --ca-file)"
    try:
        subject: v.Subject = v.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = v.DNSName(host)
    try:
        verifier = (
            v.PolicyBuilder().store(_pyca_store(store)).time(now).build_server_verifier(subject)
        )
        verifier.verify(sent[0], list(sent[1:]))
    except v.VerificationError as exc:
        return _name_oids(str(exc))
    except (ValueError, TypeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _name_oids(text: str) -> str:
    """Name the extension OIDs in pyca's message: '2.5.29.19' becomes '2.5.29.19 (basicConstraints)'."""
    from cryptography.x509 import ObjectIdentifier

    def name(match: re.Match[str]) -> str:
        known = getattr(ObjectIdentifier(match.group(0)), "_name", "Unknown OID")
        return match.group(0) if known == "Unknown OID" else f"{match.group(0)} ({known})"

    return re.sub(r"\b\d+(?:\.\d+){3,}\b", name, text)


@cache
def _pyca_store(store: tuple[x509.Certificate, ...]) -> Store:
    from cryptography.x509 import verification as v

    return v.Store(list(store))
