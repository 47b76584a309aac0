"""The engine's own logic: three-valued conditions, ranking and explains, the deadline."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from diagnose.engine.run import run_probes
from diagnose.model import Confidence, Finding, ProbeStatus, Severity
from diagnose.probe import FactSink, ProbeContext
from diagnose.rules.conditions import UNKNOWN, parse
from diagnose.rules.evaluate import rank, render_template


def _get(facts: dict[str, Any]):  # type: ignore[no-untyped-def]
    return lambda name: facts.get(name, UNKNOWN)


def test_unknown_propagates_kleene() -> None:
    leaf_a = {"fact": "a", "op": "gt", "value": 1}
    leaf_b = {"fact": "b", "op": "eq", "value": 2}
    assert parse({"all": [leaf_a, leaf_b]}).evaluate(_get({"a": 0}))[0] is False
    assert parse({"all": [leaf_a, leaf_b]}).evaluate(_get({"a": 5}))[0] is None
    assert parse({"any": [leaf_a, leaf_b]}).evaluate(_get({"a": 5}))[0] is True
    assert parse({"any": [leaf_a, leaf_b]}).evaluate(_get({"a": 0}))[0] is None
    assert parse({"not": leaf_a}).evaluate(_get({}))[0] is None


def test_evidence_quotes_values() -> None:
    verdict, evidence = parse({"fact": "tls.leaf.days_left", "op": "lt", "value": 0}).evaluate(
        _get({"tls.leaf.days_left": -3})
    )
    assert verdict is True and evidence == ["tls.leaf.days_left (-3) < 0"]


def test_ordering_with_none_is_false() -> None:
    assert parse({"fact": "s", "op": "ge", "value": 500}).evaluate(_get({"s": None}))[0] is False


def test_value_fact_compares_two_facts() -> None:
    cond = parse({"fact": "p95", "op": "gt", "value_fact": "budget"})
    verdict, evidence = cond.evaluate(_get({"p95": 2500, "budget": 2000}))
    assert verdict and evidence == ["p95 (2500) > budget (2000)"]


def test_templates_are_safe() -> None:
    get = _get({"a.b": 5})
    assert (
        render_template("{a.b} {{literal}} {a.__class__} {missing}", get)
        == "5 {literal} unknown unknown"
    )  # a name, never an attribute


def _f(fid: str, sev: Severity = Severity.CRITICAL, conf: Confidence = Confidence.HIGH) -> Finding:
    return Finding(fid, fid, sev, conf, sev.weight * conf.weight, fid)


def test_root_absorbs_consequences_transitively() -> None:
    fired = [_f("smoke.homepage"), _f("tls.handshake-failed"), _f("dns.nxdomain", Severity.WARNING)]
    explains = {
        "dns.nxdomain": ("tls.handshake-failed",),
        "tls.handshake-failed": ("smoke.homepage",),
    }
    ranked = rank(fired, explains)
    assert [f.id for f in ranked] == ["dns.nxdomain"]
    assert {e.id for e in ranked[0].explains} == {"tls.handshake-failed", "smoke.homepage"}
    assert ranked[0].score == 100  # takes its worst consequence's score


def test_ranking_is_deterministic() -> None:
    fired = [
        _f("b.x", Severity.WARNING),
        _f("a.y", Severity.WARNING),
        _f("c.z"),
        _f("d.w", Severity.INFO),
    ]
    assert [f.id for f in rank(fired, {})] == ["c.z", "a.y", "b.x", "d.w"]
    assert [f.rank for f in rank(fired, {})] == [1, 2, 3, 4]


class _Slow:
    name: ClassVar[str] = "slow"
    provides: ClassVar[frozenset[str]] = frozenset({"slow.seen"})

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        sink.put("slow.seen", True)  # what it saw before the deadline is kept
        time.sleep(5)


class _Broken:
    name: ClassVar[str] = "broken"
    provides: ClassVar[frozenset[str]] = frozenset()

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        raise OSError("disk on fire")


def test_deadline_and_errors_are_outcomes() -> None:
    ctx = ProbeContext(options={"timeout": 0.3}, now=None, deadline=time.monotonic() + 0.3)  # type: ignore[arg-type]
    t0 = time.monotonic()
    outcomes, facts = run_probes([_Slow(), _Broken()], ctx)
    assert time.monotonic() - t0 < 3
    status = {o.name: o for o in outcomes}
    assert status["slow"].status is ProbeStatus.TIMEOUT
    assert status["broken"].status is ProbeStatus.ERROR and "disk on fire" in str(
        status["broken"].error
    )
    assert facts == {"slow.seen": True}


def test_probe_cannot_write_undeclared_fact() -> None:
    sink = FactSink("p", frozenset({"p.a", "p.list.*"}))
    sink.put("p.list.x", 1)
    try:
        sink.put("p.b", 1)
    except KeyError:
        pass
    else:
        raise AssertionError("undeclared fact accepted")


def test_rules_cache_follows_the_files(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A cached rule set is used only while no rule file changed."""
    import os

    from diagnose.families import catalog
    from diagnose.rules.load import load_rules

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DIAGNOSE_NO_CACHE", raising=False)
    rule = tmp_path / "rules" / "team" / "x.yaml"
    rule.parent.mkdir(parents=True)
    text = (
        "title: T\nseverity: {sev}\nconfidence: high\n"
        "when: {{fact: smoke.health.status, op: ne, value: 200}}\n"
        "message: m\nremediation: ['curl -i the health endpoint']\n"
    )
    rule.write_text(text.format(sev="warning"))
    first = load_rules([tmp_path / "rules"], catalog())
    assert list((tmp_path / "cache" / "diagnose").glob("rules-*.pickle"))
    assert load_rules([tmp_path / "rules"], catalog()) == first  # served from the cache
    rule.write_text(text.format(sev="critical"))
    os.utime(rule, ns=(1, 1))  # a different mtime, whatever the clock's resolution
    again = load_rules([tmp_path / "rules"], catalog())
    assert again[0].severity.value == "critical"
