"""--connect-to pins the address (curl's meaning): no name resolution decides anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.lab.dns_server import DNSServer, serve_dns
from diagnose.lab.tls_server import TLSLab, serve_tls


@pytest.fixture(scope="module")
def lab() -> Iterator[TLSLab]:
    with serve_tls() as running:
        yield running


@pytest.fixture(scope="module")
def servfail() -> Iterator[DNSServer]:
    with serve_dns("servfail") as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--format", "json", "--timeout", "4"])
    return int(exit_info.value.code or 0), json.loads(capsys.readouterr().out)


def pinned(lab: TLSLab, case: str, *extra: str) -> list[str]:
    return ["ssl", f"{case}.dashtray.test", "--connect-to", lab.address(case)] + [
        "--ca-file",
        str(lab.root_file),
        *extra,
    ]


@pytest.mark.lab
def test_pinned_without_resolver_resolves_nothing(
    capsys: pytest.CaptureFixture[str], lab: TLSLab
) -> None:
    """A pre-launch check: the name is in no DNS; the loopback guard fails any lookup."""
    code, doc = run(capsys, *pinned(lab, "good"))
    assert doc["status"] == "ok", doc["findings"]
    assert [p["name"] for p in doc["probes"]] == ["tls", "https"]
    assert not any(k.startswith("dns.") for k in doc["facts"])
    assert doc["facts"]["tls.resolve_error"] is None
    assert code == 0


@pytest.mark.lab
def test_named_resolver_is_reported_but_never_ranks_above_the_pinned_address(
    capsys: pytest.CaptureFixture[str], lab: TLSLab, servfail: DNSServer
) -> None:
    code, doc = run(capsys, *pinned(lab, "good", "--resolver", servfail.address))
    assert doc["status"] == "ok"
    dns = [f for f in doc["findings"] if f["id"].startswith("dns.")]
    assert [f["id"] for f in dns] == ["dns.servfail"]
    assert dns[0]["severity"] == "info" and dns[0]["explains"] == []
    assert "connected to 127.0.0.1:" in dns[0]["message"]
    assert code == 0


@pytest.mark.lab
def test_named_resolver_never_explains_what_the_pinned_address_showed(
    capsys: pytest.CaptureFixture[str], lab: TLSLab, servfail: DNSServer
) -> None:
    code, doc = run(capsys, *pinned(lab, "expired", "--resolver", servfail.address))
    first = doc["findings"][0]
    assert first["id"] == "tls.cert-expired"
    assert "tls.https-failed" in {e["id"] for e in first["explains"]}
    assert all(f["explains"] == [] for f in doc["findings"] if f["id"].startswith("dns."))
    assert code == 2


@pytest.mark.lab
def test_contract_id_fires_and_rises_to_critical_inside_the_window(
    capsys: pytest.CaptureFixture[str], lab: TLSLab, tmp_path: Path
) -> None:
    config = tmp_path / "diagnose.toml"
    config.write_text("[ssl]\ncritical_days = 10\n")
    code, doc = run(capsys, *pinned(lab, "expiring", "--config", str(config)))
    first = doc["findings"][0]
    assert first["id"] == "tls.cert-expiring"
    assert [e["id"] for e in first["explains"]] == ["tls.cert-expiring-critical"]
    assert first["score"] == 100.0 and doc["status"] == "critical" and code == 2


def test_public_resolvers_only_when_nothing_is_pinned_or_named() -> None:
    from diagnose.families.dns.options import DnsOptions
    from diagnose.families.ssl.options import SslOptions
    from diagnose.families.ssl.plan import command_plan
    from diagnose.settings import make_common

    common = make_common({})
    free = command_plan("dashtray.com", DnsOptions(), SslOptions(), common)
    assert free.probes == ("dns", "tls", "https") and free.options["public_resolvers"] is True
    pin = command_plan("dashtray.com", DnsOptions(), SslOptions(connect_to=("192.0.2.1",)), common)
    assert pin.probes == ("tls", "https") and pin.options["public_resolvers"] is False
    asked = command_plan(
        "dashtray.com",
        DnsOptions(public=True),
        SslOptions(connect_to=("192.0.2.1",)),
        common,
    )
    assert asked.probes == ("dns", "tls", "https") and asked.options["public_resolvers"] is True
    assert "192.0.2.1:443" in asked.options["advisory"]


@pytest.mark.lab
def test_suggested_commands_reach_the_pinned_address(
    capsys: pytest.CaptureFixture[str], lab: TLSLab
) -> None:
    """Pasting the report's openssl and curl commands checks what it checked, with no lookup."""
    address = lab.address("missing-intermediate")
    code, doc = run(capsys, *pinned(lab, "missing-intermediate"))
    host = "missing-intermediate.dashtray.test"
    assert doc["facts"]["tls.connect"] == address
    assert doc["facts"]["tls.curl"] == f"--connect-to {host}:443:{address} https://{host}:443/"
    first = doc["findings"][0]
    assert first["id"] == "tls.incomplete-chain"
    assert f"openssl s_client -connect {address} -servername {host}" in first["commands"][0]
    assert code == 2


def test_suggested_commands_name_the_host_when_nothing_is_pinned() -> None:
    from diagnose.families.ssl.tls import _reproduce

    assert _reproduce("example.com", 443, None) == {
        "tls.connect": "example.com:443",
        "tls.curl": "https://example.com:443/",
    }
    assert _reproduce("example.com", 8443, ("::1", 9443))["tls.curl"] == (
        "--connect-to example.com:8443:[::1]:9443 https://example.com:8443/"
    )
