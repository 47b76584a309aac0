"""Latency from logs: Cloudflare Logpush, Common/Combined Log Format, Convex logs (pandas)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.families.latency.logs import (
    FACT_NAMES,
    MAX_EXAMPLES,
    analyse_functions,
    analyse_requests,
)
from diagnose.probe import FactSink, ProbeContext
from diagnose.readers.window import describe_window
from diagnose.timeparse import parse_instant

PREFIX = "latency.logs."


def _names() -> frozenset[str]:
    return frozenset(PREFIX + n for n in FACT_NAMES) | {fact_name("latency_logs")}


class LatencyLogsProbe:
    """Read the logs given with --log and reduce them to latency, error and traffic facts."""

    name: ClassVar[str] = "latency_logs"
    provides: ClassVar[frozenset[str]] = _names()
    # pandas and pyarrow take seconds to import on a loaded machine: our start-up, imported
    # before the deadline, never charged to reading the log (it overran --timeout + 1 s).
    warm_imports: ClassVar[tuple[str, ...]] = (
        "pandas",
        "pyarrow.compute",
        "diagnose.readers.logs",
        "diagnose.families.latency.logs",
    )

    @staticmethod
    def describe(facts: Mapping[str, Any]) -> list[str]:
        """Return the lines that show the shape of what was measured (shown as notes)."""
        from diagnose.families.latency.shape import log_lines

        return log_lines(facts)

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Read, filter to --since/--until, analyse; bad lines are counted, never fatal."""
        from diagnose.budgets import resolve
        from diagnose.readers.logs import read_logs

        paths = [str(p) for p in ctx.options.get("latency_logs") or ()]
        if not paths:
            sink.put(PREFIX + "requests", 0)
            sink.put(PREFIX + "function_calls", 0)
            return
        since = ctx.options.get("since")
        until = ctx.options.get("until")
        lo = _epoch(since)
        hi = _epoch(until)
        read = read_logs(paths, ctx.reads)
        executions = read.executions
        # Well-formed lines that are no request or execution (console lines, audit events).
        other = max(0, read.lines - read.bad - len(read.requests) - len(executions))
        sink.update(
            {
                PREFIX + "files": [
                    {
                        "path": f.name,
                        "format": f.kind,
                        "parsed": f.lines - f.bad_count,
                        "bad": f.bad_count,
                    }
                    for f in read.files
                ],
                PREFIX + "lines": read.lines,
                PREFIX + "bad_lines": read.bad,
                PREFIX + "bad_examples": read.bad_examples(MAX_EXAMPLES),
                PREFIX + "other_lines": other,
            }
        )
        budgets = resolve(ctx.options.get("budgets"))
        facts = analyse_requests(read.requests, lo, hi, budgets["p95_ms"])
        facts.update(analyse_functions(executions, lo, hi, budgets["function_p95_ms"]))
        sink.update({PREFIX + k: v for k, v in facts.items()})
        seen = (read.lines, read.bad, other)
        sink.put(fact_name(self.name), checked(seen, facts, since, until).to_json())


FORMATS = "Cloudflare Logpush JSON, Common/Combined Log Format, or `npx convex logs --jsonl` output"


def checked(
    seen: tuple[int, int, int], facts: Mapping[str, Any], since: Any, until: Any
) -> Checked:
    """Say what the logs held (lines read, unreadable, not requests) and the rows in the window."""
    lines, bad, other = seen
    rows = int(facts.get("requests") or 0) + int(facts.get("function_calls") or 0)
    window = describe_window(since or None, until or None)
    detail = (
        f"{lines} lines read, {bad} skipped as unreadable, {other} not requests; "
        f"{facts.get('requests') or 0} requests and {facts.get('function_calls') or 0} function "
        f"calls in {window}"
    )
    if rows:
        hint = ""
    elif not lines:
        hint = f"the log is empty: give a log with lines ({FORMATS})"
    elif bad + other == lines:
        hint = f"no line is a request or function call: give {FORMATS}"
    else:
        hint = "no request inside the window: widen --since/--until to the log's time span"
    return Checked(rows, "requests", detail, hint)


def _epoch(value: Any) -> float | None:
    """Return epoch seconds for a window bound given as a datetime or as WHEN text."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return parse_instant(str(value)).timestamp()
