"""Judge facts with rules, then rank: a root cause absorbs the findings it explains."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from diagnose.coverage import blind_spots
from diagnose.model import (
    Confidence,
    FactSet,
    Finding,
    Inconclusive,
    ProbeStatus,
    Severity,
    Status,
)
from diagnose.rules.conditions import UNKNOWN, VAR_RX, Bound, show, substitute
from diagnose.rules.load import TEMPLATE_RX, Rule
from diagnose.rules.wording import drop_zero_clauses, prose

# Rules are judged after the probes' deadline, within the second beyond --timeout that rendering
# and writing share; with RE2 a rule takes microseconds, so this is a bound, not a schedule.
JUDGE_BUDGET_S = 0.5
NOT_JUDGED = "not judged:"


@dataclass(frozen=True)
class Verdict:
    """What one rule made of the facts."""

    rule: Rule
    state: str  # "fire" | "quiet" | "inconclusive" | "not-applicable"
    evidence: tuple[str, ...] = ()
    reason: str = ""
    # A quantifier's variable -> the subjects for which the rule fired (the first is named).
    bound: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def first(self) -> dict[str, str]:
        """Return each variable's first subject: the one the message names."""
        return {var: subjects[0] for var, subjects in self.bound.items() if subjects}


def fact_getter(factset: FactSet, providers: Mapping[str, str]) -> Any:
    """Return get(name): the value; None when its probe ended ok without it or did not run at all
    (an optional input that was not given); UNKNOWN when its probe failed or timed out."""

    def get(name: str) -> Any:
        if name in factset.facts:
            return factset.facts[name]
        probe = factset.probe(providers.get(name, ""))
        if probe is None or probe.status is ProbeStatus.OK:
            return None
        return UNKNOWN

    return get


def judge(rule: Rule, factset: FactSet, providers: Mapping[str, str]) -> Verdict:
    """Evaluate one rule; a rule whose probes did not run is not applicable."""
    needed = {providers.get(f, "?") for f in rule.facts()}
    ran = {p.name for p in factset.probes}
    # Applicable when any of its probes ran: a rule over logs *and* live samples still judges
    # a run that had only one of them (the other's facts read as unset). A probe that only puts
    # settings (the budgets) does not count: a budget alone is nothing measured.
    measuring = needed - getattr(providers, "settings", frozenset()) or needed
    if not measuring & ran:
        return Verdict(rule, "not-applicable", reason=f"needs {', '.join(sorted(needed))}")
    get = fact_getter(factset, providers)
    verdict, evidence, bound = rule.when.judge(get)
    if verdict is None:
        failed = [p for p in factset.probes if p.name in needed and p.status is not ProbeStatus.OK]
        why = "; ".join(
            f"probe {p.name} {p.status.value}: {p.error or 'no detail'}" for p in failed
        )
        return Verdict(rule, "inconclusive", reason=why or "facts missing")
    if not verdict:
        return Verdict(rule, "quiet")
    extra: list[str] = []
    for name in (n for raw in rule.evidence for n in _bound_names(raw, bound)):
        value = get(name)
        if value is UNKNOWN or value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            # One line per element (the first ten): a list cut at 160 characters hides the point.
            extra.extend(f"{name}[{i}] = {show(item)}" for i, item in enumerate(value[:10]))
            if len(value) > 10:
                extra.append(f"{name}: {len(value) - 10} more")
        else:
            extra.append(f"{name} = {show(value)}")
    return Verdict(rule, "fire", tuple(evidence + extra), bound=bound)


def _bound_names(name: str, bound: Bound) -> list[str]:
    """Return an evidence name for every subject that fired (`$var` names), else the name."""
    names = [name]
    for var, subjects in bound.items():
        if var in VAR_RX.findall(name):
            names = [substitute(n, {var: s}) for n in names for s in subjects]
    # A variable left unbound (its quantifier sits in a branch that did not fire) names nothing.
    return [n for n in names if not VAR_RX.search(n)]


def render_template(template: str, get: Any, bound: Mapping[str, str] | None = None) -> str:
    """Fill `{fact.name}`, `{fact.name:format}`, `{...|if unset}`; no attribute access (safe for
    user rules).

    `bound` maps a quantifier's variable to the subject that fired: `{$check}` is that subject,
    `{smoke.$check.url}` its fact; a variable nothing bound shows the `|` text, else "unknown".
    """
    bound = bound or {}

    def sub(match: Any) -> str:
        if match.group(1) is None:
            return match.group(0)[0]  # an escaped {{ or }}
        if (var := match.group(1)).startswith("$") and var[1:] in bound:
            return bound[var[1:]]  # {$check}: the subject itself
        name = substitute(match.group(1), bound)
        if VAR_RX.search(name):
            return "unknown" if match.group(3) is None else str(match.group(3))
        value = get(name)
        if value is UNKNOWN:
            return "unknown"
        if match.group(3) is not None and value in (None, "", [], {}):
            return str(match.group(3))
        return formatted(value, match.group(2))

    return TEMPLATE_RX.sub(sub, template)


def formatted(value: Any, fmt: str | None) -> str:
    """Show a fact value in a template format (load.FORMATS); a value of another kind as is."""
    if fmt == "count" and (value is None or isinstance(value, list | tuple | dict)):
        return str(len(value or ()))
    if fmt == "percent" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.2f} %"
    if fmt == "join" and isinstance(value, list | tuple):
        return "; ".join(v if isinstance(v, str) else show(v) for v in value)
    return prose(value)


