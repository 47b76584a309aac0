"""The webhook rules: every required id exists, and each one's fire/quiet/inconclusive cases pass."""

from __future__ import annotations

from diagnose.families import catalog
from diagnose.paths import builtin_rules_dir
from diagnose.rules.cases import run_all
from diagnose.rules.load import load_rule, rule_files

REQUIRED = {
    "webhook.secret-mismatch",
    "webhook.body-modified",
    "webhook.timestamp-skew",
    "webhook.missing-headers",
    "webhook.handler-errors",
    "webhook.not-received",
    "webhook.duplicates",
    "webhook.slow-handler",
    "webhook.endpoint-unreachable",
}


def test_webhook_rules_and_cases() -> None:
    root = builtin_rules_dir()
    rules = [load_rule(p, root, catalog()) for p in rule_files(root / "webhook")]
    assert REQUIRED <= {r.id for r in rules}
    for rule in rules:
        assert rule.remediation and any("npx convex" in c or "curl" in c for c in rule.commands), (
            rule.id
        )
    failed = [r for r in run_all(rules, catalog()) if not r.passed]
    assert not failed, failed
