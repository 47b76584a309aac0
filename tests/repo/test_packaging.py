"""A non-editable install ships the rules and their cases, and can run `rules test`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import ROOT

pytestmark = pytest.mark.lab  # every test here starts a server or a process


def test_wheel_ships_rules_and_cases(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("diagnose-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    rules = sorted(
        p.relative_to(ROOT / "rules").as_posix() for p in (ROOT / "rules").rglob("*.yaml")
    )
    assert rules and all(f"diagnose/_data/rules/{r}" in names for r in rules)
    assert "diagnose/_data/rules/smoke/health.test.yaml" in names
    assert "diagnose/_data/rules/_bases/smoke-healthy.yaml" in names
    # Installed without the source tree, the package finds its own rules.
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for command, needle in ((["rules", "list"], "smoke.health"), (["rules", "test"], " 0 failed")):
        out = _run_installed(target, tmp_path, f"from diagnose.cli import main; main({command!r})")
        assert out.returncode == 0 and needle in out.stdout, out.stdout + out.stderr
    where = "from diagnose.paths import builtin_rules_dir; print(builtin_rules_dir())"
    assert "_data/rules" in _run_installed(target, tmp_path, where).stdout


def _run_installed(target: Path, cwd: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run Python code against the installed wheel only (no source tree on the path)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        timeout=120,
    )
