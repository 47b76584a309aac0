"""diagnose checklist pre-deploy / post-deploy, against fixture logs and the lab over real sockets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import ROOT, assert_clean_error, run_cli

FIX = ROOT / "fixtures" / "checklist"
NOW = "2026-03-11T11:00:00Z"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An empty deployment log of its own (no deploys probe unless a test records one)."""
    return {"DIAGNOSE_INCIDENT_DB": str(tmp_path / "incidents.db")}


def _items(doc: dict[str, Any]) -> dict[str, str]:
    return {i["id"]: i["state"] for i in doc["checklist"]["items"]}


def _post(env: dict[str, str], *args: str) -> Any:
    return run_cli("checklist", "post-deploy", "--now", NOW, "--format", "json", *args, env=env)


@pytest.mark.lab
def test_post_deploy_healthy_logs(env: dict[str, str]) -> None:
    done = _post(env, "--log", str(FIX / "convex-healthy.jsonl"), "--project", str(FIX / "project"))
    assert done.code == 0, done.stdout + done.stderr
    doc = done.json()
    assert doc["status"] == "ok"
    items = _items(doc)
    for rule in ("crons", "integration-syncs", "email", "rate-limiting", "webhooks-processing"):
        assert items[f"checklist.{rule}"] == "pass", items
    # No --url: the smoke item is not claimed as passed.
    assert items["checklist.smoke-tests"] == "inconclusive"
    assert doc["checklist"]["title"] == "Post-deploy checklist (runbook)"
    assert "checklist.items" not in doc["facts"]  # the engine's output, not a fact


@pytest.mark.lab
@pytest.mark.parametrize(
    ("scenario", "first", "code", "also"),
    [
        ("cron-stopped", "checklist.crons", 2, "checklist.crons"),
        # The sync is itself a cron: its failing runs fail both items.
        ("sync-failing", "checklist.crons", 2, "checklist.integration-syncs"),
        ("email-errors", "checklist.email", 1, "checklist.email"),
    ],
)
def test_post_deploy_faults(
    env: dict[str, str], scenario: str, first: str, code: int, also: str
) -> None:
    done = _post(
        env, "--log", str(FIX / f"convex-{scenario}.jsonl"), "--project", str(FIX / "project")
    )
    assert done.code == code, done.stdout + done.stderr
    doc = done.json()
    assert doc["findings"][0]["id"] == first
    assert _items(doc)[first] == "fail"
    assert _items(doc)[also] == "fail"


@pytest.mark.lab
def test_post_deploy_no_rate_limiter(env: dict[str, str], tmp_path: Path) -> None:
    from diagnose.lab.cron_logs import write_convex

    log = write_convex(tmp_path / "c.jsonl", "no-rate-limit", datetime(2026, 3, 11, 11, tzinfo=UTC))
    done = _post(env, "--log", str(log), "--project", str(FIX / "project-no-limiter"))
    assert done.code == 1, done.stdout + done.stderr
    assert done.json()["findings"][0]["id"] == "checklist.rate-limiting"


def test_post_deploy_smoke_against_lab(env: dict[str, str], lab: Any) -> None:
    good = lab("healthy")
    done = _post(env, "--url", good.url, "--sample", "3")
    assert done.code == 0, done.stdout + done.stderr
    items = _items(done.json())
    assert items["checklist.smoke-tests"] == "pass"
    assert items["checklist.p95"] == "pass"
    bad = lab("cf-522")
    done = _post(env, "--url", bad.url, "--sample", "0")
    assert done.code == 2, done.stdout + done.stderr
    doc = done.json()
    assert _items(doc)["checklist.smoke-tests"] == "fail"
    ids = [f["id"] for f in doc["findings"]]
    assert "checklist.smoke-tests" in ids or any(
        e["id"] == "checklist.smoke-tests" for f in doc["findings"] for e in f["explains"]
    )


@pytest.mark.lab
def test_post_deploy_markdown_task_list(env: dict[str, str]) -> None:
    done = run_cli(
        "checklist", "post-deploy", "--now", NOW, "--format", "markdown",
        "--log", str(FIX / "convex-cron-stopped.jsonl"), env=env,
    )  # fmt: skip
    assert done.code == 2, done.stderr
    head = done.stdout.splitlines()
    assert head[0].startswith("## ") and "checklist post-deploy" in head[0]
    assert "Post-deploy checklist (runbook): 5 pass, 1 fail, 2 inconclusive" in head
    assert any(ln.startswith("- [ ] Cron jobs executing on schedule:") for ln in head)
    assert any(ln.startswith("- [x] Email sending without errors") for ln in head)


