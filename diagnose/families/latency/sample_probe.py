"""Live latency sampling: N requests per URL, phases, status, edge cache, Server-Timing."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

from diagnose.probe import FactSink, ProbeContext

PREFIX = "latency.sample."
# Leave this much of the run's deadline for judging and writing the report.
RESERVE_S = 0.3


def _names() -> frozenset[str]:
    from diagnose.families.latency.sample import FACT_NAMES

    return frozenset(PREFIX + n for n in FACT_NAMES)


class LatencySampleProbe:
    """Send warm-ups, then N requests per URL with a bounded concurrency, and summarise them."""

    name: ClassVar[str] = "latency_sample"
    provides: ClassVar[frozenset[str]] = _names()

    @staticmethod
    def describe(facts: Mapping[str, Any]) -> list[str]:
        """Return the lines that show the shape of what was measured (shown as notes)."""
        from diagnose.families.latency.shape import sample_lines

        return sample_lines(facts)

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Sample every URL; a timeout or refused connection is a failed request, not a crash."""
        from diagnose.families.latency.sample import Plan, facts, run

        urls = tuple(str(u) for u in ctx.options.get("latency_urls") or ())
        sink.put(PREFIX + "urls", list(urls))
        if not urls:
            sink.put(PREFIX + "count", 0)
            return
        verify: Any = ctx.options.get("ca_file") or True
        plan = Plan(
            urls=urls,
            n=int(ctx.options["latency_n"]),
            warmup=int(ctx.options["latency_warmup"]),
            concurrency=int(ctx.options["latency_concurrency"]),
            request_timeout=float(ctx.options["request_timeout"]),
            deadline=time.monotonic() + max(0.05, ctx.remaining() - RESERVE_S),
            verify=verify,
        )
        samples, skipped = run(plan)
        sink.update({PREFIX + k: v for k, v in facts(samples, plan, skipped).items()})


class LatencyBudgetProbe:
    """Put the budgets the latency rules compare with (config [budgets], else the runbook's)."""

    name: ClassVar[str] = "latency_budget"
    provides: ClassVar[frozenset[str]] = frozenset(
        {"latency.budget.p95_ms", "latency.budget.error_rate"}
        | {"latency.budget.function_p95_ms", "latency.budget.spike_factor"}
        | {"latency.budget.source"}
    )

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Record each budget as a fact so that rules compare with value_fact, never a constant."""
        from diagnose.budgets import resolve

        for key, value in resolve(ctx.options.get("budgets")).items():
            sink.put(f"latency.budget.{key}", value)
        sink.put("latency.budget.source", str(ctx.options.get("budget_source") or "runbook"))
