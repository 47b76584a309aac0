"""Charts from a diagnosis' facts: the series first, then drawn as SVG (HTML) or Mermaid (Markdown).

The series come from facts the probes already write (`latency.logs.series`,
`latency.sample.requests`, `webhook.logs.series`, the deploy record), so `diagnose replay`
draws the same pictures. Nothing here measures or judges: a missing fact is a missing chart.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from diagnose.model import Diagnosis
from diagnose.render.text import headline_finding
from diagnose.timeparse import parse_instant

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 34, 46  # room for the y labels, the title and the x labels
X_LABELS = 7  # x-axis labels drawn at most: the first, the last and evenly between


@dataclass(frozen=True)
class Marker:
    """A moment drawn across a chart (a deployment, "failing since"), at a bucket's index."""

    index: int
    label: str


@dataclass(frozen=True)
class Chart:
    """One chart's data: x labels, the series by name, a budget line, markers, one note."""

    key: str  # also the CSS class: latency, deliveries
    title: str
    unit: str  # ms or deliveries: how values are printed
    x: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    budget: float | None = None
    markers: tuple[Marker, ...] = ()
    note: str = ""
    stacked: bool = False  # bars stacked in series order (ok, then failed on top)
    x_unit: str = "minutes"  # what one step of x is, for an axis numbered from the first label


@dataclass(frozen=True)
class Event:
    """One moment of the incident timeline."""

    at: datetime
    what: str
    kind: str  # deploy, failure, finding, run, change: the dot's colour


# --- numbers and times as people read them ---------------------------------------------------


def ms(value: float | None) -> str:
    """850 ms, 2.4 s; n/a for no value."""
    if value is None:
        return "n/a"
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def _amount(value: float | None, unit: str) -> str:
    if unit == "ms":
        return ms(value)
    return "n/a" if value is None else f"{value:.0f}"


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        return None


def _clock(moment: datetime, seconds: bool = False) -> str:
    return moment.strftime("%H:%M:%S" if seconds else "%H:%M")


def _x_labels(times: Sequence[datetime]) -> tuple[str, ...]:
    """HH:MM, with the date when the series spans more than one day."""
    with_date = len({t.date() for t in times}) > 1
    return tuple(t.strftime("%m-%d %H:%M" if with_date else "%H:%M") for t in times)


