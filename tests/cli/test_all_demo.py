"""`diagnose all`, `diagnose demo`, `diagnose lab` and `diagnose init`, against the whole lab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnose.lab.stack import LAB_SECRET, SCENARIOS
from tests.support.cli import ROOT, assert_clean_error, run_cli


@pytest.mark.lab
def test_default_demo_shows_several_causes_at_once() -> None:
    result = run_cli("demo", "--format", "json", timeout=60)
    doc = result.json()
    ids = [f["id"] for f in doc["findings"]]
    assert set(SCENARIOS["incident"].expect) <= set(ids), ids
    assert ids[0] == "webhook.secret-mismatch"  # the critical cause ranks first
    assert result.code == 2
    assert LAB_SECRET not in result.stdout + result.stderr
    assert doc["inconclusive"] == []


@pytest.mark.lab
@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s not in ("incident", "latency")])
def test_each_scenario_ranks_its_cause_first(scenario: str) -> None:
    doc = run_cli("demo", scenario, "--format", "json", timeout=60).json()
    expected = SCENARIOS[scenario].expect
    ids = [f["id"] for f in doc["findings"]]
    if not expected:
        assert (doc["status"], ids) == ("ok", [])
    else:
        assert ids[0] in expected and set(expected) <= set(ids), ids


@pytest.mark.lab
def test_cross_family_root_cause_absorbs_consequences() -> None:
    """Cloudflare 522 explains the failed smoke tests and the error rate the sampler saw."""
    doc = run_cli("demo", "http", "--format", "json").json()
    assert [f["id"] for f in doc["findings"]] == ["http.cloudflare-522"]
    explained = {e["id"] for e in doc["findings"][0]["explains"]}
    assert {"smoke.homepage", "latency.error-rate-over-budget"} <= explained


@pytest.mark.lab
def test_demo_text_tells_what_the_lab_plays() -> None:
    result = run_cli("demo", "dns")
    assert "lab: dns:" in result.stderr
    assert "1. [CRITICAL] dns.nxdomain" in result.stdout


@pytest.mark.lab
def test_demo_list_names_a_scenario_per_family() -> None:
    out = run_cli("demo", "--list").stdout
    for name in (
        "incident",
        "healthy",
        "dns",
        "tls",
        "http",
        "webhooks",
        "latency",
        "deploy",
        "cf-522",
    ):
        assert f"  {name} " in out


@pytest.mark.lab
def test_all_needs_something_to_check(tmp_path: Path) -> None:
    (tmp_path / "diagnose.toml").write_text("[run]\ntimeout = 5\n")
    result = run_cli("all", cwd=tmp_path)
    assert_clean_error(result)
    assert "diagnose init" in result.stderr


def test_all_with_only_smoke(tmp_path: Path, lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("health-failing")
    (tmp_path / "diagnose.toml").write_text(
        f'[service]\nurl = "{app.url}"\nconvex_url = "{app.url}"\n'
    )
    result = run_cli("all", "--format", "json", cwd=tmp_path)
    assert result.code == 2
    assert result.json()["findings"][0]["id"] == "smoke.health"


@pytest.mark.lab
def test_lab_up_status_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A lab of the developer's own may be running: this one lives in its own folder.
    monkeypatch.setenv("DIAGNOSE_LAB_DIR", str(tmp_path / "lab"))
    up = run_cli("lab", "up", "healthy", timeout=60)
    try:
        assert up.code == 0, up.stderr
        assert "diagnose all --config" in up.stdout
        config = next(w for w in up.stdout.split() if w.endswith("diagnose.toml"))
        env = {"DODO_PAYMENTS_WEBHOOK_KEY": LAB_SECRET}
        result = run_cli("all", "--config", config, "--since", "10m", "--format", "json", env=env)
        assert (result.code, result.json()["status"]) == (0, "ok")
        assert run_cli("lab", "status").code == 0
        assert_clean_error(run_cli("lab", "up"))  # one lab at a time
    finally:
        down = run_cli("lab", "down")
    assert down.code == 0 and "stopped" in down.stdout
    assert run_cli("lab", "status").code == 1


@pytest.mark.lab
def test_init_detects_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "diagnose.toml"
    result = run_cli(
        "init", "--project", str(ROOT / "fixtures/projects/complete"), "-o", str(target)
    )
    assert result.code == 0, result.stderr
    text = target.read_text()
    assert 'pages_project = "dashtray-web"' in text and ".convex.site" in text
    assert_clean_error(run_cli("init", "-o", str(target)))
    # What init writes is a valid config: `all` reads it (and says what it can check).
    check = run_cli("all", "--config", str(target), "--format", "json", cwd=tmp_path, timeout=60)
    assert check.code in (0, 1, 2, 3) and "Traceback" not in check.stderr
    json.loads(check.stdout) if check.stdout.strip() else None


@pytest.mark.lab
def test_repeated_runs_do_not_spoil_their_own_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoint check's own unsigned POST must not turn later runs into 'missing headers'."""
    monkeypatch.setenv("DIAGNOSE_LAB_DIR", str(tmp_path / "lab"))
    up = run_cli("lab", "up", "incident", timeout=60)
    try:
        config = next(w for w in up.stdout.split() if w.endswith("diagnose.toml"))
        env = {"DODO_PAYMENTS_WEBHOOK_KEY": LAB_SECRET}
        firsts = []
        for _ in range(3):
            doc = run_cli(
                "all", "--config", config, "--since", "10m", "--format", "json", env=env
            ).json()
            firsts.append(doc["findings"][0]["id"])
            assert doc["facts"]["webhook.captures.own_checks"] >= 0
    finally:
        run_cli("lab", "down")
    assert firsts == ["webhook.secret-mismatch"] * 3
