"""`diagnose build` with no LOG: the latest failed GitHub Actions job's log, from the stand-in API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from diagnose.lab import vendor_apis
from tests.support.cli import ROOT, Result, run_cli

pytestmark = pytest.mark.lab
LOG = ROOT / "fixtures/build/module-not-found.gha.log"


@pytest.fixture
def github(
    clean_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[vendor_apis.GitHubState, dict[str, str], Path]]:
    state = vendor_apis.GitHubState()
    run, job = vendor_apis.github_failed_run(29679449, 399444496)
    state.runs = [run]
    state.jobs = {run["id"]: [job]}
    state.logs = {job["id"]: LOG.read_text(encoding="utf-8-sig")}
    with vendor_apis.github_api(state) as url:
        config = tmp_path / "diagnose.toml"
        config.write_text(f'[sources]\ngithub_api_url = "{url}"\ngithub_repo = "{state.repo}"\n')
        yield state, {**clean_env, "GITHUB_TOKEN": state.token}, config


def _run(env: dict[str, str], config: Path, *args: str) -> Result:
    return run_cli(
        "build", "--config", str(config), "--format", "json", "--timeout", "20", *args, env=env
    )


def test_no_log_reads_the_latest_failed_job_and_finds_its_cause(
    github: tuple[vendor_apis.GitHubState, dict[str, str], Path],
) -> None:
    state, env, config = github
    result = _run(env, config)
    doc = result.json()
    assert "build.module-not-found" in [f["id"] for f in doc["findings"]], result.stdout[:1500]
    assert doc["facts"]["source.github.build_log"]["status"] == "ok"
    assert "29679449" in doc["target"]
    # The token went to the API only; the signed log URL was fetched without it.
    signed = [auth for path, auth in state.requests if path.startswith("/_signed/")]
    assert signed == [None]
    assert all(
        auth == f"Bearer {state.token}"
        for path, auth in state.requests
        if not path.startswith("/_signed/")
    )
    assert state.token not in result.stdout + result.stderr


def test_a_log_file_wins_over_github(
    github: tuple[vendor_apis.GitHubState, dict[str, str], Path],
) -> None:
    state, env, config = github
    _run(env, config, str(ROOT / "fixtures/build/healthy.gha.log"))
    assert state.requests == []


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("bad-token", ["401", "Bad credentials", "GITHUB_TOKEN"]),
        ("rate-limited", ["403", "retry after", "wait for the reset"]),
        ("no-scope", ["403", "Actions: read"]),
    ],
)
def test_github_failures_are_evidence_with_their_fix(
    github: tuple[vendor_apis.GitHubState, dict[str, str], Path], setup: str, words: list[str]
) -> None:
    state, env, config = github
    if setup == "bad-token":
        env["GITHUB_TOKEN"] = "ghp_wrongTokenForTests00000000000000000000"
    elif setup == "rate-limited":
        state.rate_limited = True
    else:
        state.fail = 403
    result = _run(env, config)
    doc = result.json()
    probe = next(p for p in doc["probes"] if p["name"] == "sources")
    assert probe["status"] == "error"
    for word in words:
        assert word in probe["error"], probe["error"]
    assert "ghp_" not in result.stdout + result.stderr
    assert result.code == 3


def test_offline_reads_no_github(
    github: tuple[vendor_apis.GitHubState, dict[str, str], Path],
) -> None:
    state, env, config = github
    result = run_cli("build", "--config", str(config), "--offline", env=env)
    assert result.code == 3 and "nothing to read" in result.stderr
    assert state.requests == []


PAGES_LOG = ROOT / "fixtures/build/node-version.pages.log"


@pytest.mark.parametrize(
    ("status", "expect"), [("failure", "build.node-version"), ("success", None)]
)
def test_without_github_the_latest_failed_pages_build_is_read(
    clean_env: dict[str, str], tmp_path: Path, status: str, expect: str | None
) -> None:
    cf = vendor_apis.CloudflareState(projects={"dashtray": []})
    cf.deployments = [vendor_apis.pages_deployment("f64788e9a1b2c3d4", status)]
    cf.build_logs = {
        "f64788e9a1b2c3d4": vendor_apis.pages_log(PAGES_LOG.read_text(encoding="utf-8-sig"))
    }
    with vendor_apis.cloudflare_api(cf) as url:
        config = tmp_path / "diagnose.toml"
        config.write_text(
            f'[sources]\ncloudflare_api_url = "{url}"\ncloudflare_account_id = "{cf.account_id}"\n'
            'cloudflare_pages_project = "dashtray"\n'
        )
        result = _run({**clean_env, "CLOUDFLARE_API_TOKEN": cf.token}, config)
    doc = result.json()
    ids = [f["id"] for f in doc["findings"]]
    record = doc["facts"]["source.cloudflare.pages_build"]
    assert record["status"] == "ok"
    if expect:
        assert expect in ids and doc["facts"]["build.format"] == "cloudflare-pages"
    else:
        # The latest production build passed: that is what was asked, and the answer.
        assert record["count"] == 0 and not ids and "success" in record["window"]
