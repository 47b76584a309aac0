"""A lab CA made on the fly: a good certificate chain and one broken chain per TLS fault."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

DOMAIN = "dashtray.test"

# case -> what its chain plays (the TLS lab serves one case per port).
CASES: dict[str, str] = {
    "good": "leaf + intermediate, trusted via the lab root",
    "expired": "the leaf expired 3 days ago",
    "not-yet-valid": "the leaf becomes valid in 2 days",
    "wrong-host": "the leaf covers other.dashtray.test only",
    "self-signed": "the leaf signed itself",
    "untrusted-root": "leaf + intermediate + a root nobody trusts",
    "missing-intermediate": "the leaf alone; its issuer is only reachable via AIA",
    "wrong-order": "leaf, then the intermediates top-down instead of bottom-up",
    "sha1": "the leaf is signed with SHA-1",
    "rsa1024": "the leaf has a 1024-bit RSA key",
    "expiring": "the leaf expires in 5 days",
    "inconsistent": "127.0.0.1 and 127.0.0.2 serve two different (valid) certificates",
}


@dataclass(frozen=True)
class Chain:
    """A served chain: the PEM the server loads (leaf first) and the leaf's key."""

    chain_pem: bytes
    key_pem: bytes


@dataclass(frozen=True)
class LabPKI:
    """The lab root (trusted with --ca-file), the intermediate (served over AIA) and the chains."""

    root_pem: bytes
    intermediate_der: bytes
    chains: dict[str, Chain]

    def write(self, folder: Path) -> dict[str, Path]:
        """Write root.pem plus <case>.chain.pem / <case>.key.pem; return name -> path."""
        paths = {"root": folder / "root.pem"}
        paths["root"].write_bytes(self.root_pem)
        for case, chain in self.chains.items():
            paths[f"{case}.chain"] = folder / f"{case}.chain.pem"
            paths[f"{case}.key"] = folder / f"{case}.key.pem"
            paths[f"{case}.chain"].write_bytes(chain.chain_pem)
            paths[f"{case}.key"].write_bytes(chain.key_pem)
        return paths


def _key(bits: int = 2048) -> RSAPrivateKey:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(cn: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Dashtray Lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _cert(
    subject: str,
    key: RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: RSAPrivateKey,
    *,
    ca: bool,
    now: dt.datetime,
    not_before: dt.timedelta = dt.timedelta(days=-30),
    not_after: dt.timedelta = dt.timedelta(days=90),
    sans: Sequence[str] = (),
    sha1: bool = False,
    aia_url: str | None = None,
) -> x509.Certificate:
    """Build one certificate with the extensions a strict (CA/B Forum) verifier expects."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

    issuer_name = issuer.subject if issuer is not None else _name(subject)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + not_before)
        .not_valid_after(now + not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=not ca,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if aia_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(aia_url),
                    )
                ]
            ),
            critical=False,
        )
    cert = builder.sign(issuer_key, hashes.SHA256())
    return _resign_sha1(cert, issuer_key) if sha1 else cert


_SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")  # OID 1.2.840.113549.1.1.11
_SHA1_RSA = bytes.fromhex("06092a864886f70d010105")  # OID 1.2.840.113549.1.1.5, same length


def _resign_sha1(cert: x509.Certificate, issuer_key: RSAPrivateKey) -> x509.Certificate:
    """Re-sign a certificate with SHA-1, which CertificateBuilder refuses (cryptography >= 45).

    Both algorithm identifiers have the same DER length, and an RSA signature is as long as the
    modulus, so the DER keeps its shape: swap the OIDs, sign the new TBS, swap the signature.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import Encoding

    der = cert.public_bytes(Encoding.DER).replace(_SHA256_RSA, _SHA1_RSA)
    tbs = cert.tbs_certificate_bytes.replace(_SHA256_RSA, _SHA1_RSA)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    return x509.load_der_x509_certificate(der[: -len(signature)] + signature)


def _pem(*certs: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return b"".join(c.public_bytes(Encoding.PEM) for c in certs)


def _key_pem(key: RSAPrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_pki(aia_url: str | None = None, now: dt.datetime | None = None) -> LabPKI:
    """Make the lab root, intermediates and one chain per case in CASES."""
    from cryptography.hazmat.primitives.serialization import Encoding

    now = now or dt.datetime.now(dt.UTC)
    root_key, int_key, int2_key, bad_root_key, bad_int_key = (_key() for _ in range(5))
    root = _cert("Dashtray Lab Root CA", root_key, None, root_key, ca=True, now=now)
    inter = _cert("Dashtray Lab Intermediate", int_key, root, root_key, ca=True, now=now)
    # A second level, so that a wrong order can be served (the leaf must stay first).
    inter2 = _cert("Dashtray Lab Issuing CA", int2_key, inter, int_key, ca=True, now=now)
    bad_root = _cert("Untrusted Root CA", bad_root_key, None, bad_root_key, ca=True, now=now)
    bad_int = _cert("Untrusted Intermediate", bad_int_key, bad_root, bad_root_key, ca=True, now=now)
    chains: dict[str, Chain] = {}
    leaf_key = _key()

    def leaf(case: str, **kw: Any) -> x509.Certificate:
        host = f"{case}.{DOMAIN}"
        sans = kw.pop("sans", [host])
        issuer = kw.pop("issuer", inter)
        issuer_key = kw.pop("issuer_key", int_key)
        key = kw.pop("key", leaf_key)
        return _cert(host, key, issuer, issuer_key, ca=False, now=now, sans=sans, **kw)

    day = dt.timedelta(days=1)
    simple: dict[str, dict[str, Any]] = {
        "good": {},
        "expired": {"not_before": -90 * day, "not_after": -3 * day},
        "not-yet-valid": {"not_before": 2 * day, "not_after": 92 * day},
        "wrong-host": {"sans": [f"other.{DOMAIN}"]},
        "sha1": {"sha1": True},
        "expiring": {"not_after": 5 * day},
        "inconsistent": {},
    }
    for case, kw in simple.items():
        chains[case] = Chain(_pem(leaf(case, **kw), inter), _key_pem(leaf_key))
    # The same name, a second certificate: what an address left on an old deployment serves.
    other = leaf("inconsistent", not_after=60 * day)
    chains["inconsistent-b"] = Chain(_pem(other, inter), _key_pem(leaf_key))
    weak = _key(1024)
    chains["rsa1024"] = Chain(_pem(leaf("rsa1024", key=weak), inter), _key_pem(weak))
    self_leaf = _cert(
        f"self-signed.{DOMAIN}",
        leaf_key,
        None,
        leaf_key,
        ca=False,
        now=now,
        sans=[f"self-signed.{DOMAIN}"],
    )
    chains["self-signed"] = Chain(_pem(self_leaf), _key_pem(leaf_key))
    untrusted = leaf("untrusted-root", issuer=bad_int, issuer_key=bad_int_key)
    chains["untrusted-root"] = Chain(_pem(untrusted, bad_int, bad_root), _key_pem(leaf_key))
    missing = leaf("missing-intermediate", aia_url=aia_url)
    chains["missing-intermediate"] = Chain(_pem(missing), _key_pem(leaf_key))
    ordered = leaf("wrong-order", issuer=inter2, issuer_key=int2_key)
    chains["wrong-order"] = Chain(_pem(ordered, inter, inter2), _key_pem(leaf_key))
    return LabPKI(_pem(root), inter.public_bytes(Encoding.DER), chains)
