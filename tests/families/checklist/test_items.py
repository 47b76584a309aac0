"""Checklist items: the `checklist:` block of a rule, checked by lint, marked by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from diagnose.engine.api import judge
from diagnose.families import catalog
from diagnose.families.checklist.plan import POST_DEPLOY, PRE_DEPLOY
from diagnose.model import ChecklistPlan, FactSet, ItemState, ProbeOutcome, ProbeStatus
from diagnose.paths import builtin_rules_dir
from diagnose.rules.load import Rule, check_rule, load_rules
from tests.support.cli import ROOT

BASES = ROOT / "rules" / "_bases"

RULE = """\
title: Convex health does not answer 200
severity: warning
confidence: medium
when: {all: [{fact: smoke.health.checked, op: is_true}, {fact: smoke.health.status, op: ne, value: 200}]}
message: "Convex health answered {smoke.health.status|nothing}"
remediation: ["Read the answer: curl -i https://your-project.convex.site/api/health"]
checklist:
  label: Convex health answers
  needs: --convex-url URL
  passed:
    - "health {smoke.health.status}"
    - "in {smoke.health.elapsed_ms} ms"
  unconfirmed:
    when: {not: {fact: smoke.health.checked, op: is_true}}
    say: "no --convex-url to test (url {smoke.url|not given})"
