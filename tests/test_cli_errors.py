"""Bad input anywhere: one clear line naming what was wrong, exit 3, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_clean_error, run_cli


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["smoke", "--url", "dashtray.com"], "bad --url 'dashtray.com'"),
        (["smoke", "--url", "ftp://dashtray.com"], "bad --url"),
        (["smoke", "--url", "http://127.0.0.1:99999"], "port"),
        (["smoke"], "no URL"),
        (["smoke", "--url", "http://x", "--timeout", "-1"], "bad --timeout"),
        (["smoke", "--url", "http://x", "--timeout", "soon"], "soon"),
        (["smoke", "--url", "http://x", "--now", "yesterday-ish"], "bad time 'yesterday-ish'"),
        (["smoke", "--url", "http://x", "--format", "yaml"], "yaml"),
        (["smoke", "--url", "http://x", "--rules", "/no/such/dir"], "--rules /no/such/dir"),
        (["smoke", "--url", "http://x", "--config", "/no/such.toml"], "no such file"),
        (["smoke", "--bogus"], "No such option"),
        (["nosuchcommand"], "No such command"),
        (["replay", "/no/such/facts.json"], "no such file"),
        (["rules", "show", "tls.nope"], "unknown rule id 'tls.nope'"),
        (["rules", "lint", "/no/such/dir"], "not a folder"),
        (["demo", "nope"], "unknown scenario 'nope'"),
        (["incident-nope"], "No such command"),
    ],
)
def test_bad_input_is_one_line_exit_3(args: list[str], needle: str) -> None:
    result = run_cli(*args)
    assert_clean_error(result)
    assert needle in result.stderr


def test_invalid_facts_json(tmp_path: Path) -> None:
    bad = tmp_path / "facts.json"
    bad.write_text('{"schema": "diagnose/facts@1",\n "facts": [}')
    result = run_cli("replay", str(bad))
    assert_clean_error(result)
    assert f"{bad}:2: not valid JSON" in result.stderr


@pytest.mark.parametrize(
    "content",
    [
        "[1, 2]",
        '{"schema": "other@1"}',
        '{"schema": "diagnose/facts@1", "command": "smoke"}',
        "\xff\xfe",
    ],
)
def test_not_a_facts_file(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "facts.json"
    bad.write_text(content, encoding="latin-1")
    assert_clean_error(run_cli("replay", str(bad)))


def test_bad_config(tmp_path: Path) -> None:
    cfg = tmp_path / "diagnose.toml"
    cfg.write_text("[service]\nurl = 'https://dashtray.com'\nulr = 'typo'\n")
    result = run_cli("smoke", "--config", str(cfg))
    assert_clean_error(result)
    assert "unknown key service.ulr" in result.stderr
    cfg.write_text("[service\n")
    assert_clean_error(run_cli("smoke", "--config", str(cfg)))


def test_config_found_in_current_folder(tmp_path: Path, lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("health-failing")
    (tmp_path / "diagnose.toml").write_text(
        f"[service]\nurl = '{app.url}'\nconvex_url = '{app.url}'\n"
    )
    result = run_cli("smoke", "--format", "json", cwd=tmp_path)
    assert result.code == 2
    assert result.json()["findings"][0]["id"] == "smoke.health"


def test_unwritable_output(lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("healthy")
    result = run_cli("smoke", "--url", app.url, "--output", "/no/such/dir/out.txt")
    assert_clean_error(result)
    assert "cannot write /no/such/dir/out.txt" in result.stderr


def test_help_and_version() -> None:
    result = run_cli("--help")
    assert result.code == 0
    for name in (
        "smoke",
        "ssl",
        "dns",
        "webhooks",
        "env",
        "build",
        "latency",
        "replay",
        "incident",
        "rules",
        "demo",
    ):
        assert f"  {name}" in result.stdout
    assert run_cli("--version").code == 0
