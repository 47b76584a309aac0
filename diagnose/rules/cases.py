"""Rule cases: facts on which a rule must fire, stay quiet, or be inconclusive (semgrep-style)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from diagnose.model import FactSet, ProbeOutcome, ProbeStatus
from diagnose.rules.evaluate import judge
from diagnose.rules.load import Rule

EXPECTATIONS = ("fire", "quiet", "inconclusive")
CASE_KEYS = {"name", "expect", "base", "facts", "probes"}


@dataclass(frozen=True)
class CaseResult:
    """One case run against its rule."""

    rule_id: str
    name: str
    expect: str
    got: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        """Tell whether the rule did what the case expects."""
        return self.expect == self.got


class CaseFileError(ValueError):
    """A cases file that is missing or malformed."""


def cases_path(cases_dir: Path, rule_id: str) -> Path:
    """Return where a rule's cases live."""
    return cases_dir / f"{rule_id}.yaml"


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CaseFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CaseFileError(f"{path}: {exc}") from None


def load_cases(cases_dir: Path, rule_id: str) -> list[dict[str, Any]]:
    """Load and check a rule's cases file."""
    path = cases_path(cases_dir, rule_id)
    doc = _load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise CaseFileError(f"{path}: expected a mapping with a 'cases' list")
    if doc.get("rule") not in (None, rule_id):
        raise CaseFileError(f"{path}: 'rule' is {doc.get('rule')!r}, expected {rule_id!r}")
    cases = doc["cases"]
    for index, case in enumerate(cases):
        where = f"{path}: case {index + 1}"
        if not isinstance(case, dict):
            raise CaseFileError(f"{where}: not a mapping")
        if unknown := set(case) - CASE_KEYS:
            raise CaseFileError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        if case.get("expect") not in EXPECTATIONS:
            raise CaseFileError(f"{where}: 'expect' must be one of {', '.join(EXPECTATIONS)}")
        if not isinstance(case.get("facts", {}), dict):
            raise CaseFileError(f"{where}: 'facts' must be a mapping")
    return cases


def _base(cases_dir: Path, name: str) -> dict[str, Any]:
    doc = _load_yaml(cases_dir / "_bases" / f"{name}.yaml")
    if not isinstance(doc, dict):
        raise CaseFileError(f"base {name}: expected a mapping of facts")
    return doc


def run_case(
    rule: Rule, case: Mapping[str, Any], cases_dir: Path, providers: Mapping[str, str]
) -> CaseResult:
    """Evaluate one case: its base facts, its own facts, its probe statuses."""
    facts: dict[str, Any] = {}
    if case.get("base"):
        facts.update(_base(cases_dir, str(case["base"])))
    facts.update(case.get("facts") or {})
    needed = {providers.get(f, "?") for f in rule.facts()}
    statuses = {str(k): str(v) for k, v in (case.get("probes") or {}).items()}
    probes = tuple(
        ProbeOutcome(
            name,
            ProbeStatus(statuses.get(name, "ok")),
            0.0,
            None if statuses.get(name, "ok") == "ok" else f"{statuses[name]} (from the case)",
        )
        for name in sorted(needed)
    )
    factset = FactSet("rules-test", rule.id, "1970-01-01T00:00:00Z", probes, facts)
    verdict = judge(rule, factset, providers)
    detail = "; ".join(verdict.evidence) or verdict.reason
    return CaseResult(
        rule.id, str(case.get("name", "?")), str(case["expect"]), verdict.state, detail
    )


def run_all(
    rules: Sequence[Rule], cases_dir: Path, providers: Mapping[str, str]
) -> list[CaseResult]:
    """Run every case of every rule; a rule without a fire and a quiet case is a failure."""
    results: list[CaseResult] = []
    for rule in rules:
        try:
            cases = load_cases(cases_dir, rule.id)
        except CaseFileError as exc:
            results.append(CaseResult(rule.id, "cases file", "present", "error", str(exc)))
            continue
        kinds = {c["expect"] for c in cases}
        for kind in ("fire", "quiet"):
            if kind not in kinds:
                results.append(
                    CaseResult(
                        rule.id,
                        f"needs a '{kind}' case",
                        kind,
                        "missing",
                        str(cases_path(cases_dir, rule.id)),
                    )
                )
        for case in cases:
            try:
                results.append(run_case(rule, case, cases_dir, providers))
            except CaseFileError as exc:
                results.append(
                    CaseResult(rule.id, str(case.get("name")), case["expect"], "error", str(exc))
                )
    return results
