"""One default per option: CLI over config over the options class, into what the probes receive."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from diagnose.config import Config, option_classes, schema
from diagnose.configdocs import render
from diagnose.errors import BadInput
from diagnose.options import default_of, default_text, fields, help_for, resolve

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


def _all_params() -> list[tuple[str, click.Parameter]]:
    """Every option and argument of every command, by command path."""
    from diagnose.cli import cli

    found: list[tuple[str, click.Parameter]] = []

    def walk(cmd: click.Command, path: str) -> None:
        found.extend((path, p) for p in cmd.params)
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    walk(sub, f"{path} {name}")

    walk(cli, "diagnose")
    return found


def _settings_for(param: click.Parameter) -> list[tuple[type, str]]:
    """The options fields a flag sets: same name, and the field's flag among the option's."""
    out = []
    for cls in option_classes():
        for f, s in fields(cls):
            flag = s.flag or f"--{f.name.replace('_', '-')}"
            if f.name == param.name and (flag in param.opts or flag == param.name.upper()):
                out.append((cls, f.name))
    return out


def _concrete(cls: type, name: str) -> bool:
    """A default worth showing: a value, not None, no values, or a flag's False."""
    f = next(f for f, _ in fields(cls) if f.name == name)
    value = default_of(f)
    return value not in (None, ()) and not isinstance(value, bool)


def _no_click_default(param: click.Parameter) -> bool:
    # click 8.3 marks "not given" with a sentinel; older clicks with None.
    return type(param.default).__name__ == "Sentinel" or param.default in (None, (), False)


def test_flags_backed_by_a_setting_take_its_default_and_show_it() -> None:
    """A click default or a typed [default: 10] beside the Setting would be a second default."""
    bad = []
    for path, param in _all_params():
        backing = _settings_for(param)
        if not backing:
            continue
        where = f"{path} {param.opts[0] if param.opts else param.name}"
        if not _no_click_default(param):
            bad.append(f"{where}: click default {param.default!r} beside {backing[0][0].__name__}")
        expected = {default_text(c, n) for c, n in backing if _concrete(c, n)}
        if not expected:
            continue
        shown = re.search(r"\[default: ([^\]]*)\]", getattr(param, "help", None) or "")
        if shown is None or shown.group(1) not in expected:
            said = shown.group(1) if shown else "nothing"
            bad.append(f"{where}: help says [default: {said}], the Setting {sorted(expected)}")
    assert not bad, "\n".join(bad)


def test_help_for_derives_the_default_and_its_config_key() -> None:
    from diagnose.families.dns.options import DnsOptions
    from diagnose.families.latency.options import LatencyOptions
    from diagnose.families.ssl.options import SslOptions
    from diagnose.settings import RunOptions

    assert help_for(SslOptions, "warn_days", "Warn within N days.") == (
        "Warn within N days [default: ssl.warn_days, else 14]."
    )
    assert help_for(RunOptions, "timeout", "Deadline, s") == (
        "Deadline, s [default: run.timeout, else 10]."
    )
    assert help_for(DnsOptions, "authoritative_port", "Port.") == "Port [default: 53]."
    assert help_for(DnsOptions, "resolvers", "Ask.", unset="the system's") == (
        "Ask [default: dns.resolvers, else the system's]."
    )
    assert help_for(DnsOptions, "public", "Also ask.") == "Also ask."
    assert default_text(LatencyOptions, "n") == "latency.n, else 20"
    with pytest.raises(KeyError):
        default_text(SslOptions, "nothing")


@pytest.mark.parametrize("value", [float("nan"), 0.0, 3601.0])
def test_a_bad_timeout_is_refused_once_by_its_setting(value: float, tmp_path: Path) -> None:
    """NaN compares false with every bound: the range check names it, from the CLI or the config."""
    from diagnose.settings import RunOptions, make_common

    with pytest.raises(BadInput, match=r"bad --timeout .*: give a number from 0\.1 to 3600"):
        make_common({"timeout": value})
    cfg = tmp_path / "diagnose.toml"
    cfg.write_text(f"[run]\ntimeout = {'nan' if value != value else value}\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"bad run\.timeout in .*diagnose\.toml"):
        resolve(RunOptions, Config(cfg, {"run": {"timeout": value}}))


def test_common_takes_format_and_colour_from_its_one_default() -> None:
    from diagnose.settings import Common, make_common

    common = make_common({})
    assert (common.fmt, common.color) == (Common.fmt, Common.color) == ("text", "auto")
    assert make_common({"fmt": "json", "color": "never"}).color == "never"


def test_checklist_sample_is_latency_n_unless_set(tmp_path: Path) -> None:
    """One number sets how many requests are measured, for `latency` and the checklist alike."""
    from diagnose.families.checklist.options import ChecklistOptions
    from diagnose.families.checklist.plan import post_deploy
    from diagnose.families.latency.options import LatencyOptions
    from diagnose.settings import make_common

    def planned(config: str, given: dict[str, object]) -> object:
        cfg = tmp_path / "diagnose.toml"
        cfg.write_text(config, encoding="utf-8")
        common = make_common({"config_path": cfg})
        opts = resolve(ChecklistOptions, common.config, given)
        return post_deploy(common, opts, [], None).options["latency_n"]

    url = {"url": "https://dashtray.com"}
    n = default_of(next(f for f, _ in fields(LatencyOptions) if f.name == "n"))
    assert planned("", url) == n == 20
    assert planned("[latency]\nn = 7\n", url) == 7
    assert planned("[latency]\nn = 7\n[checklist]\nsample = 3\n", url) == 3
    assert planned("[checklist]\nsample = 3\n", {**url, "sample": 0}) == 0
    assert planned('[service]\nurl = "https://dashtray.com"\n', {}) == 20
    with pytest.raises(BadInput, match="bad --sample 10001"):
        planned("", {**url, "sample": 10_001})
