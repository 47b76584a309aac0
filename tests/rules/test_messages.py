"""Message lint: every built-in rule reads well on its fire cases; the bad shapes are caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnose.families import catalog
from diagnose.model import Confidence, Finding, Severity
from diagnose.paths import builtin_rules_dir
from diagnose.rules.load import load_rules
from diagnose.rules.messages import finding_problems, hard_coded_literals, lint_messages
from diagnose.rules.wording import drop_zero_clauses, prose


def _f(message: str, remediation: tuple[str, ...] = (), commands: tuple[str, ...] = ()) -> Finding:
    return Finding("x.y", "Title", Severity.WARNING, Confidence.HIGH, 50, message,
                   remediation=remediation, commands=commands)  # fmt: skip


def test_every_builtin_rule_message_reads_well_on_its_cases() -> None:
    problems = lint_messages(load_rules([builtin_rules_dir()], catalog()), catalog())
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize(
    ("message", "shape"),
    [
        ("0 captured deliveries match no signature, 4 verify", "zero"),
        ("errors 3; 0 other failures", "zero"),
        ("captured deliveries answered with a 5xx: 0.", "zero"),
        ('Not set: ["DODO_PAYMENTS_API_KEY (used at', "JSON list"),
        ("chain <Certificate(subject=<Name(CN=x)>)>", "Python repr"),
        ("Redirect loop: redirect loop: /a -> /a", "doubled"),
        ("the the homepage", "doubled"),
        ("expired (tls.leaf.days_left = -3)", "fact name"),
    ],
)
def test_bad_shapes_are_caught(message: str, shape: str) -> None:
    problems = finding_problems(_f(message), {"tls.leaf.days_left"})
    assert any(shape in p for p in problems), problems


@pytest.mark.parametrize(
    "message",
    [
        "0 of 900 Convex function runs failed",
        "yarn: yarn config get registry",
        "set setup-node node-version: 20",
        "expires in 5 days at expiring.dashtray.test",
    ],
)
def test_good_sentences_pass(message: str) -> None:
    assert finding_problems(_f(message), {"tls.leaf.days_left"}) == []


def test_endless_log_commands_are_caught_and_history_passes() -> None:
    assert finding_problems(_f("m", commands=("npx convex logs --prod | grep webhook",)))
    ok = _f("m", commands=("timeout 20 npx convex logs --prod --history 500 --jsonl > c.jsonl",))
    assert finding_problems(ok) == []


def test_values_read_as_prose() -> None:
    assert prose(["A", "B", "C"]) == "A, B, C"
    assert prose([str(i) for i in range(10)]) == "0, 1, 2, 3, 4, 5, 6, 7 and 2 more"
    assert prose(5.0) == "5" and prose(2115.8) == "2116" and prose(0.25) == "0.25"
    assert prose(True) == "yes"


def test_zero_clauses_are_left_out() -> None:
    text = ("Signatures fail because of the secret: 0 captured deliveries match no signature, "
            "0 verify only with the previous secret; 4 verify with $K.")  # fmt: skip
    assert drop_zero_clauses(text) == "Signatures fail because of the secret: 4 verify with $K."
    assert drop_zero_clauses("3 lines unreadable and 0 captures skipped.") == "3 lines unreadable."
    assert drop_zero_clauses("0 of 4 deliveries verified.") == "0 of 4 deliveries verified."
    assert drop_zero_clauses("Nothing: 0 runs") == "Nothing: 0 runs"  # nothing else to say


def _rule_in(tmp_path: Path, family: str, when_fact: str, remediation: str) -> list[str]:
    folder = tmp_path / family
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hard.yaml").write_text(
        "title: A thing\nseverity: warning\nconfidence: high\n"
        f"when: {{fact: {when_fact}, op: exists}}\nmessage: It broke.\n"
        f"remediation:\n  - {json.dumps(remediation)}\n"
    )
    (rule,) = [r for r in load_rules([tmp_path], catalog()) if r.id == f"{family}.hard"]
    return hard_coded_literals(rule, catalog())


@pytest.mark.parametrize(
    ("family", "fact", "fix", "named"),
    [
        ("smoke", "smoke.homepage.status", "curl -I https://dashtray.com", "smoke.url"),
        ("latency", "latency.sample.p95_ms", "curl -sI https://dashtray.com/", "latency.sample"),
        ("dns", "dns.nxdomain_count", "dig dashtray.com A", "dns.name"),
        ("webhook", "webhook.captures.secret_mismatch",
         "npx convex env set DODO_PAYMENTS_WEBHOOK_KEY 'whsec_...' --prod",
         "webhook.captures.secret_env"),
    ],
)  # fmt: skip
def test_a_runbook_literal_is_refused_where_a_fact_knows_the_real_value(
    tmp_path: Path, family: str, fact: str, fix: str, named: str
) -> None:
    problems = _rule_in(tmp_path, family, fact, fix)
    assert len(problems) == 1 and "hard-coded" in problems[0] and named in problems[0], problems


def test_a_runbook_literal_passes_as_a_fallback_or_where_nothing_knows_it(
    tmp_path: Path,
) -> None:
    fallback = "curl -I {smoke.url|https://dashtray.com}"
    assert _rule_in(tmp_path, "smoke", "smoke.homepage.status", fallback) == []
    # env reads no probe that knows the site: the runbook's name is the best there is.
    assert _rule_in(tmp_path, "env", "env.missing", "see https://dashtray.com/settings") == []
