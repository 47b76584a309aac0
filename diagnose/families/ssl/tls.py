"""The TLS side: connect to every address, take the chain as sent, validate it, classify what is wrong."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import warnings
from collections.abc import Sequence
from datetime import datetime
from functools import cache, partial
from typing import TYPE_CHECKING, Any, ClassVar

from diagnose.net.resolve import resolve, resolvers_from
from diagnose.probe import FactSink, ProbeContext, Unfinished, run_bounded

if TYPE_CHECKING:
    from cryptography import x509

CONNECT_TIMEOUT = 5.0
AIA_TIMEOUT = 2.0
LEAF_FIELDS = (
    "subject",
    "issuer",
    "sans",
    "not_before",
    "not_after",
    "key_type",
    "key_bits",
    "signature_algorithm",
    "fingerprint_sha256",
    "aia_ca_issuers",
    "ocsp",
)


class TLSProbe:
    """Handshake with each address of the name (SNI set, nothing verified), then judge the chain."""

    name: ClassVar[str] = "tls"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "tls.host",
            "tls.port",
            "tls.warn_days",
            "tls.critical_days",
            "tls.targets",
            "tls.resolve_error",
            "tls.endpoints",
            "tls.connect.attempted",
            "tls.connect.refused_count",
            "tls.connect.timeout_count",
            "tls.connect.timeout_phase",
            "tls.connect.error",
            "tls.handshake.ok_count",
            "tls.handshake.failed_count",
            "tls.handshake.alert",
            "tls.handshake.error",
            *(f"tls.leaf.{f}" for f in LEAF_FIELDS),
            "tls.leaf.days_left",
            "tls.leaf.days_until_valid",
            "tls.leaf.self_signed",
            "tls.leaf.hostname_match",
            "tls.leaf.fingerprints_distinct",
            "tls.chain",
            "tls.chain.length",
            "tls.chain.order_ok",
            "tls.chain.trusted",
            "tls.chain.incomplete",
            "tls.chain.untrusted_root",
            "tls.chain.missing_issuer",
            "tls.chain.aia_fetched",
            "tls.chain.min_rsa_bits",
            "tls.chain.weak_keys",
            "tls.chain.sha1_count",
            "tls.chain.sha1_subjects",
            "tls.chain.expired_count",
            "tls.verify.ok",
            "tls.verify.error",
            "tls.verify.trust",
        }
    )

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Connect, handshake, analyse; refused, timed-out and failed handshakes are facts."""
        host = str(ctx.options["name"]).rstrip(".").lower()
        port = int(ctx.options["port"])
        warn = int(ctx.options["warn_days"])
        sink.update(
            {
                "tls.host": host,
                "tls.port": port,
                "tls.warn_days": warn,
                "tls.critical_days": int(ctx.options["critical_days"]),
                "tls.resolve_error": None,
            }
        )
        targets = [(a, int(p)) for a, p in ctx.options.get("connect_to") or ()]
        if not targets:
            found, error = resolve(host, resolvers_from(ctx.options), ctx.remaining(4.0))
            sink.put("tls.resolve_error", error)
            targets = [(a, port) for a in found]
        sink.put("tls.targets", [_show(a, p) for a, p in targets])
        sink.put("tls.connect.attempted", len(targets))
        if not targets:
            return
        cap = CONNECT_TIMEOUT
        # Leave time to analyse and report: a silent server must become a fact, not a
        # probe cut off by the deadline. A server that trickles its handshake a byte at a time
        # never trips a per-read socket timeout, so each endpoint is bounded as a whole too.
        timeout = min(cap, ctx.remaining() * 0.6)
        done = run_bounded(
            {_show(a, p): partial(_endpoint, (a, p), host, timeout) for a, p in targets},
            timeout + 0.1,
        )
        endpoints = [
            _stalled(key, timeout) if isinstance(value, Unfinished) else value
            for key, value in done.items()
        ]
        sink.put("tls.endpoints", [_summary(e) for e in endpoints])
        _connect_facts(endpoints, sink)
        shaken = [e for e in endpoints if e.get("chain_der")]
        if not shaken:
            return
        store = trust_store(ctx.options.get("ca_file"))
        sink.put(
            "tls.verify.trust",
            "system" + (f" + {ctx.options['ca_file']}" if ctx.options.get("ca_file") else ""),
        )
        analyses = [analyse(e["chain_der"], host, store, ctx) for e in shaken]
        _chain_facts(analyses, sink)


