"""diagnose ssl against the lab over real sockets: each fault ranks its rule first."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
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
def resolver() -> Iterator[DNSServer]:
    with serve_dns("good") as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    """Run diagnose in this process; return the exit code and the JSON document."""
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--format", "json"])
    return int(exit_info.value.code or 0), json.loads(capsys.readouterr().out)


def ssl_args(lab: TLSLab, resolver: DNSServer, case: str) -> list[str]:
    return [
        "ssl",
        f"{case}.dashtray.test",
        "--resolver",
        resolver.address,
        "--connect-to",
        lab.address(case),
        "--ca-file",
        str(lab.root_file),
        "--timeout",
        "3",
    ]


@pytest.mark.parametrize(
    ("case", "expected", "code"),
    [
        ("expired", "tls.cert-expired", 2),
        ("not-yet-valid", "tls.cert-not-yet-valid", 2),
        ("wrong-host", "tls.hostname-mismatch", 2),
        ("self-signed", "tls.self-signed", 2),
        ("untrusted-root", "tls.untrusted-root", 2),
        ("missing-intermediate", "tls.incomplete-chain", 2),
        ("wrong-order", "tls.chain-order", 1),
        ("sha1", "tls.weak-signature", 2),
        ("rsa1024", "tls.weak-key", 2),
        ("expiring", "tls.cert-expiring", 1),
        ("silent", "tls.connect-timeout", 2),
        ("alert", "tls.handshake-failed", 2),
        ("refused", "tls.connect-refused", 2),
    ],
)
def test_fault_ranks_first(
    capsys: pytest.CaptureFixture[str],
    lab: TLSLab,
    resolver: DNSServer,
    case: str,
    expected: str,
    code: int,
) -> None:
    got, doc = run(capsys, *ssl_args(lab, resolver, case))
    assert doc["findings"], doc
    assert doc["findings"][0]["id"] == expected, [f["id"] for f in doc["findings"]]
    assert got == code


def test_root_cause_absorbs_consequences(
    capsys: pytest.CaptureFixture[str], lab: TLSLab, resolver: DNSServer
) -> None:
    _, doc = run(capsys, *ssl_args(lab, resolver, "expired"))
    assert len(doc["findings"]) == 1
    explained = {e["id"] for e in doc["findings"][0]["explains"]}
    assert {"tls.https-failed", "tls.verify-failed"} <= explained
    assert "tls.expiry.days_left (-3.0) < 0" in doc["findings"][0]["evidence"]


def test_inconsistent_addresses_via_dns(
    capsys: pytest.CaptureFixture[str], lab: TLSLab, resolver: DNSServer
) -> None:
    """The name resolves to 127.0.0.1 and 127.0.0.2, which serve different certificates."""
    got, doc = run(
        capsys,
        "ssl",
        "inconsistent.dashtray.test",
        "--resolver",
        resolver.address,
        "--port",
        str(lab.ports["inconsistent"]),
        "--ca-file",
        str(lab.root_file),
    )
    assert doc["findings"][0]["id"] == "tls.inconsistent-certs"
    assert doc["facts"]["tls.connect.attempted"] == 2
    assert got == 1


@pytest.mark.lab
def test_nxdomain_explains_tls_and_https(
    capsys: pytest.CaptureFixture[str], resolver: DNSServer
) -> None:
    got, doc = run(
        capsys, "ssl", "missing.dashtray.test", "--resolver", resolver.address, "--timeout", "3"
    )
    assert [f["id"] for f in doc["findings"]] == ["dns.nxdomain"]
    explained = {e["id"] for e in doc["findings"][0]["explains"]}
    assert {"tls.unresolved", "tls.https-failed"} <= explained
    assert got == 2


def test_healthy_site_is_ok_in_a_subprocess(lab: TLSLab, resolver: DNSServer) -> None:
    proc = subprocess.run(
        # A cold process on a loaded machine needs more than the in-process runs' 3 s.
        [sys.executable, "-m", "diagnose", *ssl_args(lab, resolver, "good"), "--timeout", "15"]
        + ["--format", "json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    doc = json.loads(proc.stdout)
    assert doc["status"] == "ok", doc["findings"]
    assert doc["findings"] == []
    assert doc["facts"]["tls.chain.length"] == 2
    assert doc["facts"]["https.status"] == 200
    assert proc.returncode == 0


def test_expiry_window_follows_warn_days(
    capsys: pytest.CaptureFixture[str], lab: TLSLab, resolver: DNSServer
) -> None:
    got, doc = run(capsys, *ssl_args(lab, resolver, "expiring"), "--warn-days", "3")
    assert doc["findings"] == []
    assert got == 0


def test_targets_file_judges_each_domain_as_json_lines(
    lab: TLSLab, resolver: DNSServer, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("# the lab\ngood.dashtray.test\n\nwrong-host.dashtray.test  # SAN\n")
    args = ["ssl", "--targets", str(targets), "--resolver", resolver.address]
    args += ["--connect-to", lab.address("good"), "--ca-file", str(lab.root_file)]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--format", "json", "--timeout", "5"])
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["target"] for d in docs] == ["good.dashtray.test", "wrong-host.dashtray.test"]
    assert docs[0]["status"] == "ok" and docs[1]["findings"][0]["id"] == "tls.hostname-mismatch"
    assert exit_info.value.code == 2  # the worst


@pytest.mark.lab
def test_targets_bad_line_names_file_and_line(tmp_path: Any) -> None:
    targets = tmp_path / "t.txt"
    targets.write_text("good.dashtray.test\nhttps://x.test/\n")
    done = subprocess.run(
        [sys.executable, "-m", "diagnose", "ssl", "--targets", str(targets)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3 and f"{targets}:2" in done.stderr
    assert "Traceback" not in done.stderr
