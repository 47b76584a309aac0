"""docs/facts.md is generated from the probes' `provides`: it must list every fact, as of today."""

from __future__ import annotations

from pathlib import Path

from diagnose.factdocs import render
from diagnose.families import PROBES, probe_class

ROOT = Path(__file__).resolve().parents[2]


def test_facts_catalog_is_current() -> None:
    page = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    assert page == render(), "run: python -m diagnose.factdocs -o docs/facts.md"


def test_every_provided_fact_is_in_the_catalog() -> None:
    page = render()
    for probe in PROBES:
        for name in probe_class(probe).provides:
            assert f"| `{name}` |" in page, name
