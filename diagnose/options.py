"""Typed options: each family's dataclass holds its defaults, and config and CLI map onto it.

A field declares its default once, with `setting(...)`: the config key it is read from, the
accepted range, and one line of help. `resolve` fills a family's options from what the command
line gave (None = not given), then the config, then the default, so `--warn-days 0` is 0 and a
probe never supplies a default of its own. The config schema and docs/configuration.md are
generated from the same fields.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from diagnose.errors import BadInput

T = TypeVar("T")


@dataclass(frozen=True)
class Setting:
    """What a field says about itself: config key, range, flag and help."""

    config: str | None
    low: float | None
    high: float | None
    flag: str | None
    help: str
    path: bool = False  # a path: one read from the config is relative to the config file


def setting(
    default: Any,
    help: str,
    *,
    config: str | None = None,
    low: float | None = None,
    high: float | None = None,
    flag: str | None = None,
    path: bool = False,
) -> Any:
    """Declare a field with its one default, its config key, its range and its help."""
    meta = {"setting": Setting(config, low, high, flag, help, path)}
    if isinstance(default, list | dict | tuple):
        value = default
        return dataclasses.field(default_factory=lambda: type(value)(value), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def fields(cls: type) -> list[tuple[dataclasses.Field[Any], Setting]]:
    """Return the declared fields of an options class with their settings."""
    return [(f, f.metadata["setting"]) for f in dataclasses.fields(cls) if "setting" in f.metadata]


def default_of(f: dataclasses.Field[Any]) -> Any:
    """Return a field's default value."""
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def setting_of(cls: type, name: str) -> tuple[dataclasses.Field[Any], Setting]:
    """Return one declared field of an options class with its setting (KeyError if none)."""
    for f, s in fields(cls):
        if f.name == name:
            return f, s
    raise KeyError(f"{cls.__name__} declares no setting {name!r}")


def shown(value: Any) -> str:
    """A default as a user types it: 10 for 10.0, a, b for a tuple."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def default_text(cls: type, name: str, unset: str | None = None) -> str | None:
    """Where a field's value comes from when not given: its config key, else its default.

    `unset` says what an empty default (None, no values) means, e.g. "the system's".
    """
    f, s = setting_of(cls, name)
    default = default_of(f)
    empty = default is None or (isinstance(default, tuple | list) and not default)
    chain = [*([s.config] if s.config else []), *([unset] if empty and unset else [])]
    if not empty:
        chain.append(shown(default))
    return ", else ".join(chain) or None


def help_for(cls: type, name: str, text: str, unset: str | None = None) -> str:
    """A flag's help with its [default: ...] built from the field, so the help cannot lie."""
    where = default_text(cls, name, unset)
    return f"{text.rstrip('.')} [default: {where}]." if where else text


def config_types(cls: type) -> dict[str, tuple[type, ...]]:
    """Return "section.key" -> accepted TOML types for the fields of cls read from the config."""
    hints = typing.get_type_hints(cls)
    out: dict[str, tuple[type, ...]] = {}
    for f, s in fields(cls):
        if s.config:
            out[s.config] = _toml_types(hints[f.name])
    return out


def _toml_types(hint: Any) -> tuple[type, ...]:
    """The TOML value types a Python annotation accepts (float also takes an integer)."""
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    found: list[type] = []
    for arg in args:
        origin = typing.get_origin(arg) or arg
        if origin is type(None):
            continue
        if origin is float:
            found += [int, float]
        elif origin in (tuple, list):
            found.append(list)
        else:
            found.append(origin)
    return tuple(dict.fromkeys(found))


def check_range(name: str, value: Any, s: Setting) -> None:
    """Raise BadInput when a number is outside the field's range."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    if s.low is None and s.high is None:
        return
    # NaN compares false with every bound, so it is refused by name, not by the comparisons.
    if (
        math.isnan(value)
        or (s.low is not None and value < s.low)
        or (s.high is not None and value > s.high)
    ):
        if s.high is None:
            span = f"of at least {s.low:g}"
        elif s.low is None:
            span = f"of at most {s.high:g}"
        else:
            span = f"from {s.low:g} to {s.high:g}"
        raise BadInput(f"bad {name} {value:g}: give a number {span}")


def resolve(cls: type[T], config: Any, given: Mapping[str, Any] | None = None) -> T:
    """Build cls from the command line's values (None or () = not given), the config, defaults."""
    given = given or {}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = given.get(f.name)
        s = f.metadata.get("setting")
        if s is None:
            if f.name in given:
                values[f.name] = value
            continue
        source = s.flag or f"--{f.name.replace('_', '-')}"
        if _unset(value) and s.config:
            section, _, key = s.config.partition(".")
            value = config.get(section, key)
            source = f"{s.config} in {getattr(config, 'path', None) or 'the config'}"
            if s.path and not _unset(value):
                value = _relative_to(config, value)
        if _unset(value):
            value = default_of(f)
        if isinstance(value, list):
            value = tuple(value)
        check_range(source, value, s)
        values[f.name] = value
    return cls(**values)


def _relative_to(config: Any, value: Any) -> Any:
    """Paths in a config file are relative to it, wherever diagnose is run from."""
    base = config.path.parent if getattr(config, "path", None) else Path.cwd()
    if isinstance(value, list | tuple):
        return tuple(str(base / v) for v in value)
    return str(base / value)


def _unset(value: Any) -> bool:
    """None, or an empty repeatable option, means "not given"."""
    return value is None or (isinstance(value, tuple | list) and not value)


def as_probe_options(options: Any) -> dict[str, Any]:
    """Return the options as the plain mapping probes read (lists for tuples)."""
    return {
        f.name: list(v) if isinstance(v := getattr(options, f.name), tuple) else v
        for f in dataclasses.fields(options)
    }
