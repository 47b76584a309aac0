"""The monitoring checklist from Convex logs: crons on schedule, integration syncs, email, 429s.

Reads `npx convex logs --jsonl` Completion records and log-stream events (console lines joined to
their execution by request id); Cloudflare Logpush and Common/Combined Log Format lines count
toward the 429s. Bad lines are counted and skipped.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from diagnose.families.deploy.onset import delay_text
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


def _messages(log_lines: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in log_lines or ():
        if isinstance(item, str):
            out.append(("LOG", item))
        elif isinstance(item, dict):
            msgs = item.get("messages") or [item.get("message", "")]
            out.append((str(item.get("level", "LOG")).upper(), " ".join(str(m) for m in msgs)))
    return out


def read(paths: Sequence[str]) -> Read:
    """Read every file; lines of no known format are counted as bad."""
    from diagnose.families.latency.logs import (
        BadLine,
        LogFormat,
        _lines,
        detect,
        epoch_seconds,
        parse_combined,
        parse_logpush,
    )

    out = Read()
    for path in paths:
        out.files.append(path)
        fmt: LogFormat | None = None
        console: dict[str, list[tuple[str, str]]] = {}
        for line in _lines(path):
            if not line.strip():
                continue
            out.lines += 1
            fmt = fmt or detect(line)
            try:
                if fmt is LogFormat.COMBINED:
                    status = parse_combined(line)["status"]
                elif fmt is LogFormat.LOGPUSH:
                    status = parse_logpush(json.loads(line))["status"]
                elif fmt is LogFormat.CONVEX:
                    obj = json.loads(line)
                    if not isinstance(obj, dict):
                        raise BadLine("not a JSON object")
                    run = _convex(obj, console, epoch_seconds)
                    if run is not None:
                        out.runs.append(run)
                    continue
                else:
                    raise BadLine("format not recognised")
            except (BadLine, ValueError, KeyError, TypeError):
                out.bad += 1
                continue
            out.http_requests += 1
            out.http_429 += status == 429
    out.runs.sort(key=lambda r: r.at)
    return out


def _convex(
    obj: dict[str, Any], console: dict[str, list[tuple[str, str]]], seconds: Any
) -> Run | None:
    if obj.get("kind") == "Completion" or "executionTime" in obj:
        return Run(
            at=seconds(obj.get("timestamp", 0)),
            function=normalise(str(obj["identifier"])),
            caller=str(obj.get("caller") or ""),
            error=str(obj["error"]) if obj.get("error") else None,
            lines=_messages(obj.get("logLines")),
        )
    topic = obj.get("topic") or obj.get("_topic")
    raw = obj.get("function")
    fn: dict[str, Any] = raw if isinstance(raw, dict) else {}
    rid = str(fn.get("request_id") or obj.get("requestId") or "")
    if topic == "console":
        console.setdefault(rid, []).append(
            (str(obj.get("log_level", "LOG")).upper(), str(obj.get("message", "")))
        )
        return None
    if topic in ("function_execution", "_execution_record"):
        failed = str(obj.get("status", "success")).lower() not in ("success", "ok")
        return Run(
            at=seconds(obj.get("timestamp", obj.get("_timestamp", 0))),
            function=normalise(str(fn.get("path") or obj.get("_functionPath") or "?")),
            caller="Cron" if fn.get("type") == "cron" else "",
            error=str(obj.get("error_message") or obj.get("reason") or "failed")
            if failed
            else None,
            lines=console.pop(rid, []),
        )
    return None


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
