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


def test_a_handler_that_throws_on_a_bad_signature_ranks_the_secret_first() -> None:
    """Convex answers 500 when the handler throws on a failed verification: the 500s are the
    consequence, the secret is the cause (issue: handler-errors outranked secret-mismatch)."""
    import yaml

    from diagnose.engine.api import all_rules, judge
    from diagnose.model import FactSet, ProbeOutcome, ProbeStatus

    base = yaml.safe_load((builtin_rules_dir() / "_bases" / "webhook-healthy.yaml").read_text())
    facts = {
        **base,
        "webhook.captures.verified": 0,
        "webhook.captures.failed": 4,
        "webhook.captures.secret_mismatch": 4,
        "webhook.captures.status_5xx": 4,
        "webhook.logs.signature_failures": 4,
        "webhook.logs.handler_errors": 4,
        "webhook.logs.error_rate": 1.0,
    }
    outcomes = tuple(
        ProbeOutcome(p, ProbeStatus.OK, 1.0) for p in ("webhook_logs", "webhook_captures")
    )
    diagnosis = judge(
        FactSet("webhooks", "t", "2026-12-01T00:00:00Z", outcomes, facts), all_rules()
    )
    assert diagnosis.findings[0].id == "webhook.secret-mismatch"
    assert "webhook.handler-errors" in {f.id for f in diagnosis.findings[0].explains}
