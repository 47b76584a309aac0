"""Hostile HTTP peers: the smoke probe finishes within its deadline, bounded, with evidence."""

from __future__ import annotations

import resource
import time

import pytest

from tests.support.cli import run_cli


@pytest.mark.parametrize(
    ("scenario", "first"),
    [("trickle", "http.timeout"), ("huge-body", None), ("redirect-forever", "http.redirect-loop")],
)
def test_hostile_peer(lab, scenario: str, first: str | None) -> None:  # type: ignore[no-untyped-def]
    app = lab(scenario)
    t0 = time.monotonic()
    result = run_cli("smoke", "--url", app.url, "--format", "json", "--timeout", "2", timeout=30)
    elapsed = time.monotonic() - t0
    doc = result.json()
    # The bound is the user's --timeout plus process start-up, not a performance target.
    assert elapsed < 10, elapsed
    if first is None:
        assert doc["findings"] == [] or doc["findings"][0]["id"] != "http.timeout"
    else:
        assert doc["findings"][0]["id"] == first


def test_huge_body_is_not_read_whole(lab) -> None:  # type: ignore[no-untyped-def]
    """A 1 GB body: at most 64 KB is read, so memory stays small."""
    from datetime import UTC, datetime

    from diagnose.engine.api import gather

    app = lab("huge-body")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    facts = gather(
        "smoke",
        app.url,
        ["smoke"],
        {"url": app.url, "request_timeout": 5.0},
        now=datetime.now(UTC),
        timeout=5,
    ).facts
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert facts["smoke.homepage.status"] == 200
    assert grown_mb < 100, f"grew {grown_mb:.0f} MB"


def test_redirect_cap_is_evidence(lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("redirect-forever")
    doc = run_cli("smoke", "--url", app.url, "--format", "json").json()
    assert len(doc["facts"]["smoke.homepage.redirects"]) == 11
    assert "/r/" in doc["findings"][0]["message"]
