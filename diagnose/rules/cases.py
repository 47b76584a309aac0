"""Rule cases: facts on which a rule must fire, stay quiet, or be inconclusive.

Semgrep-style, a rule's cases sit beside it: `rules/tls/weak-key.yaml` has
`rules/tls/weak-key.test.yaml`. Shared facts ("bases") live in `_bases/<name>.yaml` in the case's
folder or any folder above it up to the rules root. A folder written for an older release keeps
its cases in `DIR/_cases/<id>.yaml`; those are still read when no case file sits beside the rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from diagnose.model import FactSet, Finding, ProbeOutcome, ProbeStatus
from diagnose.rules.evaluate import fact_getter, judge, to_finding
from diagnose.rules.load import CASE_SUFFIX, Rule

EXPECTATIONS = ("fire", "quiet", "inconclusive")
CASE_KEYS = {"name", "expect", "base", "facts", "probes", "says"}


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


def rules_root(rule: Rule) -> Path:
    """Return the folder the rule's id is relative to (the id has one part per path level)."""
    return rule.path.parents[rule.id.count(".")]


def case_file(rule: Rule, cases_dir: Path | None = None) -> Path:
    """Return where a rule's cases live.

    With `cases_dir`, `<cases_dir>/<id>.yaml`. Otherwise beside the rule, or, when nothing is
    there, `<root>/_cases/<id>.yaml` as older releases kept them.
    """
    if cases_dir is not None:
        return cases_dir / f"{rule.id}.yaml"
    beside = rule.path.with_name(rule.path.name.removesuffix(".yaml") + CASE_SUFFIX)
    legacy = rules_root(rule) / "_cases" / f"{rule.id}.yaml"
    return legacy if not beside.exists() and legacy.exists() else beside


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CaseFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CaseFileError(f"{path}: {exc}") from None


def load_cases(path: Path, rule_id: str) -> list[dict[str, Any]]:
    """Load and check one rule's cases file."""
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
        says = case.get("says", [])
        if not isinstance(says, list) or not all(isinstance(x, str) for x in says):
            raise CaseFileError(f"{where}: 'says' must be a list of strings")
        if says and case["expect"] != "fire":
            raise CaseFileError(
                f"{where}: 'says' needs 'expect: fire' (only a finding says things)"
            )
    return cases


def _base_folders(case: Path, root: Path) -> list[Path]:
    """Return the `_bases` folders a case may draw on, nearest first."""
    folders = [case.parent]
    folders += [p for p in case.parent.parents if p == root or root in p.parents]
    if root not in folders:
        folders.append(root)
    return [f / "_bases" for f in folders]


def _base(case: Path, root: Path, name: str) -> dict[str, Any]:
    if "/" in name or "\\" in name or name.startswith("."):
        raise CaseFileError(f"{case}: base {name!r} must be a plain name")
    for folder in _base_folders(case, root):
        if (folder / f"{name}.yaml").is_file():
            doc = _load_yaml(folder / f"{name}.yaml")
            if not isinstance(doc, dict):
                raise CaseFileError(f"base {name}: expected a mapping of facts")
            return doc
    raise CaseFileError(f"{case}: no base {name!r} (looked for _bases/{name}.yaml up to {root})")


def case_factset(
    rule: Rule, case: Mapping[str, Any], where: Path, providers: Mapping[str, str]
) -> FactSet:
    """Return the facts one case (from the cases file `where`) gives its rule."""
    facts: dict[str, Any] = {}
    if case.get("base"):
        facts.update(_base(where, rules_root(rule), str(case["base"])))
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
    return FactSet("rules-test", rule.id, "1970-01-01T00:00:00Z", probes, facts)


def case_finding(
    rule: Rule, case: Mapping[str, Any], where: Path, providers: Mapping[str, str]
) -> Finding | None:
    """Return the finding a case makes its rule produce, or None when it does not fire."""
    factset = case_factset(rule, case, where, providers)
    verdict = judge(rule, factset, providers)
    return to_finding(verdict, fact_getter(factset, providers)) if verdict.state == "fire" else None


def run_case(
    rule: Rule, case: Mapping[str, Any], where: Path, providers: Mapping[str, str]
) -> CaseResult:
    """Evaluate one case (from the cases file `where`): base facts, own facts, probe statuses."""
    factset = case_factset(rule, case, where, providers)
    verdict = judge(rule, factset, providers)
    detail = "; ".join(verdict.evidence) or verdict.reason
    name, expect = str(case.get("name", "?")), str(case["expect"])
    if verdict.state == "fire" and case.get("says"):
        finding = to_finding(verdict, fact_getter(factset, providers))
        said = "\n".join([finding.message, *finding.remediation, *finding.commands])
        if missing := [text for text in case["says"] if text not in said]:
            detail = f"{missing[0]!r} is not in the message, fix or commands ({finding.message})"
            return CaseResult(rule.id, name, expect, "fire without saying it", detail)
    return CaseResult(rule.id, name, expect, verdict.state, detail)


def run_all(
    rules: Sequence[Rule], providers: Mapping[str, str], cases_dir: Path | None = None
) -> list[CaseResult]:
    """Run every case of every rule; a rule without a fire and a quiet case is a failure."""
    results: list[CaseResult] = []
    for rule in rules:
        path = case_file(rule, cases_dir)
        try:
            cases = load_cases(path, rule.id)
        except CaseFileError as exc:
            results.append(CaseResult(rule.id, "cases file", "present", "error", str(exc)))
            continue
        kinds = {c["expect"] for c in cases}
        for kind in ("fire", "quiet"):
            if kind not in kinds:
                results.append(
                    CaseResult(rule.id, f"needs a '{kind}' case", kind, "missing", str(path))
                )
        for case in cases:
            try:
                results.append(run_case(rule, case, path, providers))
            except CaseFileError as exc:
                results.append(
                    CaseResult(rule.id, str(case.get("name")), case["expect"], "error", str(exc))
                )
    return results
