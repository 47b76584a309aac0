"""Certificate paths as clients build them: any path from the leaf to a trust anchor counts.

The server's chain is only a hint: a client may reach an anchor through another issuer it knows
(a cross-sign, a root in its store, an issuer fetched from the AIA URL). The best path found is
what the facts judge; certificates the server sent that are not on it are noted, never judged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography import x509

MAX_PATHS = 16  # complete paths considered; real chains have one to three
MAX_DEPTH = 8
MAX_FETCHES = 3  # AIA look-ups per chain


@dataclass(frozen=True)
class Path:
    """One candidate path, leaf first; `anchored` when it ends at a trusted certificate."""

    certs: tuple[x509.Certificate, ...]
    anchored: bool
    fetched: tuple[x509.Certificate, ...] = ()  # certificates on it that came from AIA URLs

    def time_valid(self, now: datetime) -> bool:
        """Tell whether every certificate on the path is valid at `now`."""
        return all(c.not_valid_before_utc <= now <= c.not_valid_after_utc for c in self.certs)


def fingerprint(cert: x509.Certificate) -> bytes:
    """Return the SHA-256 fingerprint (the identity of a certificate here)."""
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256())


def issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Tell whether parent signed child; a weak algorithm falls back to the key identifiers."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    if child.issuer != parent.subject:
        return False
    try:
        child.verify_directly_issued_by(parent)
        return True
    except InvalidSignature:
        return False
    except (UnsupportedAlgorithm, ValueError, TypeError):
        # SHA-1, MD5 and friends: cryptography will not check them; the key ids still link them.
        try:
            aki = child.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
            ski = parent.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        except x509.ExtensionNotFound:
            return True  # names match and nothing says otherwise
        return aki.key_identifier in (None, ski.digest)


def self_signed(cert: x509.Certificate) -> bool:
    """Tell whether the certificate signed itself."""
    return issued_by(cert, cert)


@dataclass(frozen=True)
class Store:
    """Trusted certificates, indexed by subject for the path search."""

    certs: tuple[x509.Certificate, ...]

    @property
    def prints(self) -> frozenset[bytes]:
        """Return the fingerprints of the trusted certificates."""
        return _prints(self.certs)

    def issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """Return the trusted certificates that signed cert."""
        return [c for c in _by_subject(self.certs).get(cert.issuer, ()) if issued_by(cert, c)]


@cache
def _prints(certs: tuple[x509.Certificate, ...]) -> frozenset[bytes]:
    return frozenset(fingerprint(c) for c in certs)


@cache
def _by_subject(certs: tuple[x509.Certificate, ...]) -> dict[Any, list[x509.Certificate]]:
    out: dict[Any, list[x509.Certificate]] = {}
    for cert in certs:
        out.setdefault(cert.subject, []).append(cert)
    return out


def aia_urls(cert: x509.Certificate) -> list[str]:
    """Return the caIssuers URLs of the certificate (where its issuer can be fetched)."""
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID as AIA

    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [
        d.access_location.value
        for d in access
        if d.access_method == AIA.CA_ISSUERS
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def build_paths(
    sent: Sequence[x509.Certificate],
    store: Store,
    fetch: Callable[[str], x509.Certificate | None],
) -> list[Path]:
    """Return every path from the leaf (up to MAX_PATHS), anchored or dead-ended, best first.

    Issuers come from what the server sent, the store, and (for a dead end) the AIA URL.
    """
    pool = list(sent[1:])
    fetched: list[x509.Certificate] = []
    fetched_urls: set[str] = set()
    found: list[Path] = []

    def issuers(cert: x509.Certificate) -> list[x509.Certificate]:
        local = [c for c in [*pool, *fetched] if issued_by(cert, c)]
        if local or self_signed(cert):
            return local
        for url in aia_urls(cert):
            if url in fetched_urls or len(fetched_urls) >= MAX_FETCHES:
                continue
            fetched_urls.add(url)
            got = fetch(url)
            if got is not None and issued_by(cert, got):
                fetched.append(got)
                return [got]
        return []

    def walk(path: tuple[x509.Certificate, ...]) -> None:
        if len(found) >= MAX_PATHS:
            return
        top = path[-1]
        on = {fingerprint(c) for c in path}
        via = tuple(c for c in path if any(c is f for f in fetched))
        if fingerprint(top) in store.prints:
            found.append(Path(path, True, via))
            return
        anchors = [a for a in store.issuers_of(top) if fingerprint(a) not in on]
        for anchor in anchors:
            found.append(Path((*path, anchor), True, via))
        nexts = [c for c in issuers(top) if fingerprint(c) not in on]
        if len(path) < MAX_DEPTH:
            for cert in nexts:
                walk((*path, cert))
        if not anchors and not nexts:
            found.append(Path(path, False, tuple(c for c in path if any(c is f for f in fetched))))

    walk((sent[0],))
    return found


def best(paths: Sequence[Path], now: datetime) -> Path:
    """The path a client would settle on: anchored, then valid now, then sent-only, then short.

    With no anchored path, the one that got furthest is the one to explain.
    """

    def key(p: Path) -> tuple[bool, bool, bool, int]:
        return (
            p.anchored,
            p.time_valid(now),
            not p.fetched,
            -len(p.certs) if p.anchored else len(p.certs),
        )

    return max(paths, key=key)
