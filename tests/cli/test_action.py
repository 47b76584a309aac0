"""The composite GitHub Action's script in a simulated Actions job: its variables and files."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.support.cli import ROOT

SCRIPT = ROOT / "scripts/action/run.sh"


def _job(
    tmp_path: Path, command: str, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))},
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_WORKSPACE": str(tmp_path),
        "DIAGNOSE_SKIP_INSTALL": "1",  # the test's interpreter already has diagnose
        "DIAGNOSE_PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
        "INPUT_COMMAND": command,
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    ran = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)  # fmt: skip
    return ran, summary, output


def test_action_yml_runs_the_script_it_ships() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    step = action["runs"]["steps"][0]
    assert action["runs"]["using"] == "composite"
    assert "scripts/action/run.sh" in step["run"] and step["shell"] == "bash"
    assert set(action["inputs"]) >= {"command", "fail-on", "junit"}


@pytest.mark.lab
def test_a_critical_finding_fails_the_gate_with_annotation_summary_and_junit(
    tmp_path: Path,
) -> None:
    (tmp_path / "prod.env").write_text(
        "DODO_PAYMENTS_API_KEY=changeme\nSITE_URL=https://dashtray.com\n"
    )
    ran, summary, output = _job(tmp_path, "env --env-file prod.env", junit="junit.xml")
    assert ran.returncode == 2, ran.stderr
    errors = [x for x in ran.stderr.splitlines() if x.startswith("::error ")]
    assert errors and errors[0].startswith("::error file=prod.env,line=1,title=env.placeholder::")
    assert "changeme" not in ran.stderr + ran.stdout + summary.read_text()  # the secret stays out
    assert summary.read_text().startswith("## ") and "`env.placeholder`" in summary.read_text()
    assert "status=critical\nexit-code=2\n" == output.read_text()
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert suite.get("failures") == "1"


@pytest.mark.lab
def test_a_healthy_run_passes_and_bad_input_fails(tmp_path: Path) -> None:
    (tmp_path / "prod.env").write_text("SITE_URL=https://dashtray.com\n")
    ok, _, output = _job(tmp_path, "env --env-file prod.env", junit="")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "status=" in output.read_text() and "::error" not in ok.stderr
    bad, _, _ = _job(tmp_path, "env --env-file missing.env")
    assert bad.returncode == 3
    wrong, _, _ = _job(tmp_path, "env --env-file prod.env", fail_on="sometimes")
    assert wrong.returncode == 3 and "fail-on must be" in wrong.stdout
