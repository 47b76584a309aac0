"""Where the built-in rules and their cases are: in the wheel, or at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def builtin_rules_dir() -> Path:
    """Return the built-in rules folder."""
    shipped = _PKG / "_data" / "rules"
    return shipped if shipped.is_dir() else _PKG.parent / "rules"


def builtin_cases_dir() -> Path:
    """Return the folder of the built-in rules' fire/quiet cases."""
    shipped = _PKG / "_data" / "rule_cases"
    return shipped if shipped.is_dir() else _PKG.parent / "fixtures" / "rules"


def builtin_projects_dir() -> Path:
    """Return the folder of sample project folders (the lab's deploy scenario copies one)."""
    shipped = _PKG / "_data" / "projects"
    return shipped if shipped.is_dir() else _PKG.parent / "fixtures" / "projects"