def score(severity: Severity, confidence: Confidence) -> float:
    """Return severity weight times confidence factor (docs/ranking.md)."""
    return round(severity.weight * confidence.weight, 1)


def to_finding(v: Verdict, get: Any) -> Finding:
    """Return the finding a fired verdict makes: its templates filled for the subject named."""
    r = v.rule
    first = v.first()
    return Finding(
        id=r.id,
        title=r.title,
        severity=r.severity,
        confidence=r.confidence,
        score=score(r.severity, r.confidence),
        message=drop_zero_clauses(render_template(r.message, get, first)),
        evidence=v.evidence,
        remediation=tuple(render_template(s, get, first) for s in r.remediation),
        commands=tuple(render_template(c, get, first) for c in r.commands),
        references=r.references,
        subjects=tuple((var, tuple(subjects)) for var, subjects in v.bound.items()),
    )


def _advised(f: Finding, why: str) -> Finding:
    """A finding from advisory facts (`<family>.advisory` names why): info, explaining nothing.

    DNS beside a pinned --connect-to address is such context: reported, but never ranked above
    or explaining what was measured at the address (docs/ranking.md).
    """
    info = Severity.INFO
    return replace(
        f,
        severity=info,
        score=score(info, f.confidence),
        message=f"{f.message} (Advisory, not ranked as {f.severity.value}: {why}.)",
    )


def _sort_key(f: Finding) -> tuple[float, int, str]:
    return (-f.score, -f.severity.weight, f.id)


def rank(fired: list[Finding], explains: Mapping[str, tuple[str, ...]]) -> tuple[Finding, ...]:
    """Group consequences under their root causes and order the roots (docs/ranking.md)."""
    by_id = {f.id: f for f in fired}

    def reach(fid: str) -> set[str]:
        out: set[str] = set()
        stack = [c for c in explains.get(fid, ()) if c in by_id]
        while stack:
            c = stack.pop()
            if c not in out:
                out.add(c)
                stack.extend(x for x in explains.get(c, ()) if x in by_id)
        return out

    reached = {fid: reach(fid) for fid in by_id}
    explained = set().union(*reached.values()) if reached else set()
    roots = [f for f in fired if f.id not in explained]
    # A root takes the score of the worst consequence it explains: the cause of a critical
    # symptom is as urgent as the symptom.
    grouped: list[Finding] = []
    for root in roots:
        members = sorted((by_id[c] for c in reached[root.id]), key=_sort_key)
        best = max([root.score, *(m.score for m in members)])
        grouped.append(replace(root, score=best, explains=tuple(members)))
    # A consequence explained by two roots is shown under the higher-ranked one only.
    grouped.sort(key=_sort_key)
    claimed: set[str] = set()
    final: list[Finding] = []
    for index, root in enumerate(grouped, 1):
        own = tuple(m for m in root.explains if m.id not in claimed)
        claimed.update(m.id for m in own)
        final.append(replace(root, explains=own, rank=index))
    return tuple(final)


def overall_status(
    findings: Iterable[Finding],
    factset: FactSet,
    quiet: Sequence[str] = (),
    inconclusive: Iterable[Inconclusive] = (),
) -> Status:
    """Return critical/warning from the findings; else ok only when something was checked and
    passed: unknown when a probe failed unexplained, a probe checked nothing, no rule judged, or
    rules were left unjudged at the deadline."""
    findings = list(findings)
    severities = {f.severity for f in findings} | {e.severity for f in findings for e in f.explains}
    if Severity.CRITICAL in severities:
        return Status.CRITICAL
    if Severity.WARNING in severities:
        return Status.WARNING
    if any(p.status is not ProbeStatus.OK for p in factset.probes):
        return Status.UNKNOWN
    if any(i.reason.startswith(NOT_JUDGED) for i in inconclusive):
        return Status.UNKNOWN
    if blind_spots(factset.facts, len(findings) + len(quiet)):
        return Status.UNKNOWN
    return Status.OK


def evaluate(
    rules: Iterable[Rule],
    factset: FactSet,
    providers: Mapping[str, str],
    budget: float = JUDGE_BUDGET_S,
) -> tuple[tuple[Finding, ...], tuple[Inconclusive, ...], tuple[str, ...], list[Verdict]]:
    """Judge every rule and rank what fired; return findings, inconclusive, quiet ids, verdicts.

    Judging has its own deadline: the rules left when `budget` seconds have passed are
    inconclusive ("not judged: ..."), and the status cannot be ok.
    """
    get = fact_getter(factset, providers)
    rules = list(rules)
    deadline = time.monotonic() + budget
    verdicts = []
    for r in rules:
        if time.monotonic() > deadline:
            why = f"{NOT_JUDGED} rule evaluation passed its {budget:g} s deadline"
            verdicts.append(Verdict(r, "inconclusive", reason=why))
        else:
            verdicts.append(judge(r, factset, providers))
    fired = [to_finding(v, get) for v in verdicts if v.state == "fire"]
    advisory = {r.family: why for r in rules if isinstance(why := get(f"{r.family}.advisory"), str)}
    fired = [
        _advised(f, advisory[f.id.split(".")[0]]) if f.id.split(".")[0] in advisory else f
        for f in fired
    ]
    explains = {r.id: () if r.family in advisory else r.explains for r in rules}
    findings = rank(fired, explains)
    inconclusive = tuple(
        Inconclusive(v.rule.id, v.reason) for v in verdicts if v.state == "inconclusive"
    )
    quiet = tuple(v.rule.id for v in verdicts if v.state == "quiet")
    return findings, inconclusive, quiet, verdicts
