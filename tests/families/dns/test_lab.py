"""diagnose dns against lab resolvers over real sockets: each fault ranks its rule first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.lab.dns_server import DNSServer, serve_resolvers


@pytest.fixture(scope="module")
def resolvers() -> Iterator[dict[str, DNSServer]]:
    with serve_resolvers() as running:
        yield running


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    """Run diagnose in this process; return the exit code and the JSON document."""
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--format", "json", "--timeout", "2"])
    return int(exit_info.value.code or 0), json.loads(capsys.readouterr().out)


@pytest.mark.lab
@pytest.mark.parametrize(
    ("name", "modes", "extra", "expected", "code"),
    [
        ("missing.dashtray.test", ["good"], [], "dns.nxdomain", 2),
        ("noaddr.dashtray.test", ["good"], [], "dns.no-address", 2),
        ("www.dashtray.test", ["servfail"], [], "dns.servfail", 2),
        ("www.dashtray.test", ["good", "silent"], [], "dns.timeout", 1),
        ("moved.dashtray.test", ["good", "stale"], [], "dns.propagation", 1),
        (
            "wrong-cname.dashtray.test",
            ["good"],
            ["--expect-cname", "dashtray.pages.dev"],
            "dns.cname-target",
            2,
        ),
        ("caa-blocked.dashtray.test", ["good"], [], "dns.caa-forbids", 1),
        ("www.dashtray.test", ["bogus"], [], "dns.dnssec-bogus", 2),
    ],
)
def test_fault_ranks_first(
    capsys: pytest.CaptureFixture[str],
    resolvers: dict[str, DNSServer],
    name: str,
    modes: list[str],
    extra: list[str],
    expected: str,
    code: int,
) -> None:
    args = ["dns", name, *extra]
    for mode in modes:
        args += ["--resolver", resolvers[mode].address]
    got, doc = run(capsys, *args)
    assert doc["findings"], doc
    assert doc["findings"][0]["id"] == expected, [f["id"] for f in doc["findings"]]
    assert got == code


@pytest.mark.lab
def test_dnssec_bogus_absorbs_servfail(
    capsys: pytest.CaptureFixture[str], resolvers: dict[str, DNSServer]
) -> None:
    _, doc = run(capsys, "dns", "www.dashtray.test", "--resolver", resolvers["bogus"].address)
    assert [f["id"] for f in doc["findings"]] == ["dns.dnssec-bogus"]
    assert [e["id"] for e in doc["findings"][0]["explains"]] == ["dns.servfail"]


@pytest.mark.lab
@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("dashtray.test", []),
        ("www.dashtray.test", ["--expect-cname", "dashtray.pages.dev"]),
    ],
)
def test_healthy_name_is_ok(
    capsys: pytest.CaptureFixture[str],
    resolvers: dict[str, DNSServer],
    name: str,
    extra: list[str],
) -> None:
    got, doc = run(capsys, "dns", name, *extra, "--resolver", resolvers["good"].address)
    assert doc["status"] == "ok", doc["findings"]
    assert doc["facts"]["dns.addresses"] == ["127.0.0.1"]
    assert got == 0


@pytest.mark.lab
def test_udp_and_tcp_both_answer(resolvers: dict[str, DNSServer]) -> None:
    """The lab server speaks TCP too (the probe falls back to it on truncation)."""
    import dns.message
    import dns.query

    query = dns.message.make_query("www.dashtray.test", "A")
    port = resolvers["good"].port
    udp = dns.query.udp(query, "127.0.0.1", port=port, timeout=2)
    tcp = dns.query.tcp(query, "127.0.0.1", port=port, timeout=2)
    assert udp.answer == tcp.answer and udp.answer


@pytest.mark.lab
def test_dns_targets_from_stdin(
    resolvers: dict[str, DNSServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    server = next(iter(resolvers.values()))
    monkeypatch.setattr("sys.stdin", io.StringIO("dashtray.test\nnowhere.dashtray.test\n"))
    with pytest.raises(SystemExit) as exit_info:
        main(["dns", "--targets", "-", "--resolver", server.address, "--format", "json"])
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["target"] for d in docs] == ["dashtray.test", "nowhere.dashtray.test"]
    assert docs[1]["status"] == "critical" and exit_info.value.code == 2  # the worst


def test_dns_needs_domain_or_targets(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["dns"])
    assert exit_info.value.code == 3


@pytest.mark.lab
def test_authoritative_servers_are_asked_too(
    capsys: pytest.CaptureFixture[str], resolvers: dict[str, DNSServer]
) -> None:
    """The zone's NS (found through the resolver) answers beside a resolver with a stale cache."""
    good = resolvers["good"]
    stale = resolvers["stale"].address
    port = good.address.rsplit(":", 1)[1]
    args = ["dns", "moved.dashtray.test", "--resolver", stale, "--authoritative"]
    code, doc = run(capsys, *args, "--authoritative-port", port)
    rows = {r["resolver"]: r for r in doc["facts"]["dns.resolvers"]}
    assert "authoritative ns1.dashtray.test" in rows, list(rows)
    assert rows["authoritative ns1.dashtray.test"]["addresses"] == ["127.0.0.1"]
    assert doc["findings"][0]["id"] == "dns.propagation" and code == 1


@pytest.mark.lab
def test_with_resolvers_given_nothing_else_is_asked(
    capsys: pytest.CaptureFixture[str], resolvers: dict[str, DNSServer]
) -> None:
    _, doc = run(capsys, "dns", "www.dashtray.test", "--resolver", resolvers["good"].address)
    assert [r["resolver"] for r in doc["facts"]["dns.resolvers"]] == [resolvers["good"].address]


def test_bad_authoritative_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["dns", "dashtray.test", "--resolver", "127.0.0.1:9", "--authoritative-port", "0"])
    assert exit_info.value.code == 3
    assert "bad --authoritative-port 0" in capsys.readouterr().err
