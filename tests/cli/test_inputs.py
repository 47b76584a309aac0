"""Every diagnosing command that reads a file, given no input, an empty file, garbage, and a
UTF-16 copy of a real fixture (PowerShell's `>` writes UTF-16): exit 3 with a reason for the
first three, the same verdict as the UTF-8 file for the last (issue 19)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import ROOT

FIXTURES = ROOT / "fixtures"
# command -> (the command line for a file, a real fixture it reads)
Build = Callable[[str], list[str]]
COMMANDS: dict[str, tuple[Build, Path]] = {
    "webhooks --log": (
        lambda f: ["webhooks", "--log", f],
        FIXTURES / "webhooks/convex-healthy.log",
    ),
    "webhooks --log jsonl": (
        lambda f: ["webhooks", "--log", f],
        FIXTURES / "webhooks/convex-handler-errors.jsonl",
    ),
    "webhooks --capture": (
        lambda f: ["webhooks", "--capture", f],
        FIXTURES / "webhooks/deliveries.har",
    ),
    "build": (lambda f: ["build", f], FIXTURES / "build/type-error.raw.log"),
    "build healthy": (lambda f: ["build", f], FIXTURES / "build/healthy.gha.log"),
    "latency --log clf": (lambda f: ["latency", "--log", f], FIXTURES / "latency/access.log"),
    "latency --log logpush": (
        lambda f: ["latency", "--log", f],
        FIXTURES / "latency/http_requests.jsonl",
    ),
    "latency --log convex": (lambda f: ["latency", "--log", f], FIXTURES / "latency/convex.jsonl"),
    "env --env-file": (
        lambda f: ["env", "--env-file", f],
        FIXTURES / "projects/complete/.env.production",
    ),
    "env --convex-env": (
        lambda f: ["env", "--convex-env", f],
        FIXTURES / "projects/complete/convex.env",
    ),
}
BARE = sorted({c.split()[0] for c in COMMANDS})
# Bytes no reader can take for its format: binary noise, and text that is no log line.
GARBAGE = {
    "binary": bytes(range(256)) * 8,
    "text": b"".join(
        b"%d lorem ipsum ~~~ \x7f not a log line <<<>>> %d\n" % (i, i * 7) for i in range(40)
    ),
}
NOW = "2026-11-27T10:00:00Z"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    from diagnose.cli import main

    with pytest.raises(SystemExit) as done:
        main([*args, "--format", "json", "--now", NOW])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return int(done.value.code or 0), json.loads(out.out) if out.out.strip() else None, out.err


def _says_why(code: int, doc: dict | None, err: str) -> None:
    """Exit 3, and either one clear line on stderr or a report whose notes say what to give."""
    assert code == 3, (code, doc and doc["status"], doc and doc["findings"][:1])
    if doc is None:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("diagnose: "), err
        return
    assert doc["status"] == "unknown"
    assert any(n.startswith("nothing checked") for n in doc["notes"]), doc["notes"]


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no diagnose.toml is, with no webhook secret in the environment."""
    monkeypatch.chdir(tmp_path)
    # The per-test incident log and endpoint checks (tests/conftest.py) stay: they isolate.
    keep = {"DIAGNOSE_INCIDENT_DB", "DIAGNOSE_OWN_CHECKS"}
    for name in list(os.environ):
        if name.startswith(("DODO_PAYMENTS", "DIAGNOSE_")) and name not in keep:
            monkeypatch.delenv(name)


@pytest.mark.parametrize("command", BARE)
def test_no_input(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    _says_why(*_run([command], capsys))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_empty_input(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.input"
    path.write_bytes(b"")
    _says_why(*_run(COMMANDS[command][0](str(path)), capsys))


@pytest.mark.parametrize("kind", sorted(GARBAGE))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_garbage(
    command: str, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{kind}.input"
    path.write_bytes(GARBAGE[kind])
    _says_why(*_run(COMMANDS[command][0](str(path)), capsys))


def _verdict(doc: dict | None) -> tuple[str, list[str]]:
    assert doc is not None
    return doc["status"], [f["id"] for f in doc["findings"]]


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_utf16_copy_reads_the_same(
    command: str, bom: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build, fixture = COMMANDS[command]
    text = fixture.read_text(encoding="utf-8")
    copy = tmp_path / f"utf16-{fixture.name}"
    # What PowerShell 5's `>` writes: UTF-16 LE with a BOM, CRLF line ends.
    copy.write_bytes(
        ("\ufeff" if bom else "").encode("utf-16-le")
        + text.replace("\n", "\r\n").encode("utf-16-le")
    )
    code, doc, err = _run(build(str(fixture)), capsys)
    code16, doc16, err16 = _run(build(str(copy)), capsys)
    assert (code16, _verdict(doc16)) == (code, _verdict(doc)), err16
