"""Percentiles, summaries and sparklines: plain Python, shared by sampling and log analysis."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

# Eight block heights; a sparkline is the shape of a series, not its numbers.
BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 60  # fits in a terminal line and under the evidence limit of 160 characters


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the q-th percentile (0-100) by linear interpolation, as pandas and numpy do."""
    data = sorted(v for v in values if v is not None and not math.isnan(v))
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (pos - low)


def rounded(value: float | None, digits: int = 1) -> float | None:
    """Round for facts (JSON carries no NaN); None stays None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def summarize(values: Sequence[float]) -> dict[str, Any]:
    """Return count, p50, p95, p99, mean and max of a series of milliseconds."""
    data = [v for v in values if v is not None]
    return {
        "count": len(data),
        "p50_ms": rounded(percentile(data, 50)),
        "p95_ms": rounded(percentile(data, 95)),
        "p99_ms": rounded(percentile(data, 99)),
        "mean_ms": rounded(sum(data) / len(data)) if data else None,
        "max_ms": rounded(max(data)) if data else None,
    }


def downsample(values: Sequence[float | None], width: int = SPARK_WIDTH) -> list[float | None]:
    """Shrink a series to at most `width` points, keeping each group's maximum (spikes survive)."""
    if len(values) <= width:
        return list(values)
    out: list[float | None] = []
    for i in range(width):
        group = values[i * len(values) // width : (i + 1) * len(values) // width]
        known = [v for v in group if v is not None]
        out.append(max(known) if known else None)
    return out


def sparkline(values: Sequence[float | None], width: int = SPARK_WIDTH) -> str:
    """Return the series as block characters scaled to its maximum; a gap is a space."""
    points = downsample(values, width)
    known = [v for v in points if v is not None]
    top = max(known) if known else 0
    if top <= 0:
        return "".join(" " if v is None else BLOCKS[0] for v in points)
    return "".join(
        " " if v is None else BLOCKS[min(len(BLOCKS) - 1, int(v / top * (len(BLOCKS) - 1) + 0.5))]
        for v in points
    )


def spark_scale(values: Sequence[float | None], fmt: Callable[[float], str]) -> str:
    """Return what a sparkline's shape stands for: its min and max, and that bars start at 0."""
    known = [v for v in values if v is not None]
    if not known:
        return "no values"
    # Scaled from 0, not from the minimum: 43-84 ms draws as ▅▅▆▇█, not as a steep climb.
    return f"min {fmt(min(known))}, max {fmt(max(known))}; bars from 0"


def human_ms(value: float | None) -> str:
    """Format milliseconds the way people read them: 850 ms, 2.4 s."""
    if value is None:
        return "n/a"
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"
