"""Docs generated from code stay current."""

from __future__ import annotations

import pytest

from tests.support.cli import ROOT, run_cli


@pytest.mark.lab
def test_rule_reference_is_current() -> None:
    result = run_cli("rules", "docs", "--check", str(ROOT / "docs/rules.md"))
    assert result.code == 0, "docs/rules.md is stale: run 'diagnose rules docs -o docs/rules.md'"


def test_readme_quick_start_has_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Quick start")
    block = text[start:].split("```")[1]
    commands = [ln for ln in block.splitlines()[1:] if ln.strip() and not ln.startswith("#")]
    assert len(commands) == 2, commands
