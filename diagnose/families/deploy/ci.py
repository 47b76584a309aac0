"""What a CI job's environment says about the deployment it is running."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FromCI:
    """The fields a CI environment gave; None where it said nothing."""

    source: str
    version: str | None = None
    commit: str | None = None
    deployed_by: str | None = None
    changes: str | None = None


def _version(tag: str | None, branch: str | None, sha: str | None) -> str | None:
    # A tag is the release (v1.2.0); a branch build is named by branch and short commit.
    if tag:
        return tag
    if branch and sha:
        return f"{branch}@{sha[:7]}"
    return None


def from_env(env: Mapping[str, str]) -> FromCI | None:
    """Read GitHub Actions, Cloudflare Pages or GitLab CI variables; None outside CI."""
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_SHA"):
        sha = env.get("GITHUB_SHA")
        ref = env.get("GITHUB_REF_NAME")
        is_tag = env.get("GITHUB_REF_TYPE") == "tag" or env.get("GITHUB_REF", "").startswith(
            "refs/tags/"
        )
        run = None
        if env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
            server = env.get("GITHUB_SERVER_URL", "https://github.com")
            run = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
        return FromCI(
            "github-actions",
            _version(ref if is_tag else None, None if is_tag else ref, sha),
            sha,
            env.get("GITHUB_TRIGGERING_ACTOR") or env.get("GITHUB_ACTOR"),
            f"CI run: {run}" if run else None,
        )
    if env.get("CF_PAGES") == "1" or env.get("CF_PAGES_COMMIT_SHA"):
        sha = env.get("CF_PAGES_COMMIT_SHA")
        url = env.get("CF_PAGES_URL")
        return FromCI(
            "cloudflare-pages",
            _version(None, env.get("CF_PAGES_BRANCH"), sha),
            sha,
            None,
            f"Pages build: {url}" if url else None,
        )
    if env.get("GITLAB_CI") == "true" or env.get("CI_COMMIT_SHA"):
        sha = env.get("CI_COMMIT_SHA")
        return FromCI(
            "gitlab-ci",
            _version(env.get("CI_COMMIT_TAG"), env.get("CI_COMMIT_REF_NAME"), sha),
            sha,
            env.get("GITLAB_USER_LOGIN"),
            env.get("CI_COMMIT_TITLE"),
        )
    return None
