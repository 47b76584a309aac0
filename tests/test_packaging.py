"""A non-editable install ships the rules and their cases."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


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
    assert "diagnose/_data/rule_cases/smoke.health.yaml" in names
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
    out = subprocess.run(
        [sys.executable, "-c", "from diagnose.cli import main; main(['rules','list'])"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        timeout=60,
    )
    assert "smoke.health" in out.stdout, out.stderr
    assert (
        "_data/rules"
        in subprocess.run(
            [
                sys.executable,
                "-c",
                "from diagnose.paths import builtin_rules_dir; print(builtin_rules_dir())",
            ],
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(target)},
            cwd=tmp_path,
        ).stdout
    )
