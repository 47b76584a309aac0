"""Pure pieces of the tls and dns probes: name matching, CAA parsing, the lab chains' shapes."""

from __future__ import annotations

import pytest

from diagnose.families.dns.probe import caa_issuers
from diagnose.families.ssl.tls import hostname_matches


@pytest.mark.parametrize(
    ("host", "names", "expected"),
    [
        ("dashtray.com", ["dashtray.com"], True),
        ("DashTray.com.", ["dashtray.com"], True),
        ("www.dashtray.com", ["*.dashtray.com"], True),
        ("a.b.dashtray.com", ["*.dashtray.com"], False),
        ("dashtray.com", ["*.dashtray.com"], False),
        ("dashtray.com", [], False),
        ("other.dashtray.com", ["dashtray.com", "www.dashtray.com"], False),
    ],
)
def test_hostname_matches(host: str, names: list[str], expected: bool) -> None:
    assert hostname_matches(host, names) is expected


def test_caa_issuers_drop_parameters_and_other_tags() -> None:
    records = [
        '0 issue "letsencrypt.org"',
        '0 issue "pki.goog; cansignhttpexchanges=yes"',
        '0 issuewild "ssl.com"',
        '0 iodef "mailto:security@dashtray.com"',
        '0 issue ";"',
    ]
    assert caa_issuers(records) == ["letsencrypt.org", "pki.goog", "ssl.com"]


def test_lab_sha1_leaf_is_really_sha1_and_still_linked_to_its_issuer() -> None:
    from cryptography import x509

    from diagnose.families.ssl.paths import issued_by as _issued_by
    from diagnose.lab.certs import make_pki

    pki = make_pki()
    leaf, inter = x509.load_pem_x509_certificates(pki.chains["sha1"].chain_pem)
    assert leaf.signature_hash_algorithm is not None
    assert leaf.signature_hash_algorithm.name == "sha1"
    assert _issued_by(leaf, inter)
    # wrong-order: leaf, then the top intermediate before the one that issued the leaf
    ordered = x509.load_pem_x509_certificates(pki.chains["wrong-order"].chain_pem)
    assert not _issued_by(ordered[0], ordered[1]) and _issued_by(ordered[0], ordered[2])
