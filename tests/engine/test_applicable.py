"""A rule is judged only when a probe that measures its facts ran, never on a budget alone."""

from __future__ import annotations

from diagnose.families import catalog
from diagnose.model import FactSet, ProbeOutcome, ProbeStatus
from diagnose.paths import builtin_rules_dir
from diagnose.rules.evaluate import judge
from diagnose.rules.load import load_rules

RULES = {r.id: r for r in load_rules([builtin_rules_dir()], catalog())}


def _facts(ran: list[str], facts: dict[str, object]) -> FactSet:
    outcomes = tuple(ProbeOutcome(name, ProbeStatus.OK, 1.0) for name in ran)
    return FactSet("latency", "x", "2026-12-01T00:00:00Z", outcomes, facts, "")


def test_a_rule_over_cloudflare_analytics_is_not_applicable_when_only_the_budgets_ran() -> None:
    rule = RULES["latency.cloudflare-p95-over-budget"]
    verdict = judge(rule, _facts(["latency_budget"], {"latency.budget.p95_ms": 2000}), catalog())
    assert verdict.state == "not-applicable"


def test_it_is_judged_when_its_probe_ran() -> None:
    rule = RULES["latency.cloudflare-p95-over-budget"]
    facts = {
        "latency.budget.p95_ms": 2000,
        "cloudflare.analytics.requests": 500,
        "cloudflare.analytics.p95_ms": 3100,
    }
    verdict = judge(rule, _facts(["latency_budget", "cloudflare_analytics"], facts), catalog())
    assert verdict.state == "fire"
