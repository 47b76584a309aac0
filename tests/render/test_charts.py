"""Charts from facts: the series, the SVG drawing and the Mermaid blocks GitHub renders."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.model import Diagnosis, FactSet, Status
from diagnose.render.charts import (
    Event,
    delivery_chart,
    latency_chart,
    mermaid,
    mermaid_timeline,
    svg,
    ticks,
    timeline,
)


def _minutes(values: list[float | None]) -> list[dict[str, Any]]:
    return [
        {"t": f"2026-11-27T10:{m:02d}:00Z", "requests": 20, "errors": 0, "p95_ms": v}
        for m, v in enumerate(values)
    ]


LATENCY = {
    "latency.budget.p95_ms": 2000,
    "latency.logs.bucket_s": 60,
    "latency.logs.series": _minutes([210.0, 230.0, None, 2600.0, 2800.0, 2700.0]),
    "latency.logs.p95_over_since": "2026-11-27T10:03:00Z",
    "latency.logs.p95_over_buckets": 3,
    "deploy.last.at": "2026-11-27T10:02:30Z",
    "deploy.last.version": "v1.2.0",
    "deploy.last.commit": "abc1234def5678",
    "deploy.previous.at": "2026-11-20T10:00:00Z",  # before the series: no marker
    "deploy.previous.version": "v1.1.0",
}

DELIVERIES = {
    "webhook.logs.bucket_s": 60,
    "webhook.logs.series": [
        {"t": "2026-12-01T02:00:00.000Z", "deliveries": 3, "failed": 0},
        {"t": "2026-12-01T02:01:00.000Z", "deliveries": 4, "failed": 1},
        {"t": "2026-12-01T02:02:00.000Z", "deliveries": 0, "failed": 0},
        {"t": "2026-12-01T02:03:00.000Z", "deliveries": 5, "failed": 5},
    ],
    "webhook.logs.failing_since": "2026-12-01T02:01:40.000Z",
}


def _diagnosis(facts: dict[str, Any], now: str = "2026-11-27T10:06:00Z") -> Diagnosis:
    factset = FactSet("all", "x", now, (), facts)
    return Diagnosis("all", "x", "a", "b", Status.CRITICAL, (), (), (), factset)


def test_p95_chart_has_the_budget_and_the_deploy_inside_the_series() -> None:
    chart = latency_chart(LATENCY)
    assert chart is not None
    assert chart.x == ("10:00", "10:01", "10:02", "10:03", "10:04", "10:05")
    assert chart.budget == 2000
    assert [(m.index, m.label) for m in chart.markers] == [(2, "deploy v1.2.0 10:02")]
    assert "since 10:03 UTC (3 of 6 minutes)" in chart.note
    drawn = svg(chart)
    assert "budget 2.0 s" in drawn and "deploy v1.2.0 10:02" in drawn
    assert "min 210 ms, max 2.8 s at 10:04" in drawn
    # A minute without requests breaks the line: two polylines, never a fake 0.
    assert drawn.count("<polyline") == 2
    assert drawn.count('class="dot over"') == 3


def test_sample_chart_when_there_are_no_logs() -> None:
    requests = [
        {"seq": 0, "warmup": True, "total_ms": 900.0},
        {"seq": 1, "total_ms": 2100.0},
        {"seq": 2, "total_ms": 1500.0},
        {"seq": 3, "total_ms": None, "error": "ReadTimeout"},
    ]
    chart = latency_chart({"latency.budget.p95_ms": 2000, "latency.sample.requests": requests})
    assert chart is not None and chart.x == ("1", "2", "3")
    assert chart.series == (("time", (2100.0, 1500.0, None)),)
    assert chart.note == "1 of 3 requests over the 2.0 s budget; 1 without an answer (gaps)"
    assert latency_chart({"latency.budget.p95_ms": 2000}) is None


def test_deliveries_stack_ok_and_failed_and_mark_failing_since() -> None:
    chart = delivery_chart(DELIVERIES)
    assert chart is not None and chart.stacked
    assert chart.series == (("ok", (3.0, 3.0, 0.0, 0.0)), ("failed", (0.0, 1.0, 0.0, 5.0)))
    assert [(m.index, m.label) for m in chart.markers] == [(1, "failing since 02:01:40")]
    assert chart.note == "6 of 12 deliveries failed; every delivery has failed since 02:01:40 UTC"
    drawn = svg(chart)
    assert drawn.count('class="bar failed"') == 2 and drawn.count('class="bar ok"') == 2
    assert "total 6 ok, 6 failed" in drawn
    assert delivery_chart({"webhook.logs.series": []}) is None


def test_axes_start_at_zero_with_clean_steps() -> None:
    assert ticks(2940.0) == [0, 1000, 2000, 3000]
    assert ticks(84.0) == [0, 25, 50, 75, 100]
    assert ticks(1.0, whole=True) == [0, 1]
    assert ticks(0.0) == [0.0, 1.0]
    # 43-84 ms is drawn from 0: the lowest gridline is 0, not 43.
    drawn = svg(latency_chart({"latency.logs.series": _minutes([43.0, 60.0, 84.0])}))  # type: ignore[arg-type]
    assert re.search(r'text-anchor="end">0 ms</text>', drawn)


def test_mermaid_xychart_has_the_budget_line_and_stacked_bars() -> None:
    chart = latency_chart(LATENCY)
    assert chart is not None
    block = mermaid(chart)
    assert block.startswith("```mermaid\n") and "\nxychart-beta\n" in block
    assert '    x-axis ["10:00", "10:01", "10:02", "10:03", "10:04", "10:05"]' in block
    assert "    line [210, 230, 0, 2600, 2800, 2700]" in block
    assert "    line [2000, 2000, 2000, 2000, 2000, 2000]" in block
    assert '    y-axis "ms" 0 --> 3000' in block
    bars = mermaid(delivery_chart(DELIVERIES))  # type: ignore[arg-type]
    # All deliveries first, the failed over them: Mermaid draws both bars from 0 in one place.
    assert bars.index("bar [3, 4, 0, 5]") < bars.index("bar [0, 1, 0, 5]")


def test_mermaid_numbers_the_x_axis_when_labels_would_run_together() -> None:
    """Mermaid prints every category: 30 minutes become an axis numbered from the first."""
    chart = latency_chart({"latency.logs.series": _minutes([100.0] * 30)})
    assert chart is not None
    assert '    x-axis "minutes from 10:00 UTC" 0 --> 29' in mermaid(chart)
    requests = [{"seq": i, "total_ms": 50.0} for i in range(20)]
    sample = latency_chart({"latency.sample.requests": requests})
    assert sample is not None and '    x-axis "request" 1 --> 20' in mermaid(sample)


def test_mermaid_timeline_keeps_its_lexer_happy() -> None:
    facts = {
        **DELIVERIES,
        "webhook.logs.first_failure_at": "2026-12-01T02:01:10.000Z",
        "deploy.last.at": "2026-12-01T01:58:00Z",
        "deploy.last.version": "v1.2.0 #7: fix; 100%% done",
    }
    events = timeline(_diagnosis(facts, "2026-12-01T02:04:00Z"))
    assert [e.what for e in events][:2] == [
        "deployed v1.2.0 #7: fix; 100%% done",
        "first failed webhook delivery",
    ]
    block = mermaid_timeline(events)
    for line in block.splitlines()[3:-1]:
        period, _, event = line.strip().partition(" : ")
        assert ":" not in period and "#" not in period, line
        assert ": " not in event and "%%" not in event and "#" not in event, line
    assert "01∶58∶00 : deployed v1.2.0 no. 7 - fix, 100% done" in block


def test_timeline_orders_the_moments_and_ends_with_the_run() -> None:
    facts = {**LATENCY, "latency.logs.window_start": "2026-11-27T10:00:00Z"}
    events = timeline(_diagnosis(facts))
    assert [e.what for e in events] == [
        "deployed v1.1.0",
        "latency logs begin",
        "deployed v1.2.0 (abc1234def56)",
        "p95 over the budget",
        "diagnosed: CRITICAL (no findings)",
    ]
    assert timeline(_diagnosis({})) == []


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("%:# \n\r\x0c\u2028;a")) | st.characters(), max_size=60)
)
def test_any_event_text_is_one_mermaid_event(text: str) -> None:
    """Whatever a deploy's version says, its line stays one period and one event."""
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    block = mermaid_timeline([Event(at, f"deployed {text}", "deploy")]).splitlines()
    assert len(block) == 5 and block[-1] == "```"
    period, sep, event = block[3].strip().partition(" : ")
    assert sep and period == "02∶00∶00"
    assert ": " not in event and "%%" not in event and "#" not in event
