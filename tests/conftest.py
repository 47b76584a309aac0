"""Shared test helpers: run the CLI in a subprocess, start the lab app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    """What a CLI run printed and returned."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """Parse stdout as JSON."""
        return json.loads(self.stdout)


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> Result:
    """Run `python -m diagnose ARGS` for real, as a user would."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "diagnose", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=stdin,
        cwd=cwd,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_error(result: Result) -> None:
    """Bad input: exit 3, one line on stderr, no traceback."""
    assert result.code == 3, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("diagnose: ")


@pytest.fixture(autouse=True)
def _own_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test remembers its own endpoint checks (diagnose/webhooks/own_checks.py) only."""
    monkeypatch.setenv("DIAGNOSE_OWN_CHECKS", str(tmp_path / "endpoint-checks.txt"))


@pytest.fixture
def lab() -> Iterator[Any]:
    """Return a starter: lab("cf-522") -> a running app (stopped after the test)."""
    from contextlib import ExitStack

    from diagnose.lab.http_app import serve

    with ExitStack() as stack:
        yield lambda scenario: stack.enter_context(serve(scenario))