def _show(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _stalled(address: str, timeout: float) -> dict[str, Any]:
    """What an endpoint that was still handshaking when its time was up is recorded as."""
    return {
        "address": address,
        "phase": "handshake",
        "error_kind": "timeout",
        "error": f"TLS handshake not finished after {timeout:.1f} s (the peer sends too slowly)",
    }


def _endpoint(target: tuple[str, int], host: str, timeout: float) -> dict[str, Any]:
    """Connect and handshake with one address; return what happened and the chain as sent."""
    address, port = target
    out: dict[str, Any] = {"address": _show(address, port), "phase": "connect"}
    t0 = time.monotonic()
    try:
        raw = socket.create_connection((address, port), timeout=timeout)
    except TimeoutError:
        return {
            **out,
            "error_kind": "timeout",
            "error": f"TCP connect timed out after {timeout:.1f} s",
        }
    except ConnectionRefusedError:
        return {**out, "error_kind": "refused", "error": "connection refused"}
    except OSError as exc:
        return {**out, "error_kind": "connect", "error": f"{exc.strerror or exc}"}
    out["phase"] = "handshake"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Take whatever the server sends, weak or broken: judging it is the point of the probe.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    raw.settimeout(max(0.05, timeout - (time.monotonic() - t0)))
    try:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            # Python 3.13 has SSLSocket.get_unverified_chain(); 3.10-3.12 have it on the
            # private _sslobj only. Both return the chain as sent, in the order sent.
            getter = getattr(tls, "get_unverified_chain", None) or tls._sslobj.get_unverified_chain  # type: ignore[attr-defined]
            chain = [_der(c) for c in getter() or []]
            out.update(version=tls.version(), cipher=(tls.cipher() or ("",))[0])
    except TimeoutError:
        return {
            **out,
            "error_kind": "timeout",
            "error": f"TLS handshake timed out after {timeout:.1f} s (TCP connected)",
        }
    except ssl.SSLError as exc:
        alert = exc.reason.lower() if exc.reason and "ALERT" in exc.reason else None
        return {**out, "error_kind": "handshake", "error": str(exc), "alert": alert}
    except OSError as exc:
        return {**out, "error_kind": "handshake", "error": f"{type(exc).__name__}: {exc}"}
    finally:
        raw.close()
    out.update(phase="done", error_kind=None, error=None, chain_der=chain)
    out["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)
    return out


def _der(cert: Any) -> bytes:
    if isinstance(cert, bytes):
        return cert
    return bytes(cert.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]


def _summary(e: dict[str, Any]) -> dict[str, Any]:
    keep = ("address", "phase", "error_kind", "error", "alert", "version", "cipher", "elapsed_ms")
    out = {k: e.get(k) for k in keep}
    if e.get("chain_der"):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        leaf = x509.load_der_x509_certificate(e["chain_der"][0])
        out["fingerprint_sha256"] = leaf.fingerprint(hashes.SHA256()).hex()
    return out


def _connect_facts(endpoints: Sequence[dict[str, Any]], sink: FactSink) -> None:
    kinds = [e.get("error_kind") for e in endpoints]
    timeouts = [e for e in endpoints if e.get("error_kind") == "timeout"]
    failed = [e for e in endpoints if e.get("error_kind") == "handshake"]
    sink.update(
        {
            "tls.connect.refused_count": kinds.count("refused"),
            "tls.connect.timeout_count": len(timeouts),
            "tls.connect.timeout_phase": timeouts[0]["phase"] if timeouts else None,
            "tls.connect.error": next(
                (f"{e['address']}: {e['error']}" for e in endpoints if e.get("error")), None
            ),
            "tls.handshake.ok_count": sum(1 for e in endpoints if e.get("chain_der")),
            "tls.handshake.failed_count": len(failed),
            "tls.handshake.alert": next((e["alert"] for e in failed if e.get("alert")), None),
            "tls.handshake.error": failed[0]["error"] if failed else None,
        }
    )


@cache
def trust_store(ca_file: str | None) -> tuple[x509.Certificate, ...]:
    """Return the system's trusted roots plus those in ca_file."""
    from cryptography import x509

    roots: list[x509.Certificate] = []
    paths = [ssl.get_default_verify_paths().cafile, ca_file]
    for path in filter(None, paths):
        try:
            with open(path, "rb") as fh, warnings.catch_warnings():
                # Some distribution bundles hold a root with a negative serial: still a root.
                warnings.simplefilter("ignore")
                roots += x509.load_pem_x509_certificates(fh.read())
        except (OSError, ValueError):
            continue  # no system bundle is a fact of this machine; --ca-file was checked earlier
    return tuple(roots)


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
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
        # SHA-1 and friends: cryptography will not check them; the key ids still link the pair.
        try:
            aki = child.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
            ski = parent.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        except x509.ExtensionNotFound:
            return True  # names match and nothing says otherwise
        return aki.key_identifier == ski.digest


def _self_signed(cert: x509.Certificate) -> bool:
    return _issued_by(cert, cert)


def describe(cert: x509.Certificate, now: datetime) -> dict[str, Any]:
    """Return the facts of one certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import AuthorityInformationAccessOID as AIA

    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in sans.get_values_for_type(x509.DNSName)]
        names += [str(n) for n in sans.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    aia: list[str] = []
    ocsp: list[str] = []
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        for d in access:
            if isinstance(d.access_location, x509.UniformResourceIdentifier):
                (aia if d.access_method == AIA.CA_ISSUERS else ocsp).append(d.access_location.value)
    except x509.ExtensionNotFound:
        pass
    key = cert.public_key()
    key_type = (
        "RSA"
        if isinstance(key, rsa.RSAPublicKey)
        else "EC"
        if isinstance(key, ec.EllipticCurvePublicKey)
        else type(key).__name__
    )
    sig = cert.signature_hash_algorithm
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "sans": names,
        "not_before": cert.not_valid_before_utc.isoformat().replace("+00:00", "Z"),
        "not_after": cert.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
        "days_left": round((cert.not_valid_after_utc - now).total_seconds() / 86400, 1),
        "days_until_valid": round((cert.not_valid_before_utc - now).total_seconds() / 86400, 1),
        "key_type": key_type,
        "key_bits": getattr(key, "key_size", None),
        "signature_algorithm": f"{sig.name if sig else 'none'}-{key_type}",
        "sha1": bool(sig and sig.name in ("sha1", "md5")),
        "fingerprint_sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "aia_ca_issuers": aia,
        "ocsp": ocsp,
        "self_signed": _self_signed(cert),
    }


def hostname_matches(host: str, names: Sequence[str]) -> bool:
    """RFC 6125: exact match, or a wildcard standing for exactly the leftmost label."""
    host = host.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def _fetch_aia(url: str, timeout: float) -> x509.Certificate | None:
    """Fetch an issuer certificate from an AIA caIssuers URL (http only, bounded, capped)."""
    import urllib.request

    from cryptography import x509

    if not url.startswith("http://"):
        return None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http only
            data = response.read(256 * 1024)
    except (OSError, ValueError):
        return None
    for loader in (x509.load_der_x509_certificate, x509.load_pem_x509_certificate):
        try:
            return loader(data)
        except ValueError:
            continue
    return None


def _build_path(
    sent: Sequence[x509.Certificate], store: tuple[x509.Certificate, ...], ctx: ProbeContext
) -> dict[str, Any]:
    """Walk from the leaf to a trust anchor the way a client does, noting every gap."""
    store_prints = _fingerprints(store)
    current = sent[0]
    seen: set[bytes] = set()
    out: dict[str, Any] = {"trusted": False, "untrusted_root": False, "incomplete": False}
    out.update(missing_issuer=None, aia_fetched=False)
    while True:
        fp = current.fingerprint(_sha256())
        if fp in seen:
            return out
        seen.add(fp)
        if fp in store_prints:
            out["trusted"] = True
            return out
        anchor = next((c for c in store if _issued_by(current, c)), None)
        if anchor is not None:
            out["trusted"] = True
            return out
        if _self_signed(current):
            out["untrusted_root"] = True
            return out
        nxt = next((c for c in sent if c is not current and _issued_by(current, c)), None)
        if nxt is None:
            url = next(iter(describe(current, ctx.now)["aia_ca_issuers"]), None)
            fetched = _fetch_aia(url, ctx.remaining(AIA_TIMEOUT)) if url else None
            if fetched is not None and _issued_by(current, fetched):
                out["aia_fetched"] = True
                out["incomplete"] = True
                current = fetched
                continue
            out["missing_issuer"] = current.issuer.rfc4514_string()
            # No AIA answer: a leaf sent alone is the classic missing intermediate; an
            # intermediate whose issuer nobody knows is a private (untrusted) root.
            if current is sent[0]:
                out["incomplete"] = True
            else:
                out["untrusted_root"] = True
            return out
        current = nxt


@cache
def _fingerprints(store: tuple[x509.Certificate, ...]) -> frozenset[bytes]:
    """The SHA-256 prints of a trust store, once per store (not once per chain checked)."""
    return frozenset(c.fingerprint(_sha256()) for c in store)


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _verify(
    sent: Sequence[x509.Certificate], host: str, store: Sequence[x509.Certificate], now: datetime
) -> str | None:
    """Validate the path with cryptography.x509.verification; return the error, None when valid."""
    from cryptography.x509 import verification as v

    if not store:
        return "no trusted roots (no system bundle and no --ca-file)"
    try:
        subject: v.Subject = v.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = v.DNSName(host)
    verifier = (
        v.PolicyBuilder().store(v.Store(list(store))).time(now).build_server_verifier(subject)
    )
    try:
        verifier.verify(sent[0], list(sent[1:]))
    except v.VerificationError as exc:
        return str(exc)
    except ValueError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def analyse(
    chain_der: Sequence[bytes], host: str, store: tuple[x509.Certificate, ...], ctx: ProbeContext
) -> dict[str, Any]:
    """Describe and judge-free classify one address's chain."""
    from cryptography import x509

    sent = [x509.load_der_x509_certificate(d) for d in chain_der]
    certs = [describe(c, ctx.now) for c in sent]
    path = _build_path(sent, store, ctx)
    order_ok = all(_issued_by(sent[i], sent[i + 1]) for i in range(len(sent) - 1))
    # A root's signature on itself is never checked by clients, so it cannot be "weak".
    signed = [c for c in certs if not (c["self_signed"] and c is not certs[0])]
    return {
        "certs": certs,
        "leaf": certs[0],
        "hostname_match": hostname_matches(host, certs[0]["sans"]),
        "order_ok": order_ok,
        **path,
        "sha1_subjects": [c["subject"] for c in signed if c["sha1"]],
        "weak_keys": [
            f"{c['subject']} ({c['key_type']} {c['key_bits']})"
            for c in certs
            if c["key_type"] == "RSA" and (c["key_bits"] or 0) < 2048
        ],
        "min_rsa_bits": min((c["key_bits"] for c in certs if c["key_type"] == "RSA"), default=None),
        "expired_count": sum(1 for c in certs if c["days_left"] < 0),
        "verify_error": _verify(sent, host, store, ctx.now),
    }


def _chain_facts(analyses: Sequence[dict[str, Any]], sink: FactSink) -> None:
    """Aggregate per-address analyses into flat facts: the worst address decides."""
    first = analyses[0]
    leaf = first["leaf"]
    sink.update({f"tls.leaf.{f}": leaf[f] for f in LEAF_FIELDS})
    sink.update(
        {
            "tls.leaf.days_left": min(a["leaf"]["days_left"] for a in analyses),
            "tls.leaf.days_until_valid": max(a["leaf"]["days_until_valid"] for a in analyses),
            "tls.leaf.self_signed": any(a["leaf"]["self_signed"] for a in analyses),
            "tls.leaf.hostname_match": all(a["hostname_match"] for a in analyses),
            "tls.leaf.fingerprints_distinct": len(
                {a["leaf"]["fingerprint_sha256"] for a in analyses}
            ),
            "tls.chain": [
                {k: v for k, v in c.items() if k not in ("sha1",)} for c in first["certs"]
            ],
            "tls.chain.length": len(first["certs"]),
            "tls.chain.order_ok": all(a["order_ok"] for a in analyses),
            "tls.chain.trusted": all(a["trusted"] for a in analyses),
            "tls.chain.incomplete": any(a["incomplete"] for a in analyses),
            "tls.chain.untrusted_root": any(a["untrusted_root"] for a in analyses),
            "tls.chain.missing_issuer": next(
                (a["missing_issuer"] for a in analyses if a["missing_issuer"]), None
            ),
            "tls.chain.aia_fetched": any(a["aia_fetched"] for a in analyses),
            "tls.chain.min_rsa_bits": min(
                (a["min_rsa_bits"] for a in analyses if a["min_rsa_bits"]), default=None
            ),
            "tls.chain.weak_keys": sorted({k for a in analyses for k in a["weak_keys"]}),
            "tls.chain.sha1_count": max(len(a["sha1_subjects"]) for a in analyses),
            "tls.chain.sha1_subjects": sorted({s for a in analyses for s in a["sha1_subjects"]}),
            "tls.chain.expired_count": max(a["expired_count"] for a in analyses),
            "tls.verify.ok": all(a["verify_error"] is None for a in analyses),
            "tls.verify.error": next(
                (a["verify_error"] for a in analyses if a["verify_error"]), None
            ),
        }
    )