@pytest.mark.lab
def test_pre_deploy_window(env: dict[str, str]) -> None:
    friday = run_cli(
        "checklist", "pre-deploy", "--tz", "Europe/Berlin", "--now", "2026-03-13T15:00:00Z",
        "--format", "json", env=env,
    )  # fmt: skip
    assert friday.code == 1, friday.stderr
    doc = friday.json()
    assert doc["findings"][0]["id"] == "checklist.deploy-window"
    assert "Friday" in doc["findings"][0]["message"]
    wednesday = run_cli(
        "checklist", "pre-deploy", "--tz", "Europe/Berlin", "--now", "2026-03-11T10:00:00Z",
        "--format", "json", env=env,
    )  # fmt: skip
    assert wednesday.code == 0, wednesday.stdout
    items = _items(wednesday.json())
    assert items["checklist.deploy-window"] == "pass"
    assert items["checklist.convex-deploy-prod"] == "inconclusive"  # no --project


@pytest.mark.lab
def test_pre_deploy_convex_prod_flag(env: dict[str, str], tmp_path: Path) -> None:
    pkg = {"scripts": {"deploy:convex": "npx convex deploy --prod", "build": "vite build"}}
    (tmp_path / "package.json").write_text(json.dumps(pkg), encoding="utf-8")
    flows = tmp_path / ".github" / "workflows"
    flows.mkdir(parents=True)
    (flows / "deploy.yml").write_text(
        "jobs:\n  d:\n    steps:\n      - run: npx convex deploy --cmd 'pnpm run build'\n",
        encoding="utf-8",
    )
    done = run_cli(
        "checklist", "pre-deploy", "--project", str(tmp_path), "--tz", "UTC",
        "--now", "2026-03-11T11:00:00Z", "--format", "json", env=env,
    )  # fmt: skip
    assert done.code == 2, done.stdout + done.stderr
    doc = done.json()
    ids = [f["id"] for f in doc["findings"]]
    assert ids[0] in ("checklist.convex-deploy-prod", "checklist.env-configured")
    assert "checklist.convex-deploy-prod" in ids and "checklist.convex-deploy-key" in ids
    assert _items(doc)["checklist.convex-deploy-prod"] == "fail"


@pytest.mark.lab
@pytest.mark.parametrize(
    "args",
    [
        ["pre-deploy", "--tz", "Mars/Olympus"],
        ["pre-deploy", "--project", "/no/such/folder"],
        ["post-deploy"],
        ["post-deploy", "--log", "/no/such.jsonl"],
        ["post-deploy", "--url", "dashtray.com"],
    ],
)
def test_bad_input(env: dict[str, str], args: list[str]) -> None:
    assert_clean_error(run_cli("checklist", *args, env=env))


def test_window_assess_units() -> None:
    from zoneinfo import ZoneInfo

    from diagnose.families.deploy.window import assess

    ny = ZoneInfo("America/New_York")
    assert assess(datetime(2026, 3, 11, 15, tzinfo=UTC), ny)["verdict"] == "best"  # Wed 11:00
    assert assess(datetime(2026, 3, 14, 15, tzinfo=UTC), ny)["avoid_reasons"] == ["weekend"]
    late = assess(datetime(2026, 3, 11, 4, tzinfo=UTC), ny)  # Wed 00:00 local
    assert late["verdict"] == "avoid" and late["avoid_reasons"][0].startswith("late night")
    assert assess(datetime(2026, 3, 9, 19, tzinfo=UTC), ny)["verdict"] == "off-peak"  # Mon 15:00


def test_declared_crons() -> None:
    from diagnose.families.deploy.project_scan import declared_crons

    jobs = declared_crons(FIX / "project")
    assert {j["function"]: j["interval_s"] for j in jobs} == {
        "sessions:cleanup": 300,
        "integrations:syncAll": 900,
    }


@pytest.mark.lab
def test_pre_deploy_reads_the_project(env: dict[str, str]) -> None:
    """Every probe of the plan gets its options: the build item is judged, not a probe error."""
    done = run_cli(
        "checklist", "pre-deploy", "--project", str(ROOT / "fixtures" / "projects" / "complete"),
        "--tz", "Europe/Berlin", "--now", "2026-03-11T10:00:00Z", "--format", "json", env=env,
    )  # fmt: skip
    assert done.code == 1, done.stdout + done.stderr
    doc = done.json()
    assert all(p["status"] == "ok" for p in doc["probes"]), doc["probes"]
    items = _items(doc)
    assert items["checklist.build-config"] == "fail"  # no lockfile committed
    # The Convex deployment's names are not checked without --convex-env: no pass.
    assert items["checklist.env-configured"] == "inconclusive"
    assert items["checklist.convex-deploy-prod"] == "pass"
    assert items["checklist.deploy-window"] == "pass"
