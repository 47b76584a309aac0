"""`diagnose env` with a GitHub token: the secret and variable names the workflows use, set or not."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from diagnose.lab import vendor_apis
from tests.sources.conftest import convex_cli
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


@pytest.fixture
def convex_project(
    tmp_path: Path, clean_env: dict[str, str]
) -> Iterator[tuple[vendor_apis.ConvexBackendState, dict[str, str], Path, Path]]:
    """The sample project (with convex in its package.json, as `env list` requires), and the
    stand-in deployment holding the variables of its saved convex.env."""
    cli = convex_cli()
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    package = project / "package.json"
    doc = json.loads(package.read_text())
    doc["dependencies"] = {"convex": "1.48.0"}
    package.write_text(json.dumps(doc))
    saved = (project / "convex.env").read_text().splitlines()
    state = vendor_apis.ConvexBackendState(env_vars=dict(ln.split("=", 1) for ln in saved if ln))
    with vendor_apis.convex_backend(state) as url:
        config = tmp_path / "diagnose.toml"
        config.write_text(f'[sources]\nconvex_cli = "{cli}"\n')
        env = {
            **clean_env,
            "CONVEX_SELF_HOSTED_URL": url,
            "CONVEX_SELF_HOSTED_ADMIN_KEY": state.admin_key,
        }
        yield state, env, config, project


def _env_run(env: dict[str, str], config: Path, project: Path, *args: str) -> Result:
    return run_cli(
        "env", "--config", str(config), "--project", str(project), "--timeout", "30",
        "--format", "json", *args, env=env, timeout=90,
    )  # fmt: skip


def test_convex_env_list_through_the_real_cli_is_the_deployments_variables(
    convex_project: tuple[vendor_apis.ConvexBackendState, dict[str, str], Path, Path],
) -> None:
    state, env, config, project = convex_project
    result = _env_run(env, config, project)
    doc = result.json()
    record = doc["facts"]["source.convex.env"]
    assert record["status"] == "ok" and record["count"] == 3, record
    assert state.sync[:2] == ["Connect", "Authenticate"]
    assert vendor_apis.convex_sync.ENV_QUERY in state.sync
    ids = [f["id"] for f in doc["findings"]]
    assert "env.missing" not in ids, doc["findings"]
    assert doc["facts"]["env.unchecked"] == []  # the deployment's side was checked
    # The values were read (and judged), never written out; the admin key neither.
    for secret in (state.admin_key, state.env_vars["DODO_PAYMENTS_API_KEY"]):
        assert secret not in result.stdout + result.stderr


def test_a_variable_the_code_needs_missing_on_the_deployment_fires(
    convex_project: tuple[vendor_apis.ConvexBackendState, dict[str, str], Path, Path],
) -> None:
    state, env, config, project = convex_project
    del state.env_vars["DODO_PAYMENTS_WEBHOOK_KEY"]
    doc = _env_run(env, config, project).json()
    finding = next(f for f in doc["findings"] if f["id"] == "env.missing")
    assert "DODO_PAYMENTS_WEBHOOK_KEY" in finding["message"]
    assert "convex env list" in " ".join(doc["facts"]["env.sources"])


def test_a_test_mode_key_on_the_production_deployment_is_judged_from_its_value(
    convex_project: tuple[vendor_apis.ConvexBackendState, dict[str, str], Path, Path],
) -> None:
    state, env, config, project = convex_project
    state.env_vars["DODO_PAYMENTS_ENVIRONMENT"] = "test_mode"
    result = _env_run(env, config, project)
    ids = [f["id"] for f in result.json()["findings"]]
    assert "env.test-key-in-prod" in ids, result.stdout[:2000]


def test_names_only_reads_no_value(
    convex_project: tuple[vendor_apis.ConvexBackendState, dict[str, str], Path, Path],
) -> None:
    state, env, config, project = convex_project
    config.write_text(config.read_text() + "convex_env_values = false\n")
    state.env_vars["DODO_PAYMENTS_ENVIRONMENT"] = "test_mode"
    doc = _env_run(env, config, project).json()
    assert doc["facts"]["source.convex.env"]["count"] == 3
    assert "env.test-key-in-prod" not in [f["id"] for f in doc["findings"]]
    assert "env.missing" not in [f["id"] for f in doc["findings"]]


def test_a_refused_admin_key_is_a_failure_with_its_fix_not_a_hang(
    convex_project: tuple[vendor_apis.ConvexBackendState, dict[str, str], Path, Path],
) -> None:
    state, env, config, project = convex_project
    env["CONVEX_SELF_HOSTED_ADMIN_KEY"] = "not-the-key"
    result = _env_run(env, config, project)
    doc = result.json()
    record = doc["facts"]["source.convex.env"]
    assert record["status"] == "failed" and record["failure"] == "auth", record
    assert "invalid for this instance" in record["error"]
    assert "CONVEX_SELF_HOSTED_ADMIN_KEY" in record["fix"]
    assert "not-the-key" not in result.stdout + result.stderr
    # The deployment's side is unchecked, not judged from nothing.
    assert "env.missing" not in [f["id"] for f in doc["findings"]]


def test_a_deploy_key_without_the_permission_is_forbidden_with_its_fix(
    convex_project: tuple[vendor_apis.ConvexBackendState, dict[str, str], Path, Path],
) -> None:
    state, env, config, project = convex_project
    state.env_forbidden = True
    record = _env_run(env, config, project).json()["facts"]["source.convex.env"]
    assert record["status"] == "failed" and record["failure"] == "forbidden", record
    assert "You do not have permission" in record["error"]


def test_a_saved_convex_env_file_wins_over_the_cli(
    convex_project: tuple[vendor_apis.ConvexBackendState, dict[str, str], Path, Path],
) -> None:
    state, env, config, project = convex_project
    doc = _env_run(env, config, project, "--convex-env", str(project / "convex.env")).json()
    assert state.requests == []  # the CLI never ran
    assert "source.convex.env" not in doc["facts"]
