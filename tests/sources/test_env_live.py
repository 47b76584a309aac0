"""`diagnose env` with a GitHub token: the secret and variable names the workflows use, set or not."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from diagnose.lab import vendor_apis
from tests.support.cli import ROOT, Result, run_cli

pytestmark = pytest.mark.lab
PROJECT = (
    ROOT / "fixtures/projects/complete"
)  # deploy.yml: secrets.CONVEX_DEPLOY_KEY, vars.VITE_CONVEX_URL


@pytest.fixture
def github(
    clean_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[vendor_apis.GitHubState, dict[str, str], Path]]:
    state = vendor_apis.GitHubState(
        secrets=["CONVEX_DEPLOY_KEY"],
        variables={"VITE_CONVEX_URL": "https://happy-otter-123.convex.cloud"},
    )
    with vendor_apis.github_api(state) as url:
        config = tmp_path / "diagnose.toml"
        config.write_text(f'[sources]\ngithub_api_url = "{url}"\ngithub_repo = "{state.repo}"\n')
        yield state, {**clean_env, "GITHUB_TOKEN": state.token}, config


def _run(env: dict[str, str], config: Path, *args: str) -> Result:
    return run_cli("env", "--config", str(config), "--format", "json", *args, env=env)


def test_names_set_for_every_workflow_reference_are_quiet_and_values_never_read(
    github: tuple[vendor_apis.GitHubState, dict[str, str], Path],
) -> None:
    state, env, config = github
    result = _run(env, config, "--project", str(PROJECT))
    doc = result.json()
    assert "env.github-secret-missing" not in [f["id"] for f in doc["findings"]]
    assert doc["facts"]["github.secret_names"] == ["CONVEX_DEPLOY_KEY"]
    assert "happy-otter-123.convex.cloud" not in result.stdout  # a variable's value is dropped
    assert state.token not in result.stdout + result.stderr


def test_a_secret_the_workflow_uses_but_nobody_set_fires(
    github: tuple[vendor_apis.GitHubState, dict[str, str], Path],
) -> None:
    state, env, config = github
    state.secrets = []
    doc = _run(env, config, "--project", str(PROJECT)).json()
    finding = next(f for f in doc["findings"] if f["id"] == "env.github-secret-missing")
    assert "secrets.CONVEX_DEPLOY_KEY (.github/workflows/deploy.yml)" in finding["message"]
    assert f"gh secret set CONVEX_DEPLOY_KEY --repo {state.repo}" in finding["commands"]


def test_a_secret_set_on_the_jobs_environment_counts(
    github: tuple[vendor_apis.GitHubState, dict[str, str], Path], tmp_path: Path
) -> None:
    state, env, config = github
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    wf = project / ".github/workflows/deploy.yml"
    wf.write_text(
        wf.read_text().replace(
            "    runs-on: ubuntu-latest\n",
            "    runs-on: ubuntu-latest\n    environment: production\n",
        )
    )
    state.secrets = []
    state.environment_secrets = {"production": ["CONVEX_DEPLOY_KEY"]}
    doc = _run(env, config, "--project", str(project)).json()
    assert doc["facts"]["github.environments"] == ["production"]
    assert "env.github-secret-missing" not in [f["id"] for f in doc["findings"]]
    paths = [p for p, _ in state.requests]
    assert any(p.startswith(f"/repos/{state.repo}/environments/production/secrets") for p in paths)


def test_a_token_without_secrets_read_is_evidence_with_its_fix(
    github: tuple[vendor_apis.GitHubState, dict[str, str], Path],
) -> None:
    state, env, config = github
    state.fail = 403
    doc = _run(env, config, "--project", str(PROJECT)).json()
    probe = next(p for p in doc["probes"] if p["name"] == "github_names")
    assert probe["status"] == "error" and "Secrets: read" in probe["error"]
    assert any(i["id"] == "env.github-secret-missing" for i in doc["inconclusive"])


def test_cloudflare_pages_env_names_count_as_set_for_the_build(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    cf = vendor_apis.CloudflareState(
        projects={"dashtray": []},
        env_vars={"production": {"VITE_CONVEX_URL": "https://happy-otter-123.convex.cloud"}},
    )
    with vendor_apis.cloudflare_api(cf) as url:
        config = tmp_path / "diagnose.toml"
        config.write_text(
            f'[sources]\ncloudflare_api_url = "{url}"\ncloudflare_account_id = "{cf.account_id}"\n'
            'cloudflare_pages_project = "dashtray"\n'
        )
        env = {**clean_env, "CLOUDFLARE_API_TOKEN": cf.token}
        result = _run(env, config, "--project", str(PROJECT))
    doc = result.json()
    record = doc["facts"]["source.cloudflare.pages_env"]
    assert record["status"] == "ok" and record["count"] == 1
    assert "happy-otter-123.convex.cloud" not in result.stdout  # names only
    assert any(p.endswith("/pages/projects/dashtray") for p, _ in cf.requests)
