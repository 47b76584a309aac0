"""diagnose.toml: the service's names, rule folders, secrets to redact and budgets."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput
from diagnose.options import config_types, fields
from diagnose.runoptions import RunOptions
from diagnose.safefiles import read_input_text

DEFAULT_NAME = "diagnose.toml"
MAX_CONFIG_BYTES = 1 << 20  # a config is a few KB; an endless file must not be read whole

# The core sections: section -> key -> accepted type(s). The families' sections come from their
# options classes (diagnose/families/<name>/options.py), so a key and its default live in one
# place. Unknown sections or keys are errors: a typo in a config must not silently turn a check off.
CORE_SCHEMA: dict[str, dict[str, tuple[type, ...]]] = {
    "service": {"domain": (str,), "pages_project": (str,)},
    "rules": {"dirs": (list,)},
    "secrets": {"env": (list,), "values_from_files": (list,)},
    "incident": {"db": (str,), "sinks": (dict,)},
}
# What the core keys mean, for docs/configuration.md: key -> (default as shown, used by, meaning).
CORE_DOCS: dict[str, tuple[str, str, str]] = {
    "service.domain": ("none", "ssl, dns, all", "the domain `diagnose all` checks end to end"),
    "service.pages_project": (
        "none",
        "dns, ssl, all",
        "the Cloudflare Pages project: the custom domain must CNAME to `<project>.pages.dev`",
    ),
    "rules.dirs": ("[]", "every command", "extra rule folders, as `--rules`"),
    "secrets.env": (
        "[]",
        "every command",
        "env vars whose values are masked in everything written",
    ),
    "secrets.values_from_files": ("[]", "every command", "reserved"),
    "incident.db": ("the user data dir", "incident, deploy, --attach", "the local incident log"),
    "incident.sinks": (
        "{}",
        "incident, --attach",
        "named sinks: github, slack, pagerduty, webhook",
    ),
}


def option_classes() -> list[type]:
    """Every options class whose fields map onto the config: the run's, the budgets, families'."""
    from diagnose.budgets import Budgets
    from diagnose.families import families, load
    from diagnose.sources.options import SourcesOptions

    return [
        RunOptions,
        Budgets,
        SourcesOptions,
        *(load(f.options) for f in families() if f.options),
    ]


@cache
def schema() -> dict[str, dict[str, tuple[type, ...]]]:
    """Return section -> key -> accepted types: the core sections plus every options class."""
    out = {section: dict(keys) for section, keys in CORE_SCHEMA.items()}
    for cls in option_classes():
        for dotted, types in config_types(cls).items():
            section, _, key = dotted.partition(".")
            out.setdefault(section, {})[key] = types
    return out


@cache
def settings_by_key() -> dict[str, Any]:
    """Return "section.key" -> the Setting that reads it (for ranges and docs)."""
    return {s.config: s for cls in option_classes() for _, s in fields(cls) if s.config}


# Environment variables whose values are always masked, set or not in the config.
DEFAULT_SECRET_ENV = (
    "DODO_PAYMENTS_WEBHOOK_SECRET",
    "DODO_PAYMENTS_WEBHOOK_KEY",
    "DODO_PAYMENTS_API_KEY",
    "CONVEX_DEPLOY_KEY",
    "CONVEX_SELF_HOSTED_ADMIN_KEY",
    "CLOUDFLARE_API_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "PAGERDUTY_TOKEN",
    "SLACK_WEBHOOK_URL",
)


@dataclass(frozen=True)
class Config:
    """The parsed config; `path` is None when none was found."""

    path: Path | None = None
    data: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def get(self, section: str, key: str, default: Any = None) -> Any:
        """Return one value, or the default."""
        return self.data.get(section, {}).get(key, default)

    def rule_dirs(self) -> list[Path]:
        """Return extra rule folders, relative to the config file; each must exist."""
        base = self.path.parent if self.path else Path.cwd()
        dirs = [base / d for d in self.get("rules", "dirs", [])]
        for d in dirs:
            if not d.is_dir():
                raise BadInput(f"config {self.path}: rules.dirs: {d} is not a folder")
        return dirs

    def secret_values(self, extra_env: tuple[str, ...] = ()) -> list[str]:
        """Return the values of every secret env var named by default, in the config or extra."""
        names = {*DEFAULT_SECRET_ENV, *self.get("secrets", "env", []), *extra_env}
        return [v for n in sorted(names) if (v := os.environ.get(n))]


def load_config(path: Path | None) -> Config:
    """Load the named config, or ./diagnose.toml when present; raise BadInput when it is wrong."""
    explicit = path is not None
    path = path or Path(DEFAULT_NAME)
    if not path.exists():
        if explicit:
            raise BadInput(f"config {path}: no such file")
        return Config()
    try:
        data = tomllib.loads(read_input_text(path, "config", MAX_CONFIG_BYTES))
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config {path}: {exc}") from None
    known = schema()
    for section, table in data.items():
        if section not in known:
            raise BadInput(
                f"config {path}: unknown section [{section}] (known: {', '.join(known)})"
            )
        if not isinstance(table, dict):
            raise BadInput(f"config {path}: [{section}] must be a table")
        for key, value in table.items():
            if key not in known[section]:
                names = ", ".join(known[section])
                raise BadInput(f"config {path}: unknown key {section}.{key} (known: {names})")
            types = known[section][key]
            # TOML's true is an int to isinstance: a bool only where the key takes one.
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise BadInput(f"config {path}: {section}.{key} has the wrong type")
            if isinstance(value, list) and not all(isinstance(x, str) and x for x in value):
                raise BadInput(f"config {path}: {section}.{key} must be a list of strings")
            found = settings_by_key().get(f"{section}.{key}")
            if found is None or not isinstance(value, int | float):
                continue
            low, high = found.low, found.high
            if (low is None or low <= value) and (high is None or value <= high):
                continue
            raise BadInput(
                f"config {path}: {section}.{key} = {value} is out of range ({low:g} to {high:g})"
            )
    return Config(path, data)
