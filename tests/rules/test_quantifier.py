"""The `each:` quantifier: one rule over repeated subjects, naming the subject that fired."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from diagnose.model import Confidence, FactSet, Finding, ProbeOutcome, ProbeStatus, Severity
from diagnose.rules.conditions import UNKNOWN, ConditionError, parse
from diagnose.rules.evaluate import evaluate, render_template
from tests.support.cli import ROOT, run_cli

EACH = {
    "each": "check",
    "in": ["homepage", "auth", "health"],
    "where": {
        "all": [
            {"fact": "smoke.$check.status", "op": "eq", "value": 522},
            {"fact": "smoke.$check.cloudflare", "op": "is_true"},
        ]
    },
}


def _get(facts: dict[str, Any]):  # type: ignore[no-untyped-def]
    return lambda name: facts.get(name, UNKNOWN)


def _checks(**status: int | None) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for check in ("homepage", "auth", "health"):
        code = status.get(check, 200)
        facts[f"smoke.{check}.status"] = code
        facts[f"smoke.{check}.cloudflare"] = code is not None and code >= 520
    return facts


def test_each_binds_the_subjects_that_held_in_order() -> None:
    cond = parse(EACH)
    verdict, evidence, bound = cond.judge(_get(_checks(health=522, auth=522)))
    assert verdict is True
    assert bound == {"check": ("auth", "health")}
    assert evidence == [
        "smoke.auth.status (522) == 522",
        "smoke.auth.cloudflare (true) is true",
        "smoke.health.status (522) == 522",
        "smoke.health.cloudflare (true) is true",
    ]
    assert cond.judge(_get(_checks())) == (False, [], {})


def test_each_reads_concrete_names() -> None:
    """Lint and applicability see the expanded names, one per subject."""
    assert parse(EACH).facts() == {
        f"smoke.{c}.{f}" for c in ("homepage", "auth", "health") for f in ("status", "cloudflare")
    }


def test_each_is_three_valued() -> None:
    """True for one subject wins over unknown for another; unknown wins over false."""
    facts = _checks(health=522)
    facts.pop("smoke.homepage.status")  # its probe failed: unknown
    assert parse(EACH).judge(_get(facts)).verdict is True
    facts = _checks()
    facts.pop("smoke.homepage.status")
    assert parse(EACH).judge(_get(facts)).verdict is False  # not from Cloudflare: false anyway
    facts.pop("smoke.homepage.cloudflare")
    assert parse(EACH).judge(_get(facts)).verdict is None
    assert parse({"not": EACH}).judge(_get(facts)).verdict is None
    assert parse({"not": EACH}).judge(_get(_checks())) == (True, [], {})


def test_nested_each_and_all_merge_bindings() -> None:
    cond = parse(
        {
            "each": "zone",
            "in": ["eu", "us"],
            "where": {
                "each": "check",
                "in": ["homepage", "health"],
                "where": {"fact": "smoke.$zone.$check.status", "op": "ge", "value": 500},
            },
        }
    )
    verdict, _, bound = cond.judge(
        _get({"smoke.us.health.status": 503, "smoke.eu.homepage.status": 200})
    )
    assert verdict is True and bound == {"zone": ("us",), "check": ("health",)}
    assert "smoke.eu.health.status" in cond.facts()


@pytest.mark.parametrize(
    ("node", "path", "needle"),
    [
        ({"fact": "smoke.$check.status", "op": "eq", "value": 1}, "when", "no enclosing 'each'"),
        ({**EACH, "in": []}, "when", "non-empty list of subjects"),
        ({**EACH, "in": ["home page"]}, "when", "one fact-name part"),
        ({**EACH, "in": ["auth", "auth"]}, "when", "twice"),
        ({**EACH, "each": "Check"}, "when", "names a variable"),
        ({"each": "check", "in": ["auth"]}, "when", "needs 'where'"),
        ({**EACH, "over": 1}, "when", "unknown key 'over'"),
        (
            {**EACH, "where": {"fact": "smoke.$chek.status", "op": "eq", "value": 1}},
            "when.where",
            "$chek",
        ),
        (
            {**EACH, "where": {"fact": "smoke.$check.status", "op": "sorta", "value": 1}},
            "when.where",
            "unknown operator",
        ),
        ({**EACH, "where": EACH}, "when.where", "already bound"),
    ],
)
def test_each_parse_errors(node: dict[str, Any], path: str, needle: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(node)
    assert needle in str(caught.value) and caught.value.path == path


def test_templates_fill_the_bound_subject() -> None:
    get = _get({"smoke.health.url": "https://x.convex.site/api/health"})
    bound = {"check": "health"}
    assert render_template("{$check}: {smoke.$check.url}", get, bound) == (
        "health: https://x.convex.site/api/health"
    )
    # A variable nothing bound (its branch did not fire) shows the fallback text.
    assert render_template("{smoke.$other.url|an endpoint}", get, bound) == "an endpoint"


def test_json_finding_names_subjects_and_round_trips() -> None:
    rules_dir = ROOT / "rules"
    from diagnose.families import catalog
    from diagnose.rules.load import load_rules

    rules = [r for r in load_rules([rules_dir], catalog()) if r.id == "http.cloudflare-522"]
    facts = {
        **_checks(health=522),
        "smoke.health.url": "https://x.convex.site/api/health",
        "smoke.health.method": "GET",
        "smoke.health.cf_ray": "8e1a52c4f0d97b3a-FRA",
    }
    probes = (ProbeOutcome("smoke", ProbeStatus.OK, 1.0),)
    findings, _, _, _ = evaluate(rules, FactSet("smoke", "t", "t", probes, facts), catalog())
    doc = findings[0].to_json()
    assert doc["subjects"] == {"check": ["health"]}
    assert "GET https://x.convex.site/api/health" in doc["message"]
    assert "cf-ray 8e1a52c4f0d97b3a-FRA" in doc["message"]
    assert doc["commands"] == ["curl -sS -o /dev/null -D - -X GET https://x.convex.site/api/health"]
    assert Finding.from_json(json.loads(json.dumps(doc))).subjects == (("check", ("health",)),)
    # A finding without a quantifier keeps the JSON it always had.
    plain = Finding("a.b", "t", Severity.INFO, Confidence.LOW, 1.0, "m").to_json()
    assert "subjects" not in plain


@pytest.mark.lab
def test_only_health_behind_cloudflare_522_is_named(lab) -> None:  # type: ignore[no-untyped-def]
    """The issue's case, over real sockets: the site is healthy, Convex's /api/health answers 522."""
    site, convex = lab("healthy"), lab("cf-522")
    result = run_cli("smoke", "--url", site.url, "--convex-url", convex.url, "--format", "json")
    assert result.code == 2, result.stderr
    finding = result.json()["findings"][0]
    assert finding["id"] == "http.cloudflare-522"
    assert finding["subjects"] == {"check": ["health"]}
    assert (
        f"GET {convex.url.rstrip('/')}/api/health (the health check; cf-ray " in finding["message"]
    )
    assert "cf-ray none" not in finding["message"]
    assert finding["commands"] == [
        f"curl -sS -o /dev/null -D - -X GET {convex.url.rstrip('/')}/api/health"
    ]
    assert "smoke.health.cf_ray = 8d3f0c1a2b3c4d5e-AMS" in finding["evidence"]


def test_each_rules_survive_the_rules_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule set served from the pickled cache judges like the one parsed from YAML."""
    from diagnose.families import catalog
    from diagnose.rules.load import load_rules

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DIAGNOSE_NO_CACHE", raising=False)
    parsed = load_rules([ROOT / "rules"], catalog())
    cached = load_rules([ROOT / "rules"], catalog())
    assert list((tmp_path / "cache" / "diagnose").glob("rules-*.pickle"))
    assert cached == parsed
    rule = next(r for r in cached if r.id == "http.cloudflare-522")
    assert rule.when.judge(_get(_checks(health=522))).bound == {"check": ("health",)}
