"""`diagnose smoke` against the lab over real sockets: each fault ranks its id first."""

from __future__ import annotations

import pytest

from tests.support.cli import run_cli

EXPECTED = {
    "healthy": (None, 0),
    "health-failing": ("smoke.health", 2),
    "auth-failing": ("smoke.auth", 2),
    "server-error": ("http.server-error", 2),
    "redirect-loop": ("http.redirect-loop", 2),
    "cf-520": ("http.cloudflare-520", 2),
    "cf-521": ("http.cloudflare-521", 2),
    "cf-522": ("http.cloudflare-522", 2),
    "cf-523": ("http.cloudflare-523", 2),
    "cf-524": ("http.cloudflare-524", 2),
    "cf-525": ("http.cloudflare-525", 2),
    "cf-526": ("http.cloudflare-526", 2),
    "cf-530": ("http.cloudflare-530", 2),
    "hang": ("http.timeout", 2),
}


@pytest.mark.parametrize(("scenario", "expected"), EXPECTED.items())
def test_first_ranked_finding(lab, scenario: str, expected: tuple[str | None, int]) -> None:  # type: ignore[no-untyped-def]
    app = lab(scenario)
    result = run_cli(
        "smoke", "--url", app.url, "--convex-url", app.url, "--format", "json", "--timeout", "2"
    )
    doc = result.json()
    first, code = expected
    assert result.code == code, result.stdout
    if first is None:
        assert doc["status"] == "ok" and doc["findings"] == []
    else:
        assert doc["findings"][0]["id"] == first
        assert doc["findings"][0]["evidence"], "a finding must carry evidence"


def test_cloudflare_root_cause_absorbs_the_smoke_failures(lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("cf-522")
    doc = run_cli("smoke", "--url", app.url, "--convex-url", app.url, "--format", "json").json()
    assert [f["id"] for f in doc["findings"]] == ["http.cloudflare-522"]
    explained = {e["id"] for e in doc["findings"][0]["explains"]}
    assert explained == {"smoke.homepage", "smoke.auth", "smoke.health"}


def test_530_names_the_1xxx_code(lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("cf-530")
    doc = run_cli("smoke", "--url", app.url, "--format", "json").json()
    assert "1016" in doc["findings"][0]["message"]


def test_hang_is_evidence_not_a_hang(lab) -> None:  # type: ignore[no-untyped-def]
    """A server that accepts and never answers: the run ends by its deadline, with evidence."""
    app = lab("hang")
    result = run_cli("smoke", "--url", app.url, "--format", "json", "--timeout", "1.5", timeout=20)
    doc = result.json()
    finding = doc["findings"][0]
    assert finding["id"] == "http.timeout"
    assert "no answer within" in finding["message"]


@pytest.mark.lab
def test_nothing_listening_is_unreachable() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        result = run_cli("smoke", "--url", f"http://127.0.0.1:{port}", "--format", "json")
    assert result.code == 2
    assert result.json()["findings"][0]["id"] == "http.unreachable"


def test_no_convex_url_means_health_not_checked(lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("healthy")
    doc = run_cli("smoke", "--url", app.url, "--format", "json", "-v").json()
    assert doc["status"] == "ok"
    assert doc["facts"]["smoke.health.checked"] is False
    assert "smoke.health" in doc["quiet"]


def test_signin_uses_the_runbook_request(lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("healthy")
    run_cli("smoke", "--url", app.url, "--convex-url", app.url)
    assert ("POST", "/api/auth/signin") in app.state.hits
    assert ("GET", "/api/health") in app.state.hits


def test_text_output_reads_well(lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("health-failing")
    result = run_cli("smoke", "--url", app.url, "--convex-url", app.url)
    assert result.code == 2
    out = result.stdout
    assert "CRITICAL" in out and "1. [CRITICAL] smoke.health" in out
    assert "evidence:" in out and "fix:" in out and "$ curl -i" in out
    assert "\x1b[" not in out  # NO_COLOR and not a terminal


def test_junit_report(lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import xml.etree.ElementTree as ET

    app = lab("auth-failing")
    junit = tmp_path / "smoke.xml"
    run_cli("smoke", "--url", app.url, "--convex-url", app.url, "--junit", str(junit))
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("failures", "0")) >= 1
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert any(str(n).startswith("smoke.auth") for n in failed)
