"""diagnose.toml: the service's names, rule folders, secrets to redact and budgets."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput

DEFAULT_NAME = "diagnose.toml"

# section -> key -> accepted type(s). Unknown sections or keys are errors: a typo in a config
# must not silently turn a check off.
SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "service": {
        "url": str,
        "domain": str,
        "convex_url": str,
        "pages_project": str,
        "webhook_url": str,
    },
    "run": {"timeout": (int, float), "request_timeout": (int, float)},
    "rules": {"dirs": list},
    "secrets": {"env": list, "values_from_files": list},
    "dns": {"resolvers": list, "expect_cname": str},
    "ssl": {"warn_days": int, "critical_days": int, "ca_file": str, "port": int},
    "webhooks": {
        "logs": list,
        "captures": list,
        "secret_env": str,
        "previous_secret_env": str,
        "other_secret_env": str,
        "tolerance_s": int,
    },
    "budgets": {
        "p95_ms": (int, float),
        "error_rate": (int, float),
        "function_p95_ms": (int, float),
        "spike_factor": (int, float),
    },
    "incident": {"db": str, "sinks": dict},
    "latency": {"urls": list, "logs": list, "n": int, "concurrency": int},
    "project": {"dir": str, "convex_env": str},
}

# section.key -> (lowest, highest) for numbers: a value out of range would quietly turn a check
# off (n = 0 samples nothing) or break every request (a negative timeout).
RANGES: dict[str, tuple[float, float]] = {
    "run.timeout": (0.1, 3600),
    "run.request_timeout": (0.1, 600),
    "ssl.port": (1, 65535),
    "ssl.warn_days": (0, 3650),
    "ssl.critical_days": (0, 3650),
    "webhooks.tolerance_s": (1, 86400),
    "latency.n": (1, 10_000),
    "latency.concurrency": (1, 64),
    "budgets.p95_ms": (1, 600_000),
    "budgets.error_rate": (0, 1),
    "budgets.function_p95_ms": (1, 600_000),
    "budgets.spike_factor": (1, 1000),
}

# Environment variables whose values are always masked, set or not in the config.
DEFAULT_SECRET_ENV = (
    "DODO_PAYMENTS_WEBHOOK_KEY",
    "DODO_PAYMENTS_API_KEY",
    "CONVEX_DEPLOY_KEY",
    "CLOUDFLARE_API_TOKEN",
    "GITHUB_TOKEN",
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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"config {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config {path}: {exc}") from None
    for section, table in data.items():
        if section not in SCHEMA:
            raise BadInput(
                f"config {path}: unknown section [{section}] (known: {', '.join(SCHEMA)})"
            )
        if not isinstance(table, dict):
            raise BadInput(f"config {path}: [{section}] must be a table")
        for key, value in table.items():
            if key not in SCHEMA[section]:
                known = ", ".join(SCHEMA[section])
                raise BadInput(f"config {path}: unknown key {section}.{key} (known: {known})")
            expected = SCHEMA[section][key]
            if not isinstance(value, expected) or isinstance(value, bool):
                raise BadInput(f"config {path}: {section}.{key} has the wrong type")
            if isinstance(value, list) and not all(isinstance(x, str) and x for x in value):
                raise BadInput(f"config {path}: {section}.{key} must be a list of strings")
            bounds = RANGES.get(f"{section}.{key}")
            if bounds is not None and isinstance(value, int | float):
                low, high = bounds
                if low <= value <= high:
                    continue
                raise BadInput(
                    f"config {path}: {section}.{key} = {value} is out of range ({low:g} to {high:g})"
                )
    return Config(path, data)
