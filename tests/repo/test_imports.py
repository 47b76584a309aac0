"""The import directions of docs/architecture.md, enforced by import-linter on `.importlinter`."""

from __future__ import annotations

import configparser

import pytest
from importlinter.cli import lint_imports

from tests.support.cli import ROOT

CONFIG = ROOT / ".importlinter"


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    return parser


def test_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(config_filenames=(str(CONFIG),), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out


def test_every_family_folder_is_in_the_independence_contract() -> None:
    """A new family is covered the day it lands: the contract names every folder."""
    listed = _contracts()["importlinter:contract:families-independent"]["modules"].split()
    folders = sorted(
        f"diagnose.families.{p.name}"
        for p in (ROOT / "diagnose" / "families").iterdir()
        if (p / "__init__.py").is_file()
    )
    assert sorted(listed) == folders


def test_every_top_level_module_is_kept_from_the_lab() -> None:
    """Only the lab itself may be missing from the no-lab contract's sources."""
    listed = set(_contracts()["importlinter:contract:no-lab"]["source_modules"].split())
    package = ROOT / "diagnose"
    present = {
        f"diagnose.{p.stem}"
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
        or (p.is_dir() and (p / "__init__.py").is_file())
    }
    assert present - listed == {"diagnose.lab"}
