"""Every rule's cases (its .test.yaml): it fires where it must, stays quiet where it must."""

from __future__ import annotations

import pytest

from diagnose.engine.api import all_rules
from diagnose.families import catalog
from diagnose.paths import builtin_rules_dir
from diagnose.rules.cases import CaseResult, case_file, load_cases, run_case
from diagnose.rules.load import stray_case_files
from tests.support.cli import ROOT

RULES = all_rules()


def _cases() -> list[tuple[str, int, str]]:
    out = []
    for rule in RULES:
        try:
            cases = load_cases(case_file(rule), rule.id)
        except ValueError:
            out.append((rule.id, -1, "no cases file"))
            continue
        out.extend((rule.id, i, str(c.get("name"))) for i, c in enumerate(cases))
    return out


@pytest.mark.parametrize(("rule_id", "index", "name"), _cases(), ids=lambda v: str(v))
def test_case(rule_id: str, index: int, name: str) -> None:
    """Run one case of one rule."""
    rule = next(r for r in RULES if r.id == rule_id)
    assert index >= 0, f"{rule_id}: {case_file(rule)} is missing"
    case = load_cases(case_file(rule), rule_id)[index]
    result: CaseResult = run_case(rule, case, case_file(rule), catalog())
    assert result.passed, (
        f"{rule_id} / {name}: expected {result.expect}, got {result.got} ({result.detail})"
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_fire_and_quiet_cases(rule) -> None:  # type: ignore[no-untyped-def]
    """A rule without a case where it fires and one where it stays quiet fails the suite."""
    kinds = {c["expect"] for c in load_cases(case_file(rule), rule.id)}
    assert {"fire", "quiet"} <= kinds, f"{rule.id} has only {sorted(kinds)} cases"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_remediation_is_concrete(rule) -> None:  # type: ignore[no-untyped-def]
    """Every rule says what to do: steps, and a command or a reference to follow."""
    assert rule.remediation and all(len(step) > 15 for step in rule.remediation)
    assert rule.commands or rule.references, f"{rule.id}: give a command or a reference"


def test_every_case_file_belongs_to_a_rule() -> None:
    """A cases file whose rule was renamed or removed is caught."""
    assert not stray_case_files([builtin_rules_dir()])


def test_cases_live_beside_their_rules() -> None:
    """The old home of the built-in cases stays empty: a case put there would never run."""
    old = ROOT / "fixtures" / "rules"
    assert not old.exists() or not any(old.rglob("*.yaml")), (
        "rule cases live beside their rule now: rules/<family>/<name>.test.yaml"
    )


def test_every_fact_used_is_provided() -> None:
    """A rule that reads a fact no probe provides fails (lint enforces it too)."""
    cat = catalog()
    for rule in RULES:
        for fact in rule.facts():
            assert fact in cat, f"{rule.id} reads {fact}, which no probe provides"
