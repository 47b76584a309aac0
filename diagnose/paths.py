"""Where the built-in rules (with their cases beside them) are: in the wheel, or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def builtin_rules_dir() -> Path:
    """Return the built-in rules folder."""
    shipped = _PKG / "_data" / "rules"
    return shipped if shipped.is_dir() else _PKG.parent / "rules"


def builtin_projects_dir() -> Path:
    """Return the folder of sample project folders (the lab's deploy scenario copies one)."""
    shipped = _PKG / "_data" / "projects"
    return shipped if shipped.is_dir() else _PKG.parent / "fixtures" / "projects"