"""


def _rules() -> list[Rule]:
    return load_rules([builtin_rules_dir()], catalog())


def _factset(facts: dict[str, Any], probes: dict[str, str]) -> FactSet:
    outcomes = tuple(
        ProbeOutcome(name, ProbeStatus(status), 0.0, None if status == "ok" else "broke")
        for name, status in probes.items()
    )
    return FactSet("checklist post-deploy", "t", "2026-03-11T11:00:00Z", outcomes, facts)


def _base(name: str) -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load((BASES / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


POST_PROBES = {"checklist_post": "ok", "latency_budget": "ok", "smoke": "ok"}
POST_PROBES |= {"latency_sample": "ok", "latency_logs": "ok", "webhook_logs": "ok"}


def _marks(facts: dict[str, Any], probes: dict[str, str], plan: ChecklistPlan) -> dict[str, Any]:
    checklist = judge(_factset(facts, probes), _rules(), checklist=plan).checklist
    assert checklist is not None and checklist.title == plan.title
    assert [i.id for i in checklist.items] == list(plan.rules)  # the runbook's order
    return {i.id[len("checklist.") :]: (i.state, i.evidence) for i in checklist.items}


def test_every_item_has_its_rule_and_block() -> None:
    by_id = {r.id: r for r in _rules()}
    for rid in (*PRE_DEPLOY.rules, *POST_DEPLOY.rules):
        spec = by_id[rid].checklist
        assert spec is not None and spec.label and spec.passed, rid


def test_clean_post_deploy_passes_every_item_with_its_evidence() -> None:
    facts = _base("checklist-post") | {"smoke.url": "https://dashtray.com"}
    marks = _marks(facts, POST_PROBES, POST_DEPLOY)
    assert (
        marks["smoke-tests"][1]
        == "homepage answered 200, sign-in answered 401, health answered 200"
    )
    assert {k: s for k, (s, _) in marks.items()} == dict.fromkeys(marks, ItemState.PASS)
    assert marks["error-rate"][1] == "requests 0.00 %, Convex functions 0.00 %"
    assert marks["p95"][1] == "p95 in the logs (ms) 240, live p95 (ms) 180"
    assert marks["crons"][1].startswith("syncIntegrations (integrations:syncAll): every 15")
    assert marks["rate-limiting"][1] == (
        "3 rate-limited answers, configured: package.json: @convex-dev/rate-limiter"
    )


def test_a_fired_rule_fails_its_item_with_the_finding_message() -> None:
    facts = _base("checklist-post") | {"checklist.email.failures": 2}
    state, text = _marks(facts, POST_PROBES, POST_DEPLOY)["email"]
    assert state is ItemState.FAIL and text.startswith("2 email errors")


def test_a_quiet_rule_that_proved_nothing_is_not_a_pass() -> None:
    facts = _base("checklist-post") | {
        "latency.logs.requests": 0,
        "latency.logs.error_rate": None,
        "latency.logs.p95_ms": None,
        "latency.sample.count": 0,
        "latency.sample.p95_ms": None,
        "checklist.crons.seen": 0,
        "checklist.crons.jobs": [],
    }
    marks = _marks(facts, POST_PROBES, POST_DEPLOY)
    # Only the functions' rate is known: the request part is left out, not shown as "none".
    assert marks["error-rate"] == (ItemState.PASS, "Convex functions 0.00 %")
    assert marks["p95"] == (
        ItemState.INCONCLUSIVE,
        "not confirmed: no request timings (request logs or --url)",
    )
    assert marks["crons"] == (ItemState.INCONCLUSIVE, "not confirmed: no cron run in the logs")


def test_failed_probe_and_probe_not_run() -> None:
    probes = POST_PROBES | {"webhook_logs": "error"}
    del probes["smoke"]
    facts = {k: v for k, v in _base("checklist-post").items() if not k.startswith("webhook.")}
    marks = _marks(facts, probes, POST_DEPLOY)
    assert marks["webhooks-processing"] == (
        ItemState.INCONCLUSIVE,
        "probe webhook_logs error: broke",
    )
    assert marks["smoke-tests"][0] is ItemState.INCONCLUSIVE
    assert marks["smoke-tests"][1] == "not confirmed: no --url to test"


def test_pre_deploy_without_sources_or_project_claims_nothing() -> None:
    facts = {k: v for k, v in _base("checklist-pre").items() if k.startswith("checklist.")}
    facts |= {"checklist.convex.checked": False}
    for name in ("deploy_commands", "prod_flag", "deploy_key_missing"):
        facts.pop(f"checklist.convex.{name}")
    marks = _marks(facts, {"checklist_pre": "ok"}, PRE_DEPLOY)
    assert marks["deploy-window"] == (
        ItemState.PASS,
        "Wednesday 2026-03-11T11:00+01:00 (Europe/Berlin): best",
    )
    for item in ("env-configured", "build-config", "convex-deploy-prod", "convex-deploy-key"):
        assert marks[item][0] is ItemState.INCONCLUSIVE, marks[item]
    assert "--env-file" in marks["env-configured"][1]


def test_project_without_a_convex_deploy_command_is_not_confirmed() -> None:
    facts = _base("checklist-pre") | {"checklist.convex.deploy_commands": []}
    probes = {"checklist_pre": "ok", "envvars": "ok", "project": "ok"}
    marks = _marks(facts, probes, PRE_DEPLOY)
    assert marks["convex-deploy-prod"][0] is ItemState.INCONCLUSIVE
    assert "no convex deploy command" in marks["convex-deploy-prod"][1]
    assert marks["env-configured"] == (
        ItemState.PASS,
        "0 required names set in npx convex env list (convex.env), .env.production",
    )


def test_lint_accepts_a_sound_block(tmp_path: Path) -> None:
    path = tmp_path / "mine" / "health.yaml"
    path.parent.mkdir()
    path.write_text(RULE, encoding="utf-8")
    assert check_rule(path, tmp_path, catalog()) == []


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("  needs:", "  colour: red\n  needs:", "unknown key 'colour'"),
        (
            'health {smoke.health.status}"\n',
            'health {smoke.helth.status}"\n',
            "'smoke.helth.status'",
        ),
        ("{smoke.url|not given}", "{smoke.urll|not given}", "unknown fact name 'smoke.urll'"),
        (
            "smoke.health.checked, op: is_true",
            "smoke.health.checkd, op: is_true",
            "smoke.health.checkd",
        ),
        ("is_true}}\n", "maybe}}\n", "unknown operator 'maybe'"),
        (
            "{smoke.health.elapsed_ms}",
            "{smoke.health.elapsed_ms:seconds}",
            "unknown format 'seconds'",
        ),
        ("  label: Convex health answers\n", "", "'label' is required"),
        ('    say: "no', '    tell: "no', "needs 'when'"),
    ],
)
def test_lint_checks_the_block(tmp_path: Path, old: str, new: str, needle: str) -> None:
    assert old in RULE
    path = tmp_path / "mine" / "health.yaml"
    path.parent.mkdir()
    path.write_text(RULE.replace(old, new), encoding="utf-8")
    problems = [str(p) for p in check_rule(path, tmp_path, catalog())]
    assert any(needle in p for p in problems), problems
