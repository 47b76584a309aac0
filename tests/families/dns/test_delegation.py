"""dns.delegation against a lab parent zone that still delegates to the old nameservers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.lab.delegation import CLOUDFLARE_NS, DelegationLab, serve_delegation


@pytest.fixture(scope="module")
def world() -> Iterator[DelegationLab]:
    with serve_delegation() as running:
        yield running


def run(capsys: pytest.CaptureFixture[str], lab: DelegationLab, *args: str) -> tuple[int, Any]:
    argv = ["dns", *args, "--resolver", lab.resolver, "--authoritative-port", str(lab.port)]
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--format", "json", "--timeout", "5"])
    return int(exit_info.value.code or 0), json.loads(capsys.readouterr().out)


def assigned() -> list[str]:
    return [arg for ns in CLOUDFLARE_NS for arg in ("--expect-ns", ns)]


@pytest.mark.lab
def test_registrar_still_lists_the_old_nameservers(
    capsys: pytest.CaptureFixture[str], world: DelegationLab
) -> None:
    code, doc = run(capsys, world, "moving.test", *assigned())
    first = doc["findings"][0]
    assert first["id"] == "dns.delegation"
    facts = doc["facts"]
    assert facts["dns.delegation.parent_ns"] == ["ns1.old-dns.test"]
    assert facts["dns.delegation.assigned_zone_ns"] == sorted(CLOUDFLARE_NS)
    assert "ns1.old-dns.test" in first["message"] and "ada.ns.cloudflare.test" in first["message"]
    assert any("registrar" in step for step in first["remediation"])
    assert code == 2


@pytest.mark.lab
def test_delegated_to_the_assigned_pair_is_quiet(
    capsys: pytest.CaptureFixture[str], world: DelegationLab
) -> None:
    code, doc = run(capsys, world, "settled.test", *assigned())
    assert doc["findings"] == [] and doc["status"] == "ok"
    assert doc["facts"]["dns.delegation.parent_matches_assigned"] is True
    assert code == 0


@pytest.mark.lab
def test_without_assigned_servers_parent_and_zone_agreeing_is_quiet(
    capsys: pytest.CaptureFixture[str], world: DelegationLab
) -> None:
    code, doc = run(capsys, world, "moving.test", "--authoritative")
    assert "dns.delegation" not in [f["id"] for f in doc["findings"]]
    assert doc["facts"]["dns.delegation.parent_matches_zone"] is True
    assert code == 0
