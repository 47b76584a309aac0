"""The monitoring checklist from Convex logs: crons on schedule, integration syncs, email, 429s.

Reads the rows of diagnose/readers/logs.py: Convex function executions (console lines joined to
their execution by request id) and request-log lines (Cloudflare Logpush, Common/Combined Log
Format), which count toward the 429s. Bad lines are counted and skipped.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from diagnose.families.deploy.onset import delay_text
from diagnose.probe import ReadCache
from diagnose.timeparse import iso

SYNC_RX = re.compile(r"(?i)sync")
EMAIL_RX = re.compile(r"(?i)e-?mail|resend|sendgrid|postmark|mailgun|smtp")
RATE_RX = re.compile(r"(?i)\b429\b|too many requests|rate[ -]?limit")
MAX_EXAMPLES = 3
STOPPED_FACTOR = 2.0  # a cron is stopped when it missed two runs in a row
GRACE_S = 60.0


@dataclass
class Run:
    """One function execution, with its console lines."""

    at: float
    function: str
    caller: str = ""
    error: str | None = None
    lines: list[tuple[str, str]] = field(default_factory=list)  # (level, message)

    def text(self) -> str:
        """Return everything the execution said, for pattern matching."""
        return "\n".join([self.function, *(m for _, m in self.lines), self.error or ""])


@dataclass
class Read:
    """What the readers found."""

    runs: list[Run] = field(default_factory=list)
    http_429: int = 0
    http_requests: int = 0
    files: list[str] = field(default_factory=list)
    lines: int = 0
    bad: int = 0


def normalise(identifier: str) -> str:
    """Return `module:function` without the .js/.ts a Convex identifier may carry."""
    return re.sub(r"\.(?:js|ts|jsx|tsx)(?=:|$)", "", identifier.strip())


_LEVEL = re.compile(r"^\[(LOG|DEBUG|INFO|WARN|WARNING|ERROR)\] ", re.IGNORECASE)


def console_lines(message: str | None) -> list[tuple[str, str]]:
    """Split the reader's `[LEVEL] message` lines into (level, message); a line without a level
    continues the message before it (a console.log of text with newlines)."""
    out: list[tuple[str, str]] = []
    for line in (message or "").split("\n"):
        if m := _LEVEL.match(line):
            out.append((m.group(1).upper(), line[m.end() :]))
        elif out:
            out[-1] = (out[-1][0], f"{out[-1][1]}\n{line}")
        elif line:
            out.append(("LOG", line))
    return out


def read(paths: Sequence[str], reads: ReadCache | None = None) -> Read:
    """Read every file (once per run, through the cache); lines of no known format are bad."""
    from diagnose.readers.logs import read_logs

    got = read_logs(paths, reads)
    out = Read(files=[f.name for f in got.files], lines=got.lines, bad=got.bad)
    for f in got.files:
        if f.requests is not None:
            statuses = [r["status"] for r in f.requests.rows]
            out.http_requests += len(statuses)
            out.http_429 += statuses.count(429)
        if f.convex is not None:
            out.runs.extend(_runs(f.convex.rows))
    out.runs.sort(key=lambda r: r.at)
    return out


def _runs(rows: Sequence[Any]) -> list[Run]:
    """Executions with their console lines: their own, and those logged under their request id."""
    console: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        if r["kind"] == "log" and r["request_id"]:
            console.setdefault(str(r["request_id"]), []).extend(console_lines(r["message"]))
    runs: list[Run] = []
    for r in rows:
        if r["kind"] != "execution":
            continue
        failed = r["status"] == "failure"
        runs.append(
            Run(
                at=r["ts"],
                function=normalise(str(r["function"] or "?")),
                # A log stream names no caller; its function type says cron where a cron ran it.
                caller=str(r["caller"] or ("Cron" if r["udf"] == "cron" else "")),
                error=str(r["error"] or "failed") if failed else None,
                lines=console_lines(r["message"]) + console.pop(str(r["request_id"]), []),
            )
        )
    return runs


def _when(at: float) -> str:
    return iso(datetime.fromtimestamp(at, UTC))


def _crons(
    runs: list[Run], declared: list[dict[str, Any]], until: float, span_s: float
) -> dict[str, Any]:
    by_function = {d["function"]: d for d in declared}
    groups: dict[str, list[Run]] = {}
    for r in runs:
        if "cron" in r.caller.lower() or r.function in by_function:
            groups.setdefault(r.function, []).append(r)
    jobs: list[str] = []
    stopped: list[str] = []
    failing: list[str] = []
    for fn in sorted(set(groups) | set(by_function)):
        seen = groups.get(fn, [])
        decl = by_function.get(fn, {})
        name = f"{decl['name']} ({fn})" if decl else fn
        interval = decl.get("interval_s")
        source = "crons.ts" if interval else "observed"
        if not interval and len(seen) >= 3:
            interval = statistics.median(b.at - a.at for a, b in zip(seen, seen[1:], strict=False))
        every = f"every {delay_text(interval)}" if interval else "interval unknown"
        if not seen:
            jobs.append(f"{name}: {every} ({source}), no run in the logs")
            if interval and span_s >= STOPPED_FACTOR * interval:
                stopped.append(f"{name}: {every}, no run in {delay_text(span_s)} of logs")
            continue
        last = seen[-1]
        quiet = until - last.at
        state = "failed" if last.error else "ok"
        jobs.append(
            f"{name}: {every} ({source}), {len(seen)} runs, last {_when(last.at)} "
            f"({delay_text(quiet)} ago, {state})"
        )
        if interval and quiet > STOPPED_FACTOR * interval + GRACE_S:
            stopped.append(
                f"{name}: last ran {_when(last.at)}, {delay_text(quiet)} ago; {every} ({source})"
            )
        tail = 0
        for r in reversed(seen):
            if not r.error:
                break
            tail += 1
        if tail:
            failing.append(f"{name}: last {tail} run(s) failed: {(last.error or '')[:160]}")
    return {
        "crons.declared": len(declared),
        "crons.seen": len(groups),
        "crons.jobs": jobs,
        "crons.stopped": stopped,
        "crons.failing": failing,
    }


def _top(errors: list[str]) -> list[str]:
    return [f"{n}x {e[:160]}" for e, n in Counter(errors).most_common(MAX_EXAMPLES)]


def summarise(
    got: Read,
    since: float | None,
    until: float,
    declared: list[dict[str, Any]],
) -> dict[str, Any]:
    """Reduce the runs inside the window to the checklist facts (names under checklist.)."""
    runs = [r for r in got.runs if (since is None or r.at >= since) and r.at <= until]
    start = since if since is not None else (runs[0].at if runs else until)
    span = max(0.0, until - start)
    # A rate-limited rejection is the limiter working, not a failure of the deployment.
    errors = [r.error for r in runs if r.error and not RATE_RX.search(r.error)]
    syncs = [r for r in runs if SYNC_RX.search(r.function)]
    sync_ok = [r for r in syncs if not r.error]
    mails = [r for r in runs if EMAIL_RX.search(r.function)]
    # An email failure is a failed email function, or an error line about email anywhere.
    mail_errors = [r.error or "" for r in mails if r.error]
    mail_errors += [
        m
        for r in runs
        if r not in mails
        for lvl, m in r.lines
        if lvl == "ERROR" and EMAIL_RX.search(m)
    ]
    limited = [r for r in runs if RATE_RX.search(r.text())]
    out: dict[str, Any] = {
        "logs.files": got.files,
        "logs.lines": got.lines,
        "logs.bad_lines": got.bad,
        "logs.window_since": _when(start),
        "logs.window_until": _when(until),
        "logs.span_min": round(span / 60, 1),
        "functions.calls": len(runs),
        "functions.errors": len(errors),
        "functions.error_rate": round(len(errors) / len(runs), 4) if runs else None,
        "functions.top_errors": _top(errors),
        "syncs.runs": len(syncs),
        "syncs.failures": len(syncs) - len(sync_ok),
        "syncs.failure_rate": round(1 - len(sync_ok) / len(syncs), 4) if syncs else None,
        "syncs.functions": sorted({r.function for r in syncs}),
        "syncs.last_success_at": _when(sync_ok[-1].at) if sync_ok else None,
        "syncs.errors": _top([r.error for r in syncs if r.error]),
        "email.sends": len(mails),
        "email.failures": len(mail_errors),
        "email.errors": _top(mail_errors),
        "rate_limit.responses_429": got.http_429 + len(limited),
        "rate_limit.examples": [
            f"{r.function}: {r.text().splitlines()[-1][:160]}" for r in limited
        ][:MAX_EXAMPLES],
    }
    out.update(_crons(runs, declared, until, span))
    return out


ACTIVITY_FACTS = (
    "logs.files logs.lines logs.bad_lines logs.window_since logs.window_until logs.span_min "
    "functions.calls functions.errors functions.error_rate functions.top_errors "
    "syncs.runs syncs.failures syncs.failure_rate syncs.functions syncs.last_success_at "
    "syncs.errors email.sends email.failures email.errors rate_limit.responses_429 "
    "rate_limit.examples crons.declared crons.seen crons.jobs crons.stopped crons.failing"
).split()
