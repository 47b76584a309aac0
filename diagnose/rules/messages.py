"""Message lint: render every rule's message, fix and commands on its fire cases and reject the
shapes a reader trips on (zero clauses, JSON lists, Python reprs, fact names, doubled words,
endless log commands)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from diagnose.model import Finding
from diagnose.rules.cases import CaseFileError, case_file, case_finding, load_cases
from diagnose.rules.load import LintProblem, Rule

# A clause that opens on a zero count: "0 captured deliveries match ..., 0 verify ...".
# "0 of 900 failed" is a finding's point and stays.
_ZERO_CLAUSE = re.compile(r"(?:^|[,;:(]\s*|\band\s+)0 (?!of\b|ms\b|s\b|%)[a-z]|: 0\.?$", re.I)
_JSON_LIST = re.compile(r"\[\s*[\"'{]|\[\s*\]")
_PY_REPR = re.compile(r"<[A-Z]\w*\(|<\w+ object at 0x|\b(?:None|True|False)\b|\bdatetime\.")
# "the the", or a phrase said twice ("Redirect loop: redirect loop"); "yarn: yarn add" is a
# label and its command, "setup-node node-version" two words.
_DOUBLED = re.compile(
    r"(?<![\w-])(?:([A-Za-z]{2,})\s+\1|([A-Za-z]{2,} [A-Za-z]{2,})[\s:,;]+\2)(?![\w.-])", re.I
)
_ENDLESS_LOGS = re.compile(r"\bnpx convex logs\b(?![^|;&]*--history)")
# The runbook's own names, copied into a fix: wrong for every other site or setup, so where a
# fact holds the real one they must come from it (`{smoke.url|https://dashtray.com}`: the
# literal only as the fallback when it is unknown).
_TARGET_FACT = re.compile(r"\.(?:url|site|host|domain|zone|worst_url|urls|rerun)$|^dns\.name$")
RUNBOOK_LITERALS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    # (literal, the facts that know the real value, their order of preference)
    ("dashtray.com", _TARGET_FACT,
     ("url", "site", "host", "domain", "zone", "name", "worst_url", "urls", "rerun")),
    ("DODO_PAYMENTS_WEBHOOK_KEY", re.compile(r"\.secret_env$"), ("secret_env",)),
)  # fmt: skip
_TEMPLATE = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Shape:
    """One shape that must not reach a reader, and where it is looked for."""

    name: str
    found: Callable[[str], str | None]
    # Where: "message" (the sentence), "prose" (title, message, fix steps), "all" (+ commands).
    # Fix steps and commands quote code (`["field"]`) and record syntax (`0 issue "ca"`).
    scope: str = "prose"


def _search(pattern: re.Pattern[str]) -> Callable[[str], str | None]:
    def found(text: str) -> str | None:
        m = pattern.search(text)
        return m.group(0).strip() if m else None

    return found


SHAPES = (
    Shape("a clause that counts zero (say only what happened)", _search(_ZERO_CLAUSE), "message"),
    Shape("a JSON list inside a sentence (join the names)", _search(_JSON_LIST), "message"),
    Shape("a Python repr (render the value)", _search(_PY_REPR)),
    Shape("a doubled word", _search(_DOUBLED)),
    Shape("'npx convex logs' streams forever: give --history N", _search(_ENDLESS_LOGS), "all"),
)


def _fact_name(known: Iterable[str]) -> Callable[[str], str | None]:
    names = sorted(known, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w.$])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w.])"
    ) if names else None  # fmt: skip

    def found(text: str) -> str | None:
        m = pattern.search(text) if pattern else None
        return m.group(0) if m else None

    return found


def finding_problems(finding: Finding, known_facts: Iterable[str] = ()) -> list[str]:
    """Return what is wrong with how one rendered finding reads (empty when it reads well)."""
    message = [("message", finding.message)]
    prose = [("title", finding.title), *message]
    prose += [(f"fix {i}", step) for i, step in enumerate(finding.remediation, 1)]
    every = [*prose, *((f"command {i}", c) for i, c in enumerate(finding.commands, 1))]
    texts = {"message": message, "prose": prose, "all": every}
    shapes = [*SHAPES, Shape("a fact name in prose (say what it means)", _fact_name(known_facts))]
    problems: list[str] = []
    for shape in shapes:
        for where, text in texts[shape.scope]:
            if hit := shape.found(text):
                problems.append(f"{where}: {shape.name}: {hit!r}")
                break
    return problems


def known_facts(
    rule: Rule, providers: Mapping[str, str], pattern: re.Pattern[str], order: tuple[str, ...]
) -> list[str]:
    """Return the facts matching pattern that the probes this rule reads provide, plainest first."""
    probes = {providers[f] for f in rule.facts() if f in providers}
    found = [f for f, p in providers.items() if p in probes and pattern.search(f)]
    return sorted(found, key=lambda f: (order.index(f.rsplit(".", 1)[-1]), f.count("."), f))


def hard_coded_literals(rule: Rule, providers: Mapping[str, str]) -> list[str]:
    """Return the fix steps and commands that name the runbook's site or variable outside a
    template although a fact the rule can use holds the real one (one problem line each)."""
    steps = [*(("fix", i, t) for i, t in enumerate(rule.remediation, 1))]
    steps += [("command", i, t) for i, t in enumerate(rule.commands, 1)]
    problems = []
    for literal, pattern, order in RUNBOOK_LITERALS:
        known = known_facts(rule, providers, pattern, order)
        if not known:
            continue
        for where, i, text in steps:
            if literal in _TEMPLATE.sub("", text):
                problems.append(
                    f"{where} {i}: a hard-coded {literal} although it is known: use "
                    f"{{{known[0]}|{literal}}} (the literal only as the fallback): {text[:80]!r}"
                )
    return problems


def lint_messages(rules: Iterable[Rule], providers: Mapping[str, str]) -> list[LintProblem]:
    """Render each rule on its fire cases; one problem per rule and shape, on the rule's file."""
    problems: list[LintProblem] = []
    for rule in rules:
        problems += [
            LintProblem(rule.path, 1, text) for text in hard_coded_literals(rule, providers)
        ]
        path = case_file(rule)
        try:
            cases = load_cases(path, rule.id)
        except CaseFileError:
            continue  # the cases check reports a missing or malformed file
        seen: set[str] = set()
        for case in cases:
            if case.get("expect") != "fire":
                continue
            try:
                finding = case_finding(rule, case, path, providers)
            except CaseFileError:
                continue
            if finding is None:
                continue
            for problem in finding_problems(finding, providers):
                shape = problem.split(": ", 2)[1]
                if shape not in seen:
                    seen.add(shape)
                    problems.append(
                        LintProblem(rule.path, 1, f"case {case.get('name', '?')!r}: {problem}")
                    )
    return problems
