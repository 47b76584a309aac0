"""What a family declares about itself, and what it contributes to a run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Family:
    """One family: its command, rules folder and docs page share its name."""

    name: str
    summary: str
    probes: Mapping[str, str]  # probe name -> "module:Class"
    options: str | None = None  # "module:Class": the typed options, the only defaults
    plan: str | None = None  # "module:function(common, window) -> Plan | None", for `diagnose all`
    joins: str | None = None  # "module:function(common) -> Plan | None": joins every run when set


@dataclass(frozen=True)
class Plan:
    """What one family runs: its probes, their options, and the secret values it reads."""

    family: str
    target: str
    probes: tuple[str, ...]
    options: Mapping[str, Any]
    secrets: tuple[str, ...] = field(default=())
