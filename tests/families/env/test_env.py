"""diagnose env on project folders: names, where used, masked hints; values never in the output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.families.env.dotenv import parse_dotenv
from tests.support.cli import ROOT

COMPLETE = ROOT / "fixtures" / "projects" / "complete"
ENVS = ROOT / "fixtures" / "projects" / "convex-env"
SECRETS = ("Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6n", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")


def run(*args: str, stdin: str | None = None) -> tuple[int, dict, str, str]:
    """Run diagnose env in a subprocess; return exit code, JSON report, raw stdout, stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "diagnose", "env", *args, "--format", "json"],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=ROOT,
        timeout=60,
    )
    report = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, report, proc.stdout, proc.stderr


@pytest.mark.lab
def test_complete_environment_is_ok() -> None:
    code, report, out, _ = run(
        "--project", str(COMPLETE), "--convex-env", str(COMPLETE / "convex.env")
    )
    assert (code, report["status"]) == (0, "ok")
    assert "DODO_PAYMENTS_WEBHOOK_KEY" in report["facts"]["env.required"]
    assert not any(s in out for s in SECRETS)


@pytest.mark.lab
@pytest.mark.parametrize(
    ("convex_env", "rule"),
    [
        ("missing.env", "env.missing"),
        ("empty.env", "env.empty"),
        ("placeholder.env", "env.placeholder"),
        ("malformed.env", "env.malformed"),
        ("test-mode.env", "env.test-key-in-prod"),
    ],
)
def test_convex_env_faults(convex_env: str, rule: str) -> None:
    code, report, out, _ = run("--project", str(COMPLETE), "--convex-env", str(ENVS / convex_env))
    assert code == 2
    assert report["findings"][0]["id"] == rule
    assert not any(s in out for s in SECRETS)
    assert "your-api-key-here" not in out  # even a placeholder is a value


@pytest.mark.lab
def test_missing_says_where_it_is_used() -> None:
    _, report, _, _ = run("--project", str(COMPLETE), "--convex-env", str(ENVS / "missing.env"))
    assert "convex/http.ts:9" in report["findings"][0]["message"]


@pytest.mark.lab
@pytest.mark.parametrize(
    ("env_file", "rule"),
    [("public-secret.env", "env.secret-in-public-var"), ("site-url.env", "env.malformed")],
)
def test_build_env_faults(env_file: str, rule: str) -> None:
    code, report, out, _ = run(
        "--project",
        str(COMPLETE),
        "--convex-env",
        str(COMPLETE / "convex.env"),
        "--env-file",
        str(ENVS / env_file),
    )
    assert code == 2
    assert report["findings"][0]["id"] == rule
    assert not any(s in out for s in SECRETS)


@pytest.mark.lab
def test_convex_env_from_stdin() -> None:
    code, report, _, _ = run(
        "--project", str(COMPLETE), "--convex-env", "-", stdin=(ENVS / "missing.env").read_text()
    )
    assert code == 2
    assert report["findings"][0]["id"] == "env.missing"


@pytest.mark.lab
def test_var_changed_after_build(tmp_path: Path) -> None:
    project = tmp_path / "web"
    shutil.copytree(COMPLETE, project)
    # What `vite build` left behind when VITE_CONVEX_URL was still the old deployment.
    (project / "dist" / "assets").mkdir(parents=True)
    (project / "dist" / "index.html").write_text('<script src="/assets/index-1.js"></script>')
    (project / "dist" / "assets" / "index-1.js").write_text(
        'const u="https://old-otter-999.convex.cloud";new Client(u);'
    )
    code, report, _, _ = run(
        "--project", str(project), "--convex-env", str(COMPLETE / "convex.env")
    )
    assert code == 1
    assert report["findings"][0]["id"] == "env.build-time-var"
    (project / "dist" / "assets" / "index-1.js").write_text(
        'const u="https://happy-otter-123.convex.cloud";new Client(u);'
    )
    code, report, _, _ = run(
        "--project", str(project), "--convex-env", str(COMPLETE / "convex.env")
    )
    assert (code, report["status"]) == (0, "ok")


@pytest.mark.lab
@pytest.mark.parametrize(
    "args", [(), ("--convex-env", "nope.env"), ("--project", "nope"), ("--env-file", str(ROOT))]
)
def test_bad_input_is_one_line_exit_3(args: tuple[str, ...]) -> None:
    code, _, _, err = run(*args)
    assert code == 3
    assert err.count("\n") == 1 and "Traceback" not in err


def test_dotenv_semantics() -> None:
    text = (
        "# comment\n"
        "export A=1\n"
        "B = two words # comment\n"
        "C='it\\'s'\n"
        'D="line1\\nline2"\n'
        "E='multi\nline'\n"
        "NAMEONLY\n"
        "F=a#b\n"
        "G=\n"
        "not a line\n"
    )
    entries, bad = parse_dotenv(text)
    got = {e.name: e.value for e in entries}
    assert got == {
        "A": "1",
        "B": "two words",
        "C": "it's",
        "D": "line1\nline2",
        "E": "multi\nline",
        "NAMEONLY": None,
        "F": "a#b",
        "G": "",
    }
    assert [b.line for b in bad] == [11]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"AB_=' \"\\#\nx\t", "export "])).map("".join))
def test_any_text_is_read_or_reported(text: str) -> None:
    entries, bad = parse_dotenv(text)
    assert all(e.name and e.line >= 1 for e in entries)
    assert all(b.line >= 1 for b in bad)
