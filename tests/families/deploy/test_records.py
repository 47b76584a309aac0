"""The deployment record built from flags and a CI job's variables, before it is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from diagnose.errors import BadInput
from diagnose.families.deploy.given import ENVIRONMENT, Given
from diagnose.families.deploy.records import from_flags
from diagnose.redact import Redactor

NOW = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_REF_NAME": "main",
    "GITHUB_ACTOR": "octocat",
    "USER": "runner",
}


def test_flags_win_over_the_ci_job() -> None:
    got = from_flags(Given(version="v1.2.0", by="ana", at="10m"), GITHUB, NOW, Redactor())
    assert (got.version, got.deployed_by, got.commit) == ("v1.2.0", "ana", GITHUB["GITHUB_SHA"])
    assert got.deployed_at == "2026-03-11T10:50:00.000Z"
    assert (got.source, got.environment) == ("github-actions", ENVIRONMENT)


def test_the_ci_job_fills_what_no_flag_gave() -> None:
    got = from_flags(Given(), GITHUB, NOW, Redactor())
    assert got.version == "main@0123456" and got.deployed_by == "octocat"


def test_outside_ci_user_is_who_deployed_and_notes_are_masked() -> None:
    secret = "sk_live_" + "9" * 24
    given = Given(version="v1", commit="abc1234", notes=f"rotated key {secret}")
    got = from_flags(given, {"USER": "ana"}, NOW, Redactor([secret]))
    assert got.source == "flags" and got.deployed_by == "ana"
    assert secret not in (got.changes or "") and "rotated key" in (got.changes or "")


def test_without_version_or_commit_it_says_which_is_missing() -> None:
    with pytest.raises(BadInput, match="no --version and --commit: give"):
        from_flags(Given(), {}, NOW, Redactor())
    with pytest.raises(BadInput, match="no --commit: give"):
        from_flags(Given(version="v1"), {}, NOW, Redactor())
