"""Bad input anywhere: one clear line naming what was wrong, exit 3, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import assert_clean_error, run_cli


@pytest.mark.lab
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
        (["dns", "exa mple.com"], "bad DOMAIN"),
        (["dns", "dashtray.test", "--resolver", "resolver.example"], "--resolver"),
        (["dns", "dashtray.test", "--resolver", "127.0.0.1:0"], "--resolver"),
        (["ssl", "https://dashtray.com"], "not a URL"),
        (["ssl", "dashtray.test", "--connect-to", "nothost:443"], "--connect-to"),
        (["ssl", "dashtray.test", "--resolver", "127.0.0.1:99999"], "--resolver"),
        (["ssl", "dashtray.test", "--ca-file", "/nonexistent.pem"], "--ca-file"),
    ],
)
def test_bad_input_is_one_line_exit_3(args: list[str], needle: str) -> None:
    result = run_cli(*args)
    assert_clean_error(result)
    assert needle in result.stderr


@pytest.mark.lab
def test_invalid_facts_json(tmp_path: Path) -> None:
    bad = tmp_path / "facts.json"
    bad.write_text('{"schema": "diagnose/facts@1",\n "facts": [}')
    result = run_cli("replay", str(bad))
    assert_clean_error(result)
    assert f"{bad}:2: not valid JSON" in result.stderr


@pytest.mark.lab
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


@pytest.mark.lab
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


@pytest.mark.lab
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


@pytest.mark.lab
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["webhooks", "--log", "/dev/null", "--since", "99999999999d"], "too long"),
        (["webhooks", "--log", "/dev/null", "--since", "3000000d"], "before year 1"),
        (["webhooks", "--log", "/dev/null", "--since", ""], "empty time"),
        (["replay", "/dev/null", "--now", "0001-01-01T00:00:00+01:00"], "out of range"),
        (["smoke", "--url", "http://[::1"], "Invalid IPv6 URL"),
        (["smoke", "--url", "http://127.0.0.1:0/"], "port 0"),
        (["latency", "http://[::1"], "Invalid IPv6 URL"),
        (["ssl", "dashtray.com", "--port", "0"], "bad --port 0"),
        (["rules", "docs", "--output", "/no/such/dir/rules.md"], "cannot write"),
    ],
)
def test_odd_values_are_bad_input(args: list[str], needle: str) -> None:
    """Found by review: each of these was an 'internal error' before."""
    result = run_cli(*args)
    assert_clean_error(result)
    assert needle in result.stderr


@pytest.mark.lab
@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ("[rules]\ndirs = [1]\n", "rules.dirs must be a list of strings"),
        ("[secrets]\nenv = [1]\n", "secrets.env must be a list of strings"),
        ("[latency]\nn = 0\n", "latency.n = 0 is out of range"),
        ("[rules]\ndirs = ['nonexist']\n", "is not a folder"),
        ("[run]\nrequest_timeout = -1\n", "run.request_timeout = -1 is out of range"),
    ],
)
def test_config_values_are_checked(tmp_path: Path, config: str, needle: str) -> None:
    """A config value that would turn a check off, or crash it, is refused up front."""
    cfg = tmp_path / "diagnose.toml"
    cfg.write_text(config)
    result = run_cli("smoke", "--url", "http://127.0.0.1:9", "--config", str(cfg))
    assert_clean_error(result)
    assert needle in result.stderr


@pytest.mark.lab
def test_checklist_with_a_broken_gzip_log(tmp_path: Path) -> None:
    fake = tmp_path / "convex.jsonl.gz"
    fake.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    result = run_cli("checklist", "post-deploy", "--log", str(fake))
    assert_clean_error(result)
    assert "cannot read" in result.stderr


@pytest.mark.lab
def test_init_with_an_odd_package_json(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("[]")
    result = run_cli("init", "--project", str(tmp_path), "-o", str(tmp_path / "d.toml"))
    assert result.code == 0, result.stderr
