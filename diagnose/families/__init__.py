"""The explicit family registry, and the probe table and fact catalog built from it."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from diagnose.family import Family
from diagnose.probe import Probe

# The families, in the order `diagnose all` plans them. Adding a family is one line here: its
# folder's __init__.py declares FAMILY (probes, options, plan), the CLI finds its command as
# diagnose.commands.<name>, and its rules live in rules/<name>/.
FAMILIES: tuple[str, ...] = (
    "smoke",
    "dns",
    "ssl",
    "webhooks",
    "latency",
    "build",
    "env",
    "deploy",
    "checklist",
)


def family(name: str) -> Family:
    """Return the family declared in diagnose/families/<name>/__init__.py."""
    found: Family = importlib.import_module(f"diagnose.families.{name}").FAMILY
    return found


def families() -> list[Family]:
    """Return every registered family, in registry order."""
    return [family(n) for n in FAMILIES]


def load(ref: str) -> Any:
    """Return the object named by "module:attribute"."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


@cache
def _probe_table() -> dict[str, str]:
    return {name: ref for f in families() for name, ref in f.probes.items()}


class _Probes(Mapping[str, str]):
    """Probe name -> "module:Class", from every family's declaration (read when first used)."""

    def __getitem__(self, name: str) -> str:
        return _probe_table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_probe_table())

    def __len__(self) -> int:
        return len(_probe_table())


PROBES: Mapping[str, str] = _Probes()


def probe_class(name: str) -> type[Probe]:
    """Return the probe class registered under a name."""
    module, _, cls = PROBES[name].partition(":")
    found: type[Probe] = getattr(importlib.import_module(module), cls)
    return found


def make_probe(name: str) -> Probe:
    """Instantiate the named probe."""
    return probe_class(name)()


class FactCatalog(Mapping[str, str]):
    """Fact name -> the probe that provides it; a provided name may end in `.*` (a prefix)."""

    def __init__(
        self, table: Mapping[str, frozenset[str]], settings: frozenset[str] = frozenset()
    ) -> None:
        self.settings = settings  # probes that only put settings (budgets), measuring nothing
        self._exact = {fact: probe for probe, facts in table.items() for fact in facts}
        self._prefixes = [
            (fact[:-1], probe) for fact, probe in self._exact.items() if fact.endswith(".*")
        ]

    def __getitem__(self, name: str) -> str:
        if name in self._exact:
            return self._exact[name]
        for prefix, probe in self._prefixes:
            if name.startswith(prefix):
                return probe
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._exact)

    def __len__(self) -> int:
        return len(self._exact)


@cache
def catalog() -> FactCatalog:
    """Return the catalog of every fact every registered probe provides."""
    return FactCatalog(
        {name: probe_class(name).provides for name in PROBES},
        frozenset(n for n in PROBES if getattr(probe_class(n), "settings_only", False)),
    )
