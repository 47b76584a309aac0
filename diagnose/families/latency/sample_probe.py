"""Live latency sampling: N requests per URL, phases, status, edge cache, Server-Timing."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.families.latency.sample import FACT_NAMES, Plan, facts, fit_timeout, run
from diagnose.probe import PROBE_MARGIN_S, FactSink, ProbeContext

PREFIX = "latency.sample."
# Leave this much of the run's deadline for judging and writing the report.
RESERVE_S = 0.3


def _names() -> frozenset[str]:
    return frozenset(PREFIX + n for n in FACT_NAMES)


class LatencySampleProbe:
    """Send warm-ups, then N requests per URL with a bounded concurrency, and summarise them."""

    name: ClassVar[str] = "latency_sample"
    # Imported before the deadline starts: our start-up is not the peer's time.
    warm_imports: ClassVar[tuple[str, ...]] = ("httpx", "diagnose.net.http_check")
    provides: ClassVar[frozenset[str]] = _names() | {fact_name("latency_sample")}

    @staticmethod
    def describe(facts: Mapping[str, Any]) -> list[str]:
        """Return the lines that show the shape of what was measured (shown as notes)."""
        from diagnose.families.latency.shape import sample_lines

        return sample_lines(facts)

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Sample every URL; a refused connection is a failed request, a request the run's own
        deadline starved or cut is not measured."""
        from diagnose.budgets import resolve

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
            slow_ms=float(resolve(ctx.options.get("budgets"))["p95_ms"]),
            timeout_s=float(ctx.options["timeout"]),
            progress=lambda done, total: sink.progress(done, total, "requests"),
        )
        samples, skipped = run(plan)
        found = facts(
            samples, plan, skipped, fit_timeout(samples, plan, RESERVE_S + PROBE_MARGIN_S)
        )
        sink.update({PREFIX + k: v for k, v in found.items()})
        sink.put(fact_name(self.name), checked(found).to_json())


def checked(found: Mapping[str, Any]) -> Checked:
    """Say how many of the requested requests were measured, and why the rest were not."""
    count, requested = found["count"], found["requested"]
    deadline = f"{found['deadline_s']:g} s" if found["deadline_s"] else "the"
    detail = f"{count} of {requested} requests measured"
    if found["warmup"]:
        detail += f" (+{found['warmup']} warm-up, not counted)"
    if found["not_measured"]:
        detail += (
            f"; {found['not_measured']} not measured ({found['not_sent']} not sent, "
            f"{found['cut']} cut): the sample was sized to diagnose's {deadline} deadline, "
            "which says nothing about the target"
        )
    else:
        detail += f"; the whole sample fit the {deadline} deadline"
    if found["slow_unfinished"]:
        detail += (
            f"; {found['slow_unfinished']} had no complete answer when the deadline came, "
            "after waiting longer than the p95 budget (counted as slow, never as errors)"
        )
    return Checked(count, "requests", detail, f"give it time: {found['rerun']}")


class LatencyBudgetProbe:
    """Put the budgets the latency rules compare with (config [budgets], else the runbook's)."""

    name: ClassVar[str] = "latency_budget"
    settings_only: ClassVar[bool] = True  # budgets, not a measurement: see diagnose/probe.py
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
