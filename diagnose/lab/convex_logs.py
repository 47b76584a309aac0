"""Write Convex logs for a scenario: `npx convex logs --jsonl` records, log-stream events or text."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

WEBHOOK_FUNCTION = "POST /webhooks/dodo"

SCENARIOS: dict[str, str] = {
    "healthy": "one delivery a minute, all answered in well under a second",
    "not-received": "deliveries stop 90 minutes before now",
    "quiet": "no webhook traffic at all, only queries",
    "handler-errors": "one delivery in four throws 'Uncaught Error'",
    "signature-failures": "every delivery in the last half hour fails verification",
    "duplicates": "some deliveries arrive twice and the handler processes both",
    "slow-handler": "deliveries take 16 to 20 s (over DodoPayments' 15 s timeout)",
    "bad-lines": "healthy, with a few lines that are not Convex records",
}


@dataclass(frozen=True)
class Execution:
    """One function execution to log."""

    ts: float  # Unix seconds, when it completed
    identifier: str
    udf: str = "HttpAction"
    seconds: float = 0.05
    lines: Sequence[tuple[str, str]] = ()  # (level, message)
    error: str | None = None


def completion(e: Execution) -> dict[str, Any]:
    """Return one `npx convex logs --jsonl` Completion record, shaped like the CLI's."""
    request_id = uuid.uuid4().hex[:16]
    return {
        "kind": "Completion",
        "udfType": e.udf,
        "identifier": e.identifier,
        "logLines": [
            {
                "messages": [msg],
                "isTruncated": False,
                "timestamp": int((e.ts - e.seconds) * 1000),
                "level": level,
            }
            for level, msg in e.lines
        ],
        "timestamp": e.ts,
        "cachedResult": False,
        "caller": "HttpEndpoint" if e.udf == "HttpAction" else "Tester",
        "executionTime": e.seconds,
        "success": None,
        **({"error": e.error} if e.error else {}),
        "requestId": request_id,
        "executionId": uuid.uuid4().hex[:16],
        "usageStats": {"databaseReadBytes": 512, "databaseWriteBytes": 128, "memoryUsedMb": 24},
        "environment": "isolate",
        "identityType": "none",
    }


def stream_events(e: Execution) -> list[dict[str, Any]]:
    """Return the log-stream events (console lines, then function_execution) of one execution."""
    ms = int(e.ts * 1000)
    kind = {"HttpAction": "http_action", "Query": "query", "Mutation": "mutation"}.get(
        e.udf, "action"
    )
    fn = {"type": kind, "path": e.identifier, "cached": False, "request_id": uuid.uuid4().hex[:16]}
    events: list[dict[str, Any]] = [
        {
            "topic": "console",
            "timestamp": ms - 1,
            "function": fn,
            "log_level": level,
            "message": msg,
            "is_truncated": False,
        }
        for level, msg in e.lines
    ]
    execution: dict[str, Any] = {
        "topic": "function_execution",
        "timestamp": ms,
        "function": fn,
        "execution_time_ms": round(e.seconds * 1000),
        "status": "failure" if e.error else "success",
        "mutation_retry_count": 0,
        "usage": {"database_read_bytes": 512},
    }
    if e.error:
        execution["error_message"] = e.error
    events.append(execution)
    return events


def text_lines(e: Execution) -> list[str]:
    """Return the `npx convex logs --success` text lines of one execution (en-US, UTC)."""
    stamp = datetime.fromtimestamp(e.ts, UTC).strftime("%m/%d/%Y, %I:%M:%S %p")
    letter = {"HttpAction": "H", "Query": "Q", "Mutation": "M"}.get(e.udf, "A")
    head = f"{stamp} [CONVEX {letter}({e.identifier})]"
    out = [f"{head} [{level}] {msg}" for level, msg in e.lines]
    out.append(
        f"{head} {e.error}"
        if e.error
        else f"{head} Function executed in {round(e.seconds * 1000)} ms"
    )
    return out


def _delivery(
    ts: float,
    msg_id: str,
    seconds: float = 0.18,
    kind: str = "payment.succeeded",
    error: str | None = None,
    signature_error: str | None = None,
) -> Execution:
    if signature_error:
        lines = [("ERROR", f"'Webhook signature verification failed: {signature_error}'")]
        return Execution(ts, WEBHOOK_FUNCTION, seconds=0.01, lines=lines)
    lines = [("LOG", f"'webhook received {kind} {msg_id}'")]
    return Execution(ts, WEBHOOK_FUNCTION, seconds=seconds, lines=lines, error=error)


def scenario_executions(scenario: str, now: datetime, minutes: int = 180) -> Iterator[Execution]:
    """Yield the executions of a scenario, in time order, ending at `now`."""
    if scenario not in SCENARIOS:
        raise KeyError(scenario)
    end = now.timestamp()
    start = end - minutes * 60
    for i in range(minutes * 2):
        ts = start + i * 30
        yield Execution(ts + 3, "messages:list", udf="Query", seconds=0.012)
        if i % 2 or scenario == "quiet":
            continue
        msg_id = f"msg_{i:04d}{uuid.uuid5(uuid.NAMESPACE_URL, str(i)).hex[:20]}"
        if scenario == "not-received" and ts > end - 90 * 60:
            continue
        if scenario == "handler-errors" and i % 8 == 0:
            yield _delivery(
                ts, msg_id, error="Uncaught Error: Payment pay_7Xk2 not found in database"
            )
        elif scenario == "signature-failures" and ts > end - 30 * 60:
            yield _delivery(ts, msg_id, signature_error="No matching signature found")
        elif scenario == "slow-handler":
            yield _delivery(ts, msg_id, seconds=16 + (i % 5))
        elif scenario == "duplicates" and i % 10 == 0:
            # Delivered twice (at-least-once delivery, or a dashboard replay): both processed.
            yield _delivery(ts, msg_id)
            yield _delivery(ts + 6, msg_id)
        else:
            yield _delivery(ts, msg_id)


def write_scenario(
    path: Path, scenario: str, now: datetime, fmt: str = "jsonl", minutes: int = 180
) -> int:
    """Write a scenario's logs to `path` in `fmt` (jsonl | stream | text); return lines written."""
    lines: list[str] = []
    for e in sorted(scenario_executions(scenario, now, minutes), key=lambda x: x.ts):
        if fmt == "jsonl":
            lines.append(json.dumps(completion(e), separators=(",", ":")))
        elif fmt == "stream":
            lines.extend(json.dumps(ev) for ev in stream_events(e))
        elif fmt == "text":
            lines.extend(text_lines(e))
        else:
            raise ValueError(fmt)
    if scenario == "bad-lines":
        # Near the end, so that they fall inside a `--since 1h` window.
        for at in (-5, -17, -40):
            bad = (
                "{not json" if at != -5 else "Watching logs for production deployment tame-camel..."
            )
            lines.insert(at, bad)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def append_execution(path: Path, e: Execution) -> None:
    """Append one Completion record (the receiver logs like a Convex HTTP action)."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(completion(e), separators=(",", ":")) + "\n")


def minutes_ago(now: datetime, minutes: float) -> datetime:
    """Return `now` minus some minutes (a helper for scenarios and tests)."""
    return now - timedelta(minutes=minutes)
