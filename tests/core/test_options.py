"""One default per option: CLI over config over the options class, into what the probes receive."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from diagnose.config import Config, option_classes, schema
from diagnose.configdocs import render
from diagnose.errors import BadInput
from diagnose.options import default_of, fields, resolve

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = [(cls, f, s) for cls in option_classes() for f, s in fields(cls) if s.config is not None]


def _other(value: object, low: float | None) -> object:
    """A valid value that differs from the default (falsy where the range allows: 0 is a value)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return low if low is not None and low != value else value + 1
    if isinstance(value, tuple):
        return ("x.example",)
    return "other"


@pytest.mark.parametrize(
    ("cls", "f", "s"), SETTINGS, ids=[f"{c.__name__}.{f.name}" for c, f, _ in SETTINGS]
)
def test_cli_over_config_over_default(cls, f, s, tmp_path: Path) -> None:
    default = default_of(f)
    section, _, key = s.config.partition(".")
    configured = _other(default, s.low)
    raw = list(configured) if isinstance(configured, tuple) else configured
    config = Config(tmp_path / "diagnose.toml", {section: {key: raw}})
    from_default = getattr(resolve(cls, Config()), f.name)
    from_config = getattr(resolve(cls, config), f.name)
    assert from_default == default
    if s.path:  # a path read from a config file is relative to it
        expect = (
            tuple(str(tmp_path / v) for v in configured)
            if isinstance(configured, tuple)
            else str(tmp_path / str(configured))
        )
        assert from_config == expect
    else:
        assert from_config == configured
    cli = _other(configured, s.low if configured != s.low else None)
    if cli is not None and cli != configured:
        assert getattr(resolve(cls, config, {f.name: cli}), f.name) == cli


def test_zero_given_is_zero_not_the_default() -> None:
    from diagnose.families.ssl.options import SslOptions

    assert resolve(SslOptions, Config(), {"warn_days": 0}).warn_days == 0
    with pytest.raises(BadInput, match="--warn-days -1"):
        resolve(SslOptions, Config(), {"warn_days": -1})


def test_every_config_key_is_documented_and_the_page_is_current() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == render(), "run: python -m diagnose.configdocs -o docs/configuration.md"
    for section, keys in schema().items():
        for key in keys:
            assert f"`{section}.{key}`" in page


def test_probes_supply_no_defaults_of_their_own() -> None:
    """ctx.options.get(NAME, DEFAULT) in a probe would be a second default."""
    found = []
    for path in (ROOT / "diagnose" / "families").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and len(node.args) == 2
                and ast.unparse(node.func.value).endswith("ctx.options")
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, found


def _ssl_facts(tmp_path: Path, *args: str, config: str = "") -> dict[str, object]:
    cfg = tmp_path / "diagnose.toml"
    cfg.write_text(config, encoding="utf-8")
    out = tmp_path / "facts.json"
    cmd = [sys.executable, "-m", "diagnose", "ssl", "lab.dashtray.test", "--connect-to",
           "127.0.0.1:9", "--resolver", "127.0.0.1:9", "--timeout", "2", "--config", str(cfg),
           "--format", "json", "--save-facts", str(out), *args]  # fmt: skip
    subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    facts: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))["facts"]
    return facts


@pytest.mark.lab
def test_cli_and_config_reach_the_probe(tmp_path: Path) -> None:
    """From the command line and the config to what the tls probe was given (and recorded)."""
    assert _ssl_facts(tmp_path)["tls.warn_days"] == 14
    assert _ssl_facts(tmp_path, config="[ssl]\nwarn_days = 7\n")["tls.warn_days"] == 7
    given = _ssl_facts(tmp_path, "--warn-days", "0", config="[ssl]\nwarn_days = 7\n")
    assert given["tls.warn_days"] == 0
    assert given["tls.port"] == 443
