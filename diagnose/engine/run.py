"""Run probes concurrently under one deadline and record each one's provenance."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from diagnose import progress
from diagnose.model import ProbeOutcome, ProbeStatus
from diagnose.probe import FactSink, Probe, ProbeContext


def run_probes(
    probes: Sequence[Probe],
    ctx: ProbeContext,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[tuple[ProbeOutcome, ...], dict[str, Any]]:
    """Run every probe in its own thread; a probe past the deadline is recorded as timed out.

    `overrides` gives a probe the options its own plan set where plans of one run disagree.
    """
    sinks = {p.name: FactSink(p.name, p.provides) for p in probes}
    own = overrides or {}
    # The same deadline and read cache for every probe: only the options differ.
    contexts = {
        p.name: dataclasses.replace(ctx, options={**ctx.options, **own[p.name]})
        if own.get(p.name)
        else ctx
        for p in probes
    }
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    shown: set[str] = set()  # probes still on the progress line
    shown_lock = threading.Lock()

    def unshow(name: str) -> None:
        # Once: when the probe ends, or when the run stops waiting for it.
        with shown_lock:
            if name not in shown:
                return
            shown.discard(name)
        progress.ended(name)

    def call(probe: Probe) -> None:
        started[probe.name] = time.monotonic()
        try:
            probe.collect(contexts[probe.name], sinks[probe.name])
        finally:
            ended[probe.name] = time.monotonic()
            unshow(probe.name)

    # Threads cannot be killed. Every probe bounds its own I/O by ctx.remaining(), and the
    # threads are daemons, so a probe stuck past the deadline neither delays this run nor keeps
    # the process alive at exit: the run's deadline is the user's promise.
    errors: dict[str, BaseException] = {}

    def guarded(probe: Probe) -> None:
        try:
            call(probe)
        except Exception as exc:  # noqa: BLE001 - a probe's failure is a recorded outcome
            errors[probe.name] = exc

    threads = {
        p.name: threading.Thread(target=guarded, args=(p,), daemon=True, name=f"probe-{p.name}")
        for p in probes
    }
    for name, thread in threads.items():
        with shown_lock:
            shown.add(name)
        progress.started(name)
        thread.start()
    end = ctx.deadline + 0.25
    for thread in threads.values():
        thread.join(max(0.0, end - time.monotonic()))
    for name in threads:
        unshow(name)
    outcomes: list[ProbeOutcome] = []
    facts: dict[str, Any] = {}
    now = time.monotonic()
    for probe in probes:
        t0 = started.get(probe.name, now)
        duration = (ended.get(probe.name, now) - t0) * 1000
        if threads[probe.name].is_alive():
            outcome = ProbeOutcome(
                probe.name,
                ProbeStatus.TIMEOUT,
                duration,
                f"did not finish within the {ctx.options.get('timeout', '?')} s deadline",
            )
        elif (exc := errors.get(probe.name)) is not None:
            outcome = ProbeOutcome(
                probe.name, ProbeStatus.ERROR, duration, f"{type(exc).__name__}: {exc}"
            )
        else:
            outcome = ProbeOutcome(probe.name, ProbeStatus.OK, duration)
        outcomes.append(outcome)
        facts.update(sinks[probe.name].close())
    return tuple(outcomes), facts
