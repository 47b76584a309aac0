"""Run probes concurrently under one deadline and record each one's provenance."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from diagnose.model import ProbeOutcome, ProbeStatus
from diagnose.probes.base import FactSink, Probe, ProbeContext


def run_probes(
    probes: Sequence[Probe], ctx: ProbeContext
) -> tuple[tuple[ProbeOutcome, ...], dict[str, Any]]:
    """Run every probe in its own thread; a probe past the deadline is recorded as timed out."""
    sinks = {p.name: FactSink(p.name, p.provides) for p in probes}
    started: dict[str, float] = {}
    ended: dict[str, float] = {}

    def call(probe: Probe) -> None:
        started[probe.name] = time.monotonic()
        try:
            probe.collect(ctx, sinks[probe.name])
        finally:
            ended[probe.name] = time.monotonic()

    pool = ThreadPoolExecutor(max_workers=max(1, len(probes)), thread_name_prefix="probe")
    futures = {pool.submit(call, p): p for p in probes}
    wait(futures, timeout=max(0.0, ctx.deadline - time.monotonic()) + 0.25)
    # Threads cannot be killed; every probe bounds its own I/O by ctx.remaining(), so a late
    # one ends soon after. We do not wait for it: the run's deadline is the user's promise.
    pool.shutdown(wait=False, cancel_futures=True)
    outcomes: list[ProbeOutcome] = []
    facts: dict[str, Any] = {}
    now = time.monotonic()
    for future, probe in futures.items():
        t0 = started.get(probe.name, now)
        duration = (ended.get(probe.name, now) - t0) * 1000
        if not future.done():
            outcome = ProbeOutcome(
                probe.name,
                ProbeStatus.TIMEOUT,
                duration,
                f"did not finish within the {ctx.options.get('timeout', '?')} s deadline",
            )
        elif (exc := future.exception()) is not None:
            outcome = ProbeOutcome(
                probe.name, ProbeStatus.ERROR, duration, f"{type(exc).__name__}: {exc}"
            )
        else:
            outcome = ProbeOutcome(probe.name, ProbeStatus.OK, duration)
        outcomes.append(outcome)
        facts.update(sinks[probe.name].close())
    return tuple(outcomes), facts
