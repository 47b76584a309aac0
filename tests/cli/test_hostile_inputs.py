"""Issue 21, points 13, 14, 19 (third round): inputs the attack table found still open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import ROOT


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from diagnose.cli import main

    with pytest.raises(SystemExit) as done:
        main(args)
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


@pytest.mark.lab
@pytest.mark.parametrize("command", ["webhooks", "latency"])
def test_13_an_endless_stdin_log_ends_without_an_abort(command: str) -> None:
    # The probe's daemon thread is still reading when the deadline ends the run; it held
    # sys.stdin's lock, and the interpreter's shutdown aborted (exit 134) after the report.
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(
            [sys.executable, "-m", "diagnose", command, "--log", "-", "--timeout", "1"],
            stdin=zero, capture_output=True, text=True, timeout=120, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
        )  # fmt: skip
    assert done.returncode in (0, 1, 2, 3), (done.returncode, done.stderr[-500:])
    assert "Fatal Python error" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_14_latency_ca_file_must_be_a_regular_file(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ca.pem"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    code, out, err = _main(["latency", "http://127.0.0.1:9/", "--ca-file", str(path)], capsys)
    assert code == 3 and not out and "not a regular file" in err


def _planted_project(tmp_path: Path, kind: str) -> Path:
    project = tmp_path / "project"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / "scripts").mkdir()
    (project / ".env.production").write_text("VITE_CONVEX_URL=https://x.convex.cloud\n")
    for planted in (
        ".github/workflows/deploy.yml",
        "scripts/deploy.sh",
        ".env.example",
        "Makefile",
    ):
        if kind == "fifo":
            os.mkfifo(project / planted)
        else:
            (project / planted).symlink_to("/dev/zero")
    return project


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("command", [["env"], ["checklist", "pre-deploy"]])
def test_13_14_project_files_planted_as_pipes_are_skipped(
    command: list[str], kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _planted_project(tmp_path, kind)
    code, _out, err = _main([*command, "--project", str(project), "--timeout", "5"], capsys)
    assert "internal error" not in err and code in (0, 1, 2, 3), err
    assert "did not finish within" not in _out, _out  # skipped, not read until the deadline


def test_13_read_project_text_never_blocks_or_grows(tmp_path: Path) -> None:
    from diagnose.safefiles import read_project_text

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "zero").symlink_to("/dev/zero")
    (tmp_path / "big").write_bytes(b"x" * 2048)
    (tmp_path / "ok").write_text("name: deploy\n")
    assert read_project_text(tmp_path / "fifo") is None
    assert read_project_text(tmp_path / "zero") is None
    assert read_project_text(tmp_path / "big", limit=1024) is None
    assert read_project_text(tmp_path / "missing") is None
    assert read_project_text(tmp_path / "ok") == "name: deploy\n"
