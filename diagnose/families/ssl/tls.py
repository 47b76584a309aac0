"""The TLS side: connect to every address, take the chain as sent, validate it, classify what is wrong."""

from __future__ import annotations

import socket
import ssl
import time
import warnings
from collections.abc import Sequence
from datetime import datetime
from functools import cache, partial
from typing import TYPE_CHECKING, Any, ClassVar

from diagnose.families.ssl.paths import (
    Path,
    Store,
    aia_urls,
    best,
    build_paths,
    fingerprint,
    self_signed,
)
from diagnose.families.ssl.verifiers import OpenSSLVerdict, openssl_verdict, strict_verdict
from diagnose.net.http_check import same_site
from diagnose.net.resolve import resolve, resolvers_from
from diagnose.probe import FactSink, ProbeContext, Unfinished, run_bounded

if TYPE_CHECKING:
    from cryptography import x509

CONNECT_TIMEOUT = 5.0
MAX_ENDPOINTS = 16  # addresses of one name handshaken in one run (Cloudflare answers 2-4)
AIA_TIMEOUT = 2.0
MIN_RSA_BITS = 2048  # below this browsers and OpenSSL at security level 2 refuse RSA and DSA
WEAK_HASHES = ("sha1", "md5")
ENDPOINT_FIELDS = (
    "address",
    "phase",
    "error_kind",
    "error",
    "alert",
    "version",
    "cipher",
    "retried",
    "elapsed_ms",
)
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
            "tls.connect",
            "tls.curl",
            "tls.warn_days",
            "tls.critical_days",
            "tls.targets",
            "tls.targets_skipped",
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
            "tls.chain.expired",
            "tls.chain.unused",
            "tls.path",
            "tls.path.length",
            "tls.expiry.subject",
            "tls.expiry.not_after",
            "tls.expiry.days_left",
            "tls.expiry.days_ago",
            "tls.verify.ok",
            "tls.verify.error",
            "tls.verify.code",
            "tls.verify.trust",
            "tls.verify.strict_ok",
            "tls.verify.strict_error",
            "tls.verify.strict_only",
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
        sink.update(_reproduce(host, port, targets[0] if targets else None))
        if not targets:
            found, error = resolve(host, resolvers_from(ctx.options), ctx.remaining(4.0))
            sink.put("tls.resolve_error", error)
            targets = [(a, port) for a in found]
        # A name answering thousands of addresses must not become thousands of handshakes (and
        # threads) inside one deadline: the first MAX_ENDPOINTS are checked, the rest counted.
        sink.put("tls.targets_skipped", max(0, len(targets) - MAX_ENDPOINTS))
        targets = targets[:MAX_ENDPOINTS]
        sink.put("tls.targets", [_show(a, p) for a, p in targets])
        sink.put("tls.connect.attempted", len(targets))
        if not targets:
            return
        cap = CONNECT_TIMEOUT
        # Leave time to analyse and report: a silent server must become a fact, not a
        # probe cut off by the deadline. A server that trickles its handshake a byte at a time
        # never trips a per-read socket timeout, so each endpoint is bounded as a whole too.
        timeout = min(cap, ctx.remaining() * 0.6)
        ca_file = ctx.options.get("ca_file")
        ca = str(ca_file) if ca_file else None
        done = run_bounded(
            {_show(a, p): partial(_endpoint, (a, p), host, timeout, ca) for a, p in targets},
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
        analyses = [analyse(e["chain_der"], host, store, ctx, e["openssl"]) for e in shaken]
        _chain_facts(analyses, sink)


def _reproduce(host: str, port: int, pinned: tuple[str, int] | None) -> dict[str, str]:
    """How the commands a finding suggests reach the same server: s_client's -connect operand
    and curl's target, pinned to the --connect-to address as this run was (no DNS involved)."""
    url = f"https://{host}:{port}/"
    if pinned is None:
        return {"tls.connect": f"{host}:{port}", "tls.curl": url}
    where = _show(*pinned)
    return {"tls.connect": where, "tls.curl": f"--connect-to {host}:{port}:{where} {url}"}


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


def _endpoint(
    target: tuple[str, int], host: str, timeout: float, ca_file: str | None
) -> dict[str, Any]:
    """Connect and handshake with one address; return what happened, the chain as sent, and
    OpenSSL's verdict on it (a second, verifying handshake)."""
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
    raw.settimeout(max(0.05, timeout - (time.monotonic() - t0)))
    try:
        chain, version, cipher = _take_chain(raw, host, tls12_only=False)
    except TimeoutError:
        return {
            **out,
            "error_kind": "timeout",
            "error": f"TLS handshake timed out after {timeout:.1f} s (TCP connected)",
        }
    except ssl.SSLError as exc:
        alert = exc.reason.lower() if exc.reason and "ALERT" in exc.reason else None
        out.update(error_kind="handshake", error=str(exc), alert=alert)
        # A server that cannot sign a TLS 1.3 handshake with its key (RSA 512) may still send
        # its chain over TLS 1.2: the chain then says why clients fail.
        retry = _retry_tls12(address, port, host, timeout - (time.monotonic() - t0))
        if retry is None:
            return out
        chain, version, cipher = retry
        out.update(chain_der=chain, version=version, cipher=cipher, retried="TLS 1.2")
    except OSError as exc:
        return {**out, "error_kind": "handshake", "error": f"{type(exc).__name__}: {exc}"}
    else:
        out.update(phase="done", error_kind=None, error=None, chain_der=chain)
        out.update(version=version, cipher=cipher)
    finally:
        raw.close()
    out["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)
    left = max(0.05, timeout - (time.monotonic() - t0))
    out["openssl"] = openssl_verdict(address, port, host, ca_file, left)
    return out


def _take_chain(
    raw: socket.socket, host: str, tls12_only: bool
) -> tuple[list[bytes], str | None, str]:
    """Handshake without verifying anything; return the chain as sent, the version, the cipher."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Take whatever the server sends, weak or broken: judging it is the point of the probe.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with ctx.wrap_socket(raw, server_hostname=host) as tls:
        # Python 3.13 has SSLSocket.get_unverified_chain(); 3.10-3.12 have it on the
        # private _sslobj only. Both return the chain as sent, in the order sent.
        getter = getattr(tls, "get_unverified_chain", None) or tls._sslobj.get_unverified_chain  # type: ignore[attr-defined]
        chain = [_der(c) for c in getter() or []]
        return chain, tls.version(), (tls.cipher() or ("",))[0]


def _retry_tls12(
    address: str, port: int, host: str, timeout: float
) -> tuple[list[bytes], str | None, str] | None:
    """Try the handshake again at TLS 1.2 at most; None when that fails too."""
    if timeout <= 0.05:
        return None
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw:
            got = _take_chain(raw, host, tls12_only=True)
    except OSError:  # ssl.SSLError and timeouts included: the first failure stands
        return None
    return got if got[0] else None


def _der(cert: Any) -> bytes:
    if isinstance(cert, bytes):
        return cert
    return bytes(cert.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]


def _summary(e: dict[str, Any]) -> dict[str, Any]:
    keep = ENDPOINT_FIELDS
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


def describe(cert: x509.Certificate, now: datetime) -> dict[str, Any]:
    """Return the facts of one certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
    from cryptography.x509.oid import AuthorityInformationAccessOID as AIA

    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in sans.get_values_for_type(x509.DNSName)]
        names += [str(n) for n in sans.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    aia = aia_urls(cert)
    ocsp: list[str] = []
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        ocsp = [
            d.access_location.value
            for d in access
            if d.access_method == AIA.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    key = cert.public_key()
    key_type = (
        "RSA"
        if isinstance(key, rsa.RSAPublicKey)
        else "EC"
        if isinstance(key, ec.EllipticCurvePublicKey)
        else "DSA"
        if isinstance(key, dsa.DSAPublicKey)
        else type(key).__name__.removesuffix("PublicKey").lstrip("_")
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
        "sha1": bool(sig and sig.name in WEAK_HASHES),
        "fingerprint_sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "aia_ca_issuers": aia,
        "ocsp": ocsp,
        "self_signed": self_signed(cert),
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

    if not url.startswith("http://") or timeout <= 0.05:
        return None

    class SameSite(urllib.request.HTTPRedirectHandler):
        # The smoke rule for AIA too: a redirect may not leave the caIssuers URL's site.
        def redirect_request(
            self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
        ) -> Any:
            if not newurl.startswith("http://") or not same_site(req.full_url, newurl):
                return None  # not followed: urllib raises HTTPError, an unfetched issuer
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(SameSite)
    try:
        with opener.open(url, timeout=timeout) as response:  # http only, checked above
            data = response.read(256 * 1024)
    except (OSError, ValueError):
        return None
    for loader in (x509.load_der_x509_certificate, x509.load_pem_x509_certificate):
        try:
            return loader(data)
        except ValueError:
            continue
    return None


def _weak_key(c: dict[str, Any]) -> bool:
    return c["key_type"] in ("RSA", "DSA") and (c["key_bits"] or 0) < MIN_RSA_BITS


def _classify(path: Path, sent: Sequence[x509.Certificate]) -> dict[str, Any]:
    """Why no anchor was reached, from the path that got furthest (the issue's six cases)."""
    out: dict[str, Any] = {"trusted": path.anchored, "untrusted_root": False, "incomplete": False}
    out.update(missing_issuer=None, aia_fetched=bool(path.fetched))
    top = path.certs[-1]
    if path.anchored:
        # Trusted only through an issuer fetched from the AIA URL: browsers cope, curl does not.
        out["incomplete"] = bool(path.fetched)
        return out
    if self_signed(top):
        out["untrusted_root"] = top is not sent[0]  # a self-signed leaf is tls.self-signed
        return out
    out["missing_issuer"] = top.issuer.rfc4514_string()
    if path.fetched:
        out["untrusted_root"] = True  # the AIA chain leads to a root no store holds
    elif aia_urls(top):
        out["incomplete"] = True  # its CA publishes the issuer: a missing intermediate
    else:
        # No issuer sent, none in any store, no URL to fetch one from: a private CA, on the wire
        # the same as a missing intermediate (OpenSSL code 20 for both).
        out["untrusted_root"] = True
    return out


def analyse(
    chain_der: Sequence[bytes],
    host: str,
    store: tuple[x509.Certificate, ...],
    ctx: ProbeContext,
    openssl: OpenSSLVerdict,
) -> dict[str, Any]:
    """Describe one address's chain; judge-free facts about the path a client would build."""
    from cryptography import x509

    sent = [x509.load_der_x509_certificate(d) for d in chain_der]
    paths = build_paths(sent, Store(store), lambda url: _fetch_aia(url, ctx.remaining(AIA_TIMEOUT)))
    path = best(paths, ctx.now)
    described = {fingerprint(c): describe(c, ctx.now) for c in (*sent, *path.certs)}
    on_path = [described[fingerprint(c)] for c in path.certs]
    certs = [described[fingerprint(c)] for c in sent]
    prints = [fingerprint(c) for c in path.certs]
    # Sent order must follow the path (leaf, its issuer, ...); certificates off the path are
    # ignored by clients and so by this check.
    positions = [prints.index(p) for p in (fingerprint(c) for c in sent) if p in prints]
    # A trust anchor's signature on itself is never checked by clients, so it cannot be weak.
    signed = on_path[:-1] if path.anchored and on_path[-1]["self_signed"] else on_path
    soonest = min(on_path, key=lambda c: c["days_left"])
    unused = [
        f"{c['subject'] or c['fingerprint_sha256'][:16]} (not after {c['not_after']})"
        for p, c in zip((fingerprint(s) for s in sent), certs, strict=True)
        if p not in prints
    ]
    return {
        "certs": certs,
        "path": on_path,
        "leaf": certs[0],
        "hostname_match": hostname_matches(host, certs[0]["sans"]),
        "order_ok": positions == sorted(positions),
        **_classify(path, sent),
        "sha1_subjects": [c["subject"] for c in signed if c["sha1"]],
        "weak_keys": [
            f"{c['subject']} ({c['key_type']} {c['key_bits']})" for c in on_path if _weak_key(c)
        ],
        "min_rsa_bits": min(
            (c["key_bits"] for c in on_path if c["key_type"] in ("RSA", "DSA")), default=None
        ),
        "expired": [c for c in on_path if c["days_left"] < 0],
        "soonest": soonest,
        "unused": unused,
        "verify_error": openssl.text,
        "verify_ok": openssl.ok,
        "verify_code": openssl.code,
        "strict_error": strict_verdict(sent, host, store, ctx.now),
    }


def _chain_facts(analyses: Sequence[dict[str, Any]], sink: FactSink) -> None:
    """Aggregate per-address analyses into flat facts: the worst address decides."""
    first = analyses[0]
    leaf = first["leaf"]
    soonest = min((a["soonest"] for a in analyses), key=lambda c: c["days_left"])
    expired = [c for a in analyses for c in a["expired"]]
    strict_ok = all(a["strict_error"] is None for a in analyses)
    oks = [a["verify_ok"] for a in analyses]
    verify_ok = False if False in oks else None if None in oks else True
    verify_error = next((a["verify_error"] for a in analyses if a["verify_error"]), None)
    if verify_ok is None:
        # The verifying handshake was not made (the peer took one connection only, or too long):
        # the strict verifier's verdict stands in, so a broken chain is never reported ok.
        verify_ok = strict_ok
        strict = next((a["strict_error"] for a in analyses if a["strict_error"]), None)
        verify_error = "; ".join(filter(None, [verify_error, strict and f"pyca: {strict}"]))
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
            "tls.chain": [_public(c) for c in first["certs"]],
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
            "tls.chain.expired_count": max(len(a["expired"]) for a in analyses),
            "tls.chain.expired": sorted(
                {f"{c['subject']} (expired {c['not_after']})" for c in expired}
            ),
            "tls.chain.unused": sorted({u for a in analyses for u in a["unused"]}),
            "tls.path": [_public(c) for c in first["path"]],
            "tls.path.length": len(first["path"]),
            "tls.expiry.subject": soonest["subject"] or soonest["fingerprint_sha256"][:16],
            "tls.expiry.not_after": soonest["not_after"],
            "tls.expiry.days_left": soonest["days_left"],
            "tls.expiry.days_ago": round(-soonest["days_left"], 1),
            "tls.verify.ok": verify_ok,
            "tls.verify.error": verify_error or None,
            "tls.verify.code": next((a["verify_code"] for a in analyses if a["verify_code"]), None),
            "tls.verify.strict_ok": strict_ok,
            "tls.verify.strict_error": next(
                (a["strict_error"] for a in analyses if a["strict_error"]), None
            ),
            "tls.verify.strict_only": verify_ok is True and not strict_ok,
        }
    )


def _public(cert: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cert.items() if k != "sha1"}
