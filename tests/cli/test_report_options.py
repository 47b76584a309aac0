"""The report options every diagnosing command shares: --brief, --junit, refusing `-o json`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.cli import assert_clean_error, run_cli


@pytest.mark.lab
@pytest.mark.parametrize("name", ["json", "markdown", "md", "junit"])
def test_a_bare_format_name_is_refused_as_an_output_file(tmp_path: Path, name: str) -> None:
    env_file = tmp_path / "prod.env"
    env_file.write_text("SITE_URL=https://dashtray.example\n")
    result = run_cli("env", "--env-file", str(env_file), "-o", name, cwd=tmp_path)
    assert_clean_error(result)
    assert "did you mean --" in result.stderr and f"./{name}" in result.stderr
    assert not (tmp_path / name).exists()


@pytest.mark.lab
def test_brief_and_junit_on_replay(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = lab("auth-failing")
    facts = tmp_path / "facts.json"
    run_cli("smoke", "--url", app.url, "--save-facts", str(facts), "--now", "2026-11-27T10:00:00Z")
    junit = tmp_path / "replay.xml"
    full = run_cli("replay", str(facts), env={"COLUMNS": "80"})
    brief = run_cli("replay", str(facts), "--brief", "--junit", str(junit), env={"COLUMNS": "80"})
    assert brief.code == full.code == 2
    first = brief.stdout.splitlines()
    assert first[0].startswith("CRITICAL smoke.auth") or first[0].startswith("CRITICAL ")
    assert full.stdout.startswith(brief.stdout.rstrip("\n"))
    assert "fix:" in full.stdout and "fix:" not in brief.stdout
    # Prose wraps to COLUMNS; only pasted commands (`$ ...`) may be longer.
    assert all(len(x) <= 80 for x in full.stdout.splitlines() if not x.lstrip().startswith("$ "))
    suite = ET.parse(junit).getroot()
    assert int(suite.get("failures", "0")) >= 1
