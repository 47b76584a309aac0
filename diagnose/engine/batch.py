"""Many targets in one run (`--targets FILE`): each judged on its own, all under one deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from diagnose.engine.api import gather_facts, judge
from diagnose.family import Plan
from diagnose.model import Diagnosis, FactSet, ProbeOutcome, ProbeStatus
from diagnose.output import write_many
from diagnose.rules.load import Rule
from diagnose.settings import Common, invocation
from diagnose.timeparse import iso

MAX_CONCURRENCY = 16  # targets at once: enough to hide network waits, few enough for the GIL
# The worst status wins; a known critical outranks an unknown, which outranks a warning.
_WORST = {"ok": 0, "warning": 1, "unknown": 2, "critical": 3}


def run_targets(
    command: str,
    names: Sequence[str],
    plan_for: Callable[[str], Plan],
    common: Common,
    rules: Sequence[Rule],
) -> int:
    """Judge every name (at most MAX_CONCURRENCY at once) under the one deadline; write all.

    Output: one diagnosis per target in input order; with --format json, one JSON document per
    line (JSON lines). A target not started before the deadline is judged with its probes timed
    out (status unknown). The exit code is that of the worst status.
    """
    deadline = time.monotonic() + common.timeout
    results: list[Diagnosis | None] = [None] * len(names)
    queue = list(range(len(names)))
    lock = threading.Lock()
    how = invocation()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop(0)
            left = deadline - time.monotonic()
            if left <= 0:
                continue
            started = datetime.now(UTC)
            plan = plan_for(names[index])
            factset = gather_facts(
                common, command, names[index], plan.probes, plan.options, timeout=left, how=how
            )
            results[index] = judge(factset, rules, started)

    # Daemon threads (not an executor, whose workers the interpreter joins at exit): a target
    # that outlives the deadline is reported as timed out and never holds the process.
    threads = [
        threading.Thread(target=worker, daemon=True, name=f"target-{n}")
        for n in range(min(MAX_CONCURRENCY, len(names)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline + 0.5 - time.monotonic()))
    done = [
        found
        if (found := results[i]) is not None
        else _not_started(command, name, plan_for(name).probes, common)
        for i, name in enumerate(names)
    ]
    write_many(done, common)
    worst = max(done, key=lambda d: _WORST[d.status.value])
    return worst.status.exit_code


def _not_started(command: str, name: str, probes: Sequence[str], common: Common) -> Diagnosis:
    """The diagnosis of a target the deadline left no time for: every probe timed out."""
    why = f"not started: the {common.timeout} s deadline of the whole --targets run passed"
    outcomes = tuple(ProbeOutcome(p, ProbeStatus.TIMEOUT, 0.0, why) for p in probes)
    return judge(FactSet(command, name, iso(common.now), outcomes, {}, invocation()), [])
