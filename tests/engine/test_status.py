"""The overall status: ok only when something was checked and passed (design.md, second round)."""

from __future__ import annotations

from typing import Any

from diagnose.coverage import Checked, blind_spots, fact_name, summary
from diagnose.model import Confidence, FactSet, Finding, ProbeOutcome, ProbeStatus, Severity, Status
from diagnose.rules.evaluate import overall_status


def _facts(probes: dict[str, ProbeStatus], facts: dict[str, Any]) -> FactSet:
    outcomes = tuple(ProbeOutcome(n, s, 1.0) for n, s in probes.items())
    return FactSet("latency", "t", "2026-12-01T10:00:00Z", outcomes, facts)


def _warning() -> Finding:
    return Finding("latency.p95-over-budget", "slow", Severity.WARNING, Confidence.HIGH, 50, "slow")


def test_ok_needs_a_judged_rule() -> None:
    factset = _facts({"latency_logs": ProbeStatus.OK}, {})
    assert overall_status([], factset, quiet=()) is Status.UNKNOWN
    assert overall_status([], factset, quiet=("latency.p95-over-budget",)) is Status.OK


def test_a_probe_that_checked_nothing_is_unknown() -> None:
    nothing = Checked(0, "lines", "0 readable lines, 12 skipped", "give --log FILE: a log")
    factset = _facts(
        {"latency_logs": ProbeStatus.OK}, {fact_name("latency_logs"): nothing.to_json()}
    )
    assert overall_status([], factset, quiet=("a.b",)) is Status.UNKNOWN
    assert blind_spots(factset.facts, 1) == [
        "nothing checked by latency_logs: 0 readable lines, 12 skipped; give --log FILE: a log"
    ]
    # A finding still says what was found: a warning is not hidden behind the blind spot.
    assert overall_status([_warning()], factset) is Status.WARNING


def test_what_was_checked_is_said() -> None:
    some = Checked(1200, "lines", "1200 lines read, 3 skipped")
    factset = _facts({"latency_logs": ProbeStatus.OK}, {fact_name("latency_logs"): some.to_json()})
    assert overall_status([], factset, quiet=("a.b",)) is Status.OK
    assert summary(factset.facts) == ["checked by latency_logs: 1200 lines read, 3 skipped"]
    assert blind_spots(factset.facts, 1) == []


def test_failed_probe_is_unknown_and_no_probe_is_unknown() -> None:
    failed = _facts({"latency_logs": ProbeStatus.ERROR}, {})
    assert overall_status([], failed, quiet=("a.b",)) is Status.UNKNOWN
    assert overall_status([], _facts({}, {}), quiet=()) is Status.UNKNOWN


def test_hand_made_checked_fact_is_ignored() -> None:
    factset = _facts({"p": ProbeStatus.OK}, {fact_name("p"): "yes"})
    assert overall_status([], factset, quiet=("a.b",)) is Status.OK
