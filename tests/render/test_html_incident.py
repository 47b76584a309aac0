"""`--format html --attach` and `incident show --format html`: the incident's page, redacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnose.lab.log_writers import synth_requests, write_logpush
from tests.support.incident_api import CANARY_STRINGS, facts_file, run

pytestmark = pytest.mark.lab


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """A private incident log."""
    return {"DIAGNOSE_INCIDENT_DB": str(tmp_path / "log" / "incidents.db")}


def test_html_report_attached_then_the_incident_page(env: dict[str, str], tmp_path: Path) -> None:
    assert run(["incident", "open", "Dashboard is slow"], env).code == 0
    spike = write_logpush(tmp_path / "requests.jsonl", synth_requests("traffic-spike"))
    healthy = write_logpush(tmp_path / "healthy.jsonl", synth_requests("healthy"))
    report = tmp_path / "report.html"
    for log, now in ((spike, "2026-11-27T10:31:00Z"), (healthy, "2026-11-27T10:31:30Z")):
        done = run(
            ["latency", "--log", str(log), "--since", "1h", "--now", now, "--format", "html",
             "-o", str(report), "--attach", "INC-1"],
            env,
        )  # fmt: skip
        assert done.code in (0, 2), done.stderr
        assert "attached to INC-1" in done.stderr
    assert report.read_text().startswith("<!DOCTYPE html>")
    shown = run(["incident", "show", "INC-1", "--format", "html"], env)
    assert shown.code == 0, shown.stderr
    page = shown.stdout
    assert page.startswith("<!DOCTYPE html>") and page.count("<html") == 1
    assert "INC-1: Dashboard is slow" in page and "Timeline (UTC)" in page
    assert "latency.traffic-spike (warning) first seen" in page
    # The two runs read different files: only the same subject can clear a rule.
    assert "What changed" in page and "Latest diagnosis" in page
    assert "p95 per minute (UTC), budget 2.0 s" in page  # the latest run's chart, from its facts


def test_incident_page_carries_no_secret(env: dict[str, str], tmp_path: Path) -> None:
    assert run(["incident", "open", "Checkout"], env).code == 0
    facts = facts_file(tmp_path, secrets=True)
    done = run(["replay", str(facts), "--format", "html", "--attach", "INC-1"], env)
    assert done.code == 2, done.stderr
    page = run(["incident", "show", "INC-1", "--format", "html"], env).stdout
    for text in (done.stdout, page):
        assert "<!DOCTYPE html>" in text
        for canary in CANARY_STRINGS:
            assert canary not in text
