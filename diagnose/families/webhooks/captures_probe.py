"""Captured deliveries verified against the webhook secret, and why each failure failed."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.probe import FactSink, ProbeContext

SLOW_MS = 15_000  # DodoPayments' delivery timeout
MAX_EXAMPLES = 5
COUNTS = (
    "verified",
    "failed",
    "missing_headers",
    "malformed_headers",
    "no_v1_signature",
    "timestamp_skew",
    "previous_secret",
    "other_secret",
    "body_modified",
    "secret_format",
    "secret_mismatch",
    "no_secret",
)
FACTS = (
    *COUNTS,
    "files",
    "total",
    "own_checks",
    "in_window",
    "bad_entries",
    "bad_refs",
    "secret_env",
    "secret_envs",
    "secret_set",
    "previous_secret_set",
    "other_secret_set",
    "secret_problem",
    "tolerance_s",
    "max_skew_s",
    "examples",
    "status_4xx",
    "status_5xx",
    "rejected_valid",
    "slow",
    "duration_max_ms",
    "duplicate_ids",
    "by_type",
)


OWN_CHECK_AGENT = "diagnose-endpoint-check/1"


def is_own_check(headers: Any) -> bool:
    """Tell whether a captured request is diagnose's own endpoint check."""
    agent = next((str(v) for k, v in dict(headers).items() if str(k).lower() == "user-agent"), "")
    return agent.startswith("diagnose-endpoint-check")


class WebhookCapturesProbe:
    """Verify every captured delivery in the window; for each failure, find the reason."""

    name: ClassVar[str] = "webhook_captures"
    provides: ClassVar[frozenset[str]] = frozenset(f"webhook.captures.{f}" for f in FACTS) | {
        fact_name("webhook_captures")
    }

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Read the captures, verify them, count the reasons."""
        from diagnose.families.webhooks.signature import (
            Reason,
            diagnose,
            secret_problem,
        )
        from diagnose.readers.captures import read_capture

        def put(name: str, value: Any) -> None:
            sink.put(f"webhook.captures.{name}", value)

        secret = ctx.options.get("secret") or None
        previous = ctx.options.get("previous_secret") or None
        other = ctx.options.get("other_secret") or None
        tolerance = int(ctx.options["tolerance_s"])
        since: datetime | None = ctx.options.get("since")
        until: datetime = ctx.options.get("until") or ctx.now
        put("secret_env", ctx.options["secret_env"])
        put("secret_envs", ctx.options["secret_envs"])
        put("secret_set", bool(secret))
        put("previous_secret_set", bool(previous))
        put("other_secret_set", bool(other))
        put("secret_problem", secret_problem(secret) if secret else None)
        put("tolerance_s", tolerance)
        files = [read_capture(str(n)) for n in ctx.options.get("captures") or []]
        put("files", [f"{f.name}: {f.fmt}" for f in files])
        bad = [b for f in files for b in f.bad]
        put("bad_entries", len(bad))
        put("bad_refs", bad[:MAX_EXAMPLES])
        everything = [d for f in files for d in f.deliveries]
        # The endpoint check's own unsigned POST (webhook_endpoint) is not a delivery: counting
        # it would make every later run blame "missing headers" on the proxy.
        deliveries = [d for d in everything if not is_own_check(d.headers)]
        put("own_checks", len(everything) - len(deliveries))
        put("total", len(deliveries))
        lo = since.timestamp() if since else None
        hi = until.timestamp()
        inside = [
            d
            for d in deliveries
            if d.received_at is None or ((lo is None or d.received_at >= lo) and d.received_at < hi)
        ]
        put("in_window", len(inside))
        reasons: Counter[str] = Counter()
        examples: list[str] = []
        skews: list[float] = []
        rejected_valid = 0
        for d in inside:
            # The tolerance is judged at the moment the delivery was received, when known.
            at = d.received_at if d.received_at is not None else ctx.now.timestamp()
            verdict = diagnose(
                secret,
                d.headers,
                d.body,
                at,
                previous=previous,
                other=other,
                tolerance_s=tolerance,
                clock_known=d.received_at is not None,
            )
            reasons[verdict.reason.value] += 1
            if verdict.reason is Reason.TIMESTAMP_SKEW and verdict.skew_s is not None:
                skews.append(verdict.skew_s)
            if verdict.ok and d.status is not None and 400 <= d.status < 500:
                rejected_valid += 1
            if not verdict.ok and len(examples) < MAX_EXAMPLES:
                examples.append(
                    f"{d.source} {d.webhook_id or '(no webhook-id)'}: {verdict.reason.value}: {verdict.detail}"
                )
        for name in COUNTS:
            reason = "ok" if name == "verified" else name.replace("_", "-")
            if name != "failed":
                put(name, reasons.get(reason, 0))
        put("failed", sum(v for k, v in reasons.items() if k != "ok"))
        biggest = max(skews, key=_magnitude) if skews else None
        put("max_skew_s", round(biggest, 1) if biggest is not None else None)
        put("examples", examples)
        put("rejected_valid", rejected_valid)
        statuses = [d.status for d in inside if d.status is not None]
        put("status_4xx", sum(1 for s in statuses if 400 <= s < 500))
        put("status_5xx", sum(1 for s in statuses if s >= 500))
        durations = [d.duration_ms for d in inside if d.duration_ms is not None]
        put("slow", sum(1 for x in durations if x >= SLOW_MS))
        put("duration_max_ms", round(max(durations), 1) if durations else None)
        ids = Counter(d.webhook_id for d in inside if d.webhook_id)
        put("duplicate_ids", sum(1 for c in ids.values() if c > 1))
        put("by_type", dict(Counter(t for d in inside if (t := d.event_type()))))
        where = secret_source(
            secret is not None, ctx.options["secret_env"], ctx.options["secret_envs"]
        )
        sink.put(
            fact_name(self.name), checked(len(deliveries), len(bad), len(inside), where).to_json()
        )


def secret_source(found: bool, name: str, looked_in: list[str]) -> str:
    """Say which variable the secret came from (never its value), or where it was looked for."""
    if found:
        return f"secret from ${name}"
    return "no secret: " + " and ".join(f"${n}" for n in looked_in) + " not set"


def checked(readable: int, bad: int, inside: int, secret: str = "") -> Checked:
    """Say how many captured deliveries were read and verified, and what to give when none."""
    detail = f"{readable} deliveries read, {bad} entries unreadable; {inside} in the window"
    if secret:
        detail += f"; {secret}"
    if not readable and bad:
        hint = "no entry is a captured request: give a HAR file or JSON lines of {headers, body}"
    elif not readable:
        hint = "the capture holds no delivery: export the requests as HAR (browser or proxy)"
    else:
        hint = "no captured delivery inside the window: widen --since to the capture's time span"
    return Checked(inside, "deliveries", detail, hint)


def _magnitude(value: float) -> float:
    return abs(value)
