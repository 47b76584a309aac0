"""Fixtures for the live sources: the vendors' stand-ins, and the real Convex CLI when installed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.cli import ROOT

CLI_HINT = "scripts/ci/convex.sh installs it (.ci/run calls it)"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# Variables a developer's shell may hold that would point the sources at real systems.
LIVE_ENV = (
    "CONVEX_DEPLOY_KEY",
    "CONVEX_DEPLOYMENT",
    "CONVEX_SELF_HOSTED_URL",
    "CONVEX_SELF_HOSTED_ADMIN_KEY",
    "DODO_PAYMENTS_API_KEY",
    "GITHUB_TOKEN",
    "CLOUDFLARE_API_TOKEN",
)


def convex_cli() -> Path:
    """The npm convex CLI the CI script installs; skip (with the reason) when it is missing."""
    if shutil.which("node") is None:
        pytest.skip(f"node is not installed: {CLI_HINT}")
    given = os.environ.get("DIAGNOSE_TEST_CONVEX_CLI")
    path = Path(given) if given else ROOT / ".ci-cache/convex/node_modules/.bin/convex"
    if not path.is_file():
        pytest.skip(f"the npm convex package is not installed at {path}: {CLI_HINT}")
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment with no live credentials and a HOME of its own (no logged-in CLI)."""
    for name in LIVE_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in LIVE_ENV}
    env["HOME"] = str(home)
    yield env


def minutes_ago(m: float) -> datetime:
    """A time m minutes before the tests' NOW."""
    return NOW - timedelta(minutes=m)