def _bucket_of(moment: datetime, times: Sequence[datetime], size_s: float) -> int | None:
    """The index of the bucket a moment falls in, None outside the series."""
    if not times:
        return None
    offset = (moment - times[0]).total_seconds()
    if offset < 0 or offset >= size_s * len(times):
        return None
    return min(int(offset // size_s), len(times) - 1)


def _steps(size_s: float) -> str:
    return "minutes" if size_s == 60 else f"{_per(size_s)} steps"


def _per(size_s: float | None) -> str:
    if not size_s or size_s == 60:
        return "minute"
    return f"{size_s / 60:g} min" if size_s < 3600 else f"{size_s / 3600:g} h"


# --- the series, from the facts -------------------------------------------------------------


def _deploy_markers(
    facts: Mapping[str, Any], times: Sequence[datetime], size_s: float
) -> tuple[Marker, ...]:
    """The recorded deployments that fall inside the series, as markers."""
    out = []
    for prefix in ("deploy.previous", "deploy.last"):
        at = _instant(facts.get(f"{prefix}.at"))
        index = _bucket_of(at, times, size_s) if at else None
        if at is not None and index is not None:
            version = facts.get(f"{prefix}.version") or facts.get(f"{prefix}.commit") or ""
            out.append(Marker(index, f"deploy {version}".strip() + f" {_clock(at)}"))
    return tuple(out)


def latency_chart(facts: Mapping[str, Any]) -> Chart | None:
    """p95 per bucket from the logs against the budget, else each sampled request's time."""
    budget = facts.get("latency.budget.p95_ms")
    budget = float(budget) if isinstance(budget, int | float) else None
    series = facts.get("latency.logs.series") or []
    rows = [(t, s) for s in series if isinstance(s, Mapping) and (t := _instant(s.get("t")))]
    if rows:
        times = [t for t, _ in rows]
        size = float(facts.get("latency.logs.bucket_s") or 60)
        p95 = tuple(_number(s.get("p95_ms")) for _, s in rows)
        over = _instant(facts.get("latency.logs.p95_over_since"))
        note = ""
        if over is not None and budget is not None:
            count = facts.get("latency.logs.p95_over_buckets") or 0
            note = f"p95 over the {ms(budget)} budget since {_clock(over)} UTC ({count} of {len(rows)} {_per(size)}s)"
        elif budget is not None:
            note = f"p95 under the {ms(budget)} budget in every {_per(size)}"
        return Chart(
            "latency",
            f"p95 per {_per(size)} (UTC), budget {ms(budget)}"
            if budget
            else f"p95 per {_per(size)} (UTC)",
            "ms",
            _x_labels(times),
            (("p95", p95),),
            budget,
            _deploy_markers(facts, times, size),
            note,
            x_unit=_steps(size),
        )
    requests = [
        r
        for r in facts.get("latency.sample.requests") or []
        if isinstance(r, Mapping) and not r.get("warmup")
    ]
    if not requests:
        return None
    values = tuple(
        _number(r.get("total_ms")) if not r.get("error") or r.get("cut") else None for r in requests
    )
    slow = sum(1 for v in values if v is not None and budget is not None and v > budget)
    note = (
        f"{slow} of {len(values)} requests over the {ms(budget)} budget"
        if budget is not None
        else ""
    )
    failed = sum(1 for v in values if v is None)
    if failed:
        note += f"{'; ' if note else ''}{failed} without an answer (gaps)"
    return Chart(
        "latency",
        "each sampled request, in order" + (f", budget {ms(budget)}" if budget else ""),
        "ms",
        tuple(str(i) for i in range(1, len(values) + 1)),
        (("time", values),),
        budget,
        (),
        note,
    )


def delivery_chart(facts: Mapping[str, Any]) -> Chart | None:
    """Webhook deliveries per bucket, ok and failed, with the moment every one began failing."""
    series = facts.get("webhook.logs.series") or []
    rows = [(t, s) for s in series if isinstance(s, Mapping) and (t := _instant(s.get("t")))]
    if not rows:
        return None
    times = [t for t, _ in rows]
    size = float(facts.get("webhook.logs.bucket_s") or 60)
    failed = tuple(float(s.get("failed") or 0) for _, s in rows)
    ok = tuple(float(s.get("deliveries") or 0) - f for (_, s), f in zip(rows, failed, strict=True))
    since = _instant(facts.get("webhook.logs.failing_since"))
    markers: tuple[Marker, ...] = ()
    total_failed = int(sum(failed))
    total = int(sum(ok)) + total_failed
    note = f"{total_failed} of {total} deliveries failed"
    if since is not None:
        index = _bucket_of(since, times, size)
        if index is not None:
            markers = (Marker(index, f"failing since {_clock(since, seconds=True)}"),)
        note += f"; every delivery has failed since {_clock(since, seconds=True)} UTC"
    return Chart(
        "deliveries",
        f"webhook deliveries per {_per(size)} (UTC), ok and failed",
        "deliveries",
        _x_labels(times),
        (("ok", ok), ("failed", failed)),
        None,
        markers,
        note,
        stacked=True,
        x_unit=_steps(size),
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def charts(diagnosis: Diagnosis) -> list[Chart]:
    """Every chart the diagnosis' facts can draw, latency first."""
    facts = diagnosis.factset.facts
    return [c for c in (latency_chart(facts), delivery_chart(facts)) if c is not None]


# Moments in the facts worth a place on the timeline: (fact, what happened, kind).
_MOMENTS: tuple[tuple[str, str, str], ...] = (
    ("latency.logs.window_start", "latency logs begin", "run"),
    ("latency.logs.p95_over_since", "p95 over the budget", "failure"),
    ("deploy.onset.latency.first_at", "first slow minute after the deploy", "failure"),
    ("deploy.onset.errors.first_at", "first errors after the deploy", "failure"),
    ("webhook.logs.first_seen", "first webhook delivery in the window", "run"),
    ("webhook.logs.first_failure_at", "first failed webhook delivery", "failure"),
    ("webhook.logs.failing_since", "every webhook delivery failing from here", "failure"),
    ("deploy.onset.webhooks.first_at", "first failed delivery after the deploy", "failure"),
    ("webhook.logs.last_seen", "last webhook delivery", "run"),
)


def _deployed(facts: Mapping[str, Any], prefix: str) -> str:
    version, commit = facts.get(f"{prefix}.version"), facts.get(f"{prefix}.commit")
    who = facts.get(f"{prefix}.by")
    text = f"deployed {version or commit or ''}".strip()
    if version and commit:
        text += f" ({str(commit)[:12]})"
    return text + (f" by {who}" if who else "")


def timeline(diagnosis: Diagnosis) -> list[Event]:
    """The moments the facts know (deploys, first failures, logs' span) and the run, in order."""
    facts = diagnosis.factset.facts
    events: list[Event] = []
    seen: set[tuple[datetime, str]] = set()
    moments = [
        (f"{prefix}.at", _deployed(facts, prefix), "deploy")
        for prefix in ("deploy.previous", "deploy.last")
    ]
    for name, what, kind in [*moments, *_MOMENTS]:
        at = _instant(facts.get(name))
        if at is not None and (at, what) not in seen:
            seen.add((at, what))
            events.append(Event(at, what, kind))
    days = facts.get("tls.leaf.days_left")
    warn = facts.get("tls.warn_days")
    expires = _instant(facts.get("tls.leaf.not_after"))
    if expires and isinstance(days, int | float) and isinstance(warn, int | float) and days < warn:
        events.append(
            Event(
                expires,
                "the certificate expires" if days >= 0 else "the certificate expired",
                "failure",
            )
        )
    run = _instant(diagnosis.factset.now) or _instant(diagnosis.started_at)
    if run is not None and events:
        top = headline_finding(diagnosis)  # the cause the report's heading names
        found = top.id if top else "no findings"
        events.append(Event(run, f"diagnosed: {diagnosis.status.value.upper()} ({found})", "run"))
    return sorted(events, key=lambda e: e.at)


# --- SVG -------------------------------------------------------------------------------------


def _nice_step(value: float) -> float:
    """Round up to 1, 2, 2.5 or 5 times a power of ten, so the axis reads cleanly."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value * (1 - 1e-9))


def ticks(highest: float, count: int = 4, whole: bool = False) -> list[float]:
    """Gridline values from 0 to at least the highest, about `count` steps of a clean size
    (whole numbers only when the values are counts)."""
    if highest <= 0:
        return [0.0, 1.0]
    step = _nice_step(highest / count)
    if whole:
        step = max(1.0, math.ceil(step))
    return [round(step * k, 9) for k in range(math.ceil(highest / step - 1e-9) + 1)]


def _label_indexes(n: int) -> list[int]:
    """Which x labels to print: every k-th from the first, so that at most X_LABELS show."""
    stride = max(1, math.ceil(n / X_LABELS))
    return list(range(0, n, stride))


def svg(chart: Chart) -> str:
    """Draw a chart as inline SVG: a y axis from 0, bars or a line, the budget, the markers."""
    values = [v for _, vs in chart.series for v in vs if v is not None]
    if chart.stacked:
        values = [
            sum(v or 0 for v in col) for col in zip(*(vs for _, vs in chart.series), strict=True)
        ]
    grid = ticks(max([*values, chart.budget or 0, 0]) * 1.05, whole=chart.unit != "ms")
    if len(grid) < 2:
        grid = [0.0, 1.0]
    top = grid[-1]
    n = len(chart.x)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(n, 1)

    def x_at(i: int) -> float:
        return LEFT + step * (i + 0.5)

    def y_at(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    title = escape(chart.title)
    out = [
        f'<svg class="chart {escape(chart.key)}" role="img" aria-label="{title}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{title}</title>",
        f'<text class="title" x="{LEFT}" y="20">{title}</text>',
    ]
    for value in grid:  # gridlines from 0: bars and lines never start at the minimum
        y = y_at(value)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_amount(value, chart.unit))}</text>"
        )
    for i in _label_indexes(n):
        out.append(
            f'<text class="axis" x="{x_at(i):.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{escape(chart.x[i])}</text>'
        )
    if chart.stacked:
        base = [0.0] * n
        for name, vs in chart.series:
            for i, v in enumerate(vs):
                if not v:
                    continue
                y0, y1 = y_at(base[i]), y_at(base[i] + v)
                out.append(
                    f'<rect class="bar {escape(name)}" x="{x_at(i) - step * 0.4:.1f}" y="{y1:.1f}" '
                    f'width="{step * 0.8:.1f}" height="{y0 - y1:.1f}">'
                    f"<title>{escape(chart.x[i])}: {v:.0f} {escape(name)}</title></rect>"
                )
                base[i] += v
    else:
        for name, vs in chart.series:
            for run in _runs(vs):
                points = " ".join(f"{x_at(i):.1f},{y_at(v):.1f}" for i, v in run)
                out.append(f'<polyline class="line {escape(name)}" points="{points}"/>')
            for i, v in enumerate(vs):
                if v is None:
                    continue
                over = chart.budget is not None and v > chart.budget
                out.append(
                    f'<circle class="dot{" over" if over else ""}" cx="{x_at(i):.1f}" '
                    f'cy="{y_at(v):.1f}" r="{2.5 if n > 40 else 3.5}">'
                    f"<title>{escape(chart.x[i])}: {escape(ms(v))}</title></circle>"
                )
    if chart.budget is not None:
        y = y_at(chart.budget)
        out.append(
            f'<line class="budget" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="budget-label" x="{WIDTH - RIGHT - 4}" y="{y + 14:.1f}" '
            f'text-anchor="end">budget {escape(ms(chart.budget))}</text>'
        )
    for k, marker in enumerate(chart.markers):
        x = x_at(marker.index)
        out.append(
            f'<line class="marker" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + plot_h}"/>'
        )
        anchor = "end" if x > WIDTH * 0.7 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(
            f'<text class="marker-label" x="{x + dx:.1f}" y="{TOP + 12 + 13 * k}" '
            f'text-anchor="{anchor}">{escape(marker.label)}</text>'
        )
    out.append(_range_label(chart))
    out.append("</svg>")
    return "\n".join(out)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive known points: a bucket with no value breaks the line instead of faking 0."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, v))
    return [r for r in runs if r]


def _range_label(chart: Chart) -> str:
    """The min and max under the chart (the numbers the shape stands for), or the totals."""
    if chart.stacked:
        totals = ", ".join(f"{sum(v or 0 for v in vs):.0f} {name}" for name, vs in chart.series)
        text = f"total {totals}"
    else:
        known = [(v, i) for _, vs in chart.series for i, v in enumerate(vs) if v is not None]
        if not known:
            text = "no values"
        else:
            low, high = min(known), max(known)
            text = (
                f"min {_amount(low[0], chart.unit)}, max {_amount(high[0], chart.unit)} "
                f"at {chart.x[high[1]]}"
            )
    return f'<text class="range" x="{LEFT}" y="{HEIGHT - 8}">{escape(text)}</text>'


# --- Mermaid (GitHub renders these in Markdown) ----------------------------------------------


def _mermaid_text(text: str) -> str:
    """A label Mermaid's lexers take whole: one line (every break or control character goes),
    no quotes, no %% (a comment), no ': ' or '#'."""
    flat = "".join(
        " " if c.isspace() else c for c in text if c.isspace() or unicodedata.category(c) != "Cc"
    )
    return (
        re.sub("%+", "%", flat)
        .replace('"', "'")
        .replace(": ", " - ")
        .replace("#", "no. ")
        .replace(";", ",")
    )


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def mermaid(chart: Chart) -> str:
    """Draw a chart as a Mermaid xychart-beta block; buckets without a value draw at 0."""
    palette = "#2e7d32, #c62828" if chart.stacked else "#1565c0, #c62828"
    values = [v for _, vs in chart.series for v in vs if v is not None]
    if chart.stacked:
        values = [
            sum(v or 0 for v in col) for col in zip(*(vs for _, vs in chart.series), strict=True)
        ]
    top = ticks(max([*values, chart.budget or 0, 0]) * 1.05, whole=chart.unit != "ms")[-1]
    unit = "ms" if chart.unit == "ms" else chart.unit
    title = chart.title  # the markers are in the note under the block: a long title is cut
    lines = [
        "```mermaid",
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%',
        "xychart-beta",
        f'    title "{_mermaid_text(title)}"',
        _mermaid_x_axis(chart),
        f'    y-axis "{unit}" 0 --> {_num(top)}',
    ]
    if chart.stacked:
        # Mermaid draws every bar series from 0 at the same place, in order: all deliveries
        # first, the failed ones over them, reads as a stacked bar.
        ok, failed = (vs for _, vs in chart.series)
        totals = [(a or 0) + (b or 0) for a, b in zip(ok, failed, strict=True)]
        lines.append("    bar [" + ", ".join(_num(v) for v in totals) + "]")
        lines.append("    bar [" + ", ".join(_num(v or 0) for v in failed) + "]")
    else:
        for _, vs in chart.series:
            lines.append("    line [" + ", ".join(_num(v or 0) for v in vs) + "]")
        if chart.budget is not None:
            lines.append("    line [" + ", ".join(_num(chart.budget) for _ in chart.x) + "]")
    lines.append("```")
    return "\n".join(lines)


MERMAID_LABELS = 12  # Mermaid prints every category: more than this and they run together


def _mermaid_x_axis(chart: Chart) -> str:
    """Categories when they fit; else a numbered axis (bucket 0 is the first label), which
    Mermaid ticks by itself, the points spread evenly along it."""
    if len(chart.x) <= MERMAID_LABELS:
        return "    x-axis [" + ", ".join(f'"{_mermaid_text(x)}"' for x in chart.x) + "]"
    if chart.x[0] == "1":  # the sample: requests in order
        return f'    x-axis "request" 1 --> {len(chart.x)}'
    name = _mermaid_text(f"{chart.x_unit} from {chart.x[0]} UTC")
    return f'    x-axis "{name}" 0 --> {len(chart.x) - 1}'


def mermaid_timeline(events: Sequence[Event], title: str = "Timeline (UTC)") -> str:
    """Draw events as a Mermaid timeline block: one period per moment, the date as sections."""
    lines = ["```mermaid", "timeline", f"    title {_mermaid_text(title)}"]
    day = None
    with_date = len({e.at.date() for e in events}) > 1
    for event in events:
        if with_date and event.at.date() != day:
            day = event.at.date()
            lines.append(f"    section {day.isoformat()}")
        # A period cannot hold ':' (Mermaid ends it there): the clock's colons are U+2236.
        period = event.at.strftime("%H\u2236%M\u2236%S")
        lines.append(f"        {period} : {_mermaid_text(event.what)}")
    lines.append("```")
    return "\n".join(lines)
