"""`diagnose deploy record | list` output: runbook text, the table, strict masked JSON."""

from __future__ import annotations

import json
from pathlib import Path

from diagnose.families.deploy.records import Deployment
from diagnose.redact import Redactor
from diagnose.render.deploys import render_deployments, render_recorded

SECRET = "sk_live_" + "7" * 24
DEPLOY = Deployment(
    deployed_at="2026-03-11T10:50:00.000Z",
    version="v1.2.0",
    commit="0123456789abcdef0123456789abcdef01234567",
    deployed_by="ana",
    changes=f"fix login\nkey {SECRET}",
    recorded_at="2026-03-11T11:00:00.000Z",
    id=7,
)
DB = Path("/var/lib/diagnose/incidents.db")


def test_record_text_is_the_runbook_record_and_where_it_went() -> None:
    text = render_recorded(DEPLOY, DB, "text", Redactor([SECRET]))
    assert text.startswith("Date: 2026-03-11T10:50:00.000Z\nVersion: v1.2.0\n")
    assert "- fix login\n" in text and text.endswith(f"deployment #7 in {DB}\n")


def test_json_is_strict_and_masked() -> None:
    out = render_recorded(DEPLOY, DB, "json", Redactor([SECRET]))
    assert SECRET not in out and json.loads(out)["id"] == 7
    listed = json.loads(render_deployments([DEPLOY], DB, "json", Redactor([SECRET])))
    assert [d["version"] for d in listed] == ["v1.2.0"] and SECRET not in json.dumps(listed)


def test_table_cuts_the_commit_and_says_when_empty() -> None:
    rows = render_deployments([DEPLOY], DB, "text", Redactor()).splitlines()
    assert rows[0].split() == ["#", "deployed", "at", "version", "commit", "by"]
    assert rows[1].split() == ["7", DEPLOY.deployed_at, "v1.2.0", "0123456789ab", "ana"]
    assert render_deployments([], DB, "text", Redactor()) == f"no deployment recorded in {DB}\n"
