"""diagnose deploy record/list, and deployments as evidence in every diagnosis."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from diagnose.lab.cron_logs import deployed_at, write_convex, write_requests
from diagnose.timeparse import iso
from tests.support.cli import assert_clean_error, run_cli

NOW = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A deployment log of the test's own; no CI variables leaking in from the runner."""
    return {
        "DIAGNOSE_INCIDENT_DB": str(tmp_path / "incidents.db"),
        "GITHUB_ACTIONS": "",
        "GITHUB_SHA": "",
        "CF_PAGES": "",
        "CF_PAGES_COMMIT_SHA": "",
        "GITLAB_CI": "",
        "CI_COMMIT_SHA": "",
    }


def _record(env: dict[str, str], version: str, commit: str, at: datetime) -> None:
    done = run_cli(
        "deploy", "record", "--version", version, "--commit", commit, "--by", "maria",
        "--at", iso(at), "--notes", "Fix: webhook timeout", env=env,
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert f"Version: {version}" in done.stdout and "Deployed By: maria" in done.stdout


@pytest.mark.lab
def test_record_and_list(env: dict[str, str]) -> None:
    _record(env, "v1.1.0", "9f8e7d6c5b4a", datetime(2026, 3, 4, 10, tzinfo=UTC))
    _record(env, "v1.2.0", "abc1234def56", deployed_at(NOW))
    listed = run_cli("deploy", "list", "--format", "json", env=env)
    assert listed.code == 0, listed.stderr
    rows = listed.json()
    assert [r["version"] for r in rows] == ["v1.2.0", "v1.1.0"]
    assert rows[0]["source"] == "flags" and rows[0]["changes"] == "Fix: webhook timeout"
    text = run_cli("deploy", "list", env=env)
    assert "v1.2.0" in text.stdout.splitlines()[1]


@pytest.mark.lab
def test_record_from_github_actions(env: dict[str, str]) -> None:
    ci = {
        **env,
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_REF_NAME": "v1.3.0",
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_REPOSITORY": "acme/dashtray",
        "GITHUB_RUN_ID": "42",
    }
    done = run_cli("deploy", "record", "--format", "json", env=ci)
    assert done.code == 0, done.stderr
    rec = done.json()
    assert (rec["version"], rec["deployed_by"], rec["source"]) == (
        "v1.3.0",
        "octocat",
        "github-actions",
    )
    assert rec["commit"].startswith("0123456789")
    assert rec["changes"] == "CI run: https://github.com/acme/dashtray/actions/runs/42"


@pytest.mark.lab
@pytest.mark.parametrize(
    "args",
    [
        ["record", "--commit", "abc1234"],
        ["record", "--version", "v1", "--commit", "not-a-sha"],
        ["record", "--version", "v1", "--commit", "abc1234", "--at", "yesterday-ish"],
        ["list", "--limit", "0"],
    ],
)
def test_bad_input(env: dict[str, str], args: list[str]) -> None:
    assert_clean_error(run_cli("deploy", *args, env=env))


def _logs(tmp_path: Path, scenario: str) -> tuple[Path, Path]:
    return (
        write_convex(tmp_path / f"{scenario}.jsonl", scenario, NOW),
        write_requests(tmp_path / f"{scenario}.req.jsonl", scenario, NOW),
    )


def _first(doc: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = doc["findings"][0]
    return first


@pytest.mark.lab
def test_latency_regression_after_deploy(env: dict[str, str], tmp_path: Path) -> None:
    _record(env, "v1.1.0", "9f8e7d6c5b4a", datetime(2026, 3, 4, 10, tzinfo=UTC))
    _record(env, "v1.2.0", "abc1234def56", deployed_at(NOW))
    _, requests = _logs(tmp_path, "regression")
    done = run_cli(
        "latency", "--log", str(requests), "--now", iso(NOW), "--format", "json", env=env
    )
    assert done.code == 2, done.stdout + done.stderr
    doc = done.json()
    first = _first(doc)
    assert first["id"] in ("deploy.regression-errors", "deploy.regression-latency")
    assert "started 4 minutes after v1.2.0 was deployed" in first["message"]
    # The remediation leads with the rollback, filled in with the previous version.
    assert first["remediation"][0].startswith("Roll back to v1.1.0 (commit 9f8e7d6c5b4a)")
    assert "git checkout 9f8e7d6c5b4a && npx convex deploy" in first["remediation"][1]
    explained = {e["id"] for f in doc["findings"] for e in f["explains"]}
    assert {"latency.p95-over-budget", "latency.error-rate-over-budget"} <= explained
    assert doc["facts"]["deploy.previous.version"] == "v1.1.0"


@pytest.mark.lab
def test_webhook_regression_after_deploy(env: dict[str, str], tmp_path: Path) -> None:
    _record(env, "v1.2.0", "abc1234def56", deployed_at(NOW))
    convex, _ = _logs(tmp_path, "regression")
    done = run_cli(
        "webhooks", "--log", str(convex), "--since", "2h", "--now", iso(NOW), "--format", "json",
        env=env,
    )  # fmt: skip
    assert done.code == 2, done.stdout + done.stderr
    doc = done.json()
    first = _first(doc)
    assert first["id"] in ("deploy.regression-webhooks", "deploy.regression-errors")
    hooks = next(f for f in doc["findings"] if f["id"] == "deploy.regression-webhooks")
    assert "6 minutes after v1.2.0" in hooks["message"]
    assert "webhook.handler-errors" in {e["id"] for e in hooks["explains"]}
    # No earlier deployment recorded: the rollback still reads whole.
    assert "the deployment before v1.2.0 (none recorded)" in hooks["remediation"][0]


@pytest.mark.lab
def test_healthy_across_deploy_and_no_record(env: dict[str, str], tmp_path: Path) -> None:
    _, requests = _logs(tmp_path, "healthy")
    bare = run_cli(
        "latency", "--log", str(requests), "--now", iso(NOW), "--format", "json", env=env
    )
    assert "deploys" not in {p["name"] for p in bare.json()["probes"]}
    _record(env, "v1.2.0", "abc1234def56", deployed_at(NOW))
    done = run_cli(
        "latency", "--log", str(requests), "--now", iso(NOW), "--format", "json", env=env
    )
    assert done.code == 0, done.stdout
    doc = done.json()
    assert doc["status"] == "ok"
    assert doc["facts"]["deploy.last.version"] == "v1.2.0"
    assert doc["facts"]["deploy.last.ago"] == "30 minutes"
    # --now before the deployment: the diagnosis does not know of it yet.
    early = run_cli(
        "latency", "--log", str(requests), "--now", "2026-03-11T10:00:00Z", "--format", "json",
        env=env,
    )  # fmt: skip
    assert early.json()["facts"]["deploy.recorded"] is False


def test_delay_text() -> None:
    from diagnose.families.deploy.onset import delay_text

    assert [delay_text(s) for s in (45, 240, 7500)] == ["45 s", "4 minutes", "2 h 5 min"]


@pytest.mark.lab
def test_every_command_reads_deployments_from_its_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[incident] db in the config given with --config is the deployment log of every run."""
    from diagnose.lab.http_app import serve

    monkeypatch.delenv("DIAGNOSE_INCIDENT_DB", raising=False)
    cfg = tmp_path / "team.toml"
    cfg.write_text('[incident]\ndb = "team.sqlite3"\n')
    env: dict[str, str] = {}
    recorded = run_cli(
        "deploy",
        "record",
        "--version",
        "v9.9.9",
        "--commit",
        "c0ffee1",
        "--config",
        str(cfg),
        env=env,
    )
    assert recorded.code == 0, recorded.stderr
    assert (tmp_path / "team.sqlite3").exists()
    with serve("healthy") as app:
        done = run_cli("smoke", "--url", app.url, "--config", str(cfg), "--format", "json", env=env)
    assert done.json()["facts"]["deploy.last.version"] == "v9.9.9"


@pytest.mark.lab
def test_an_old_deployment_is_not_blamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review: a deployment 8 months before the logs was blamed, with rollback commands."""
    from tests.support.cli import ROOT

    monkeypatch.setenv("DIAGNOSE_INCIDENT_DB", str(tmp_path / "log.sqlite3"))
    run_cli(
        "deploy",
        "record",
        "--version",
        "v1.2.0",
        "--commit",
        "abc1234",
        "--at",
        "2026-03-11T10:30:00Z",
    )
    log = ROOT / "fixtures" / "webhooks" / "convex-handler-errors.jsonl"
    done = run_cli(
        "webhooks", "--log", str(log), "--now", "2026-11-27T10:00:00Z", "--format", "json"
    )
    ids = [f["id"] for f in done.json()["findings"]]
    assert ids and not any(i.startswith("deploy.") for i in ids), ids
