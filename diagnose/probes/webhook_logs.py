"""Webhook deliveries as the Convex logs tell them: volume, errors, signature failures, timing."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from diagnose.probes.base import FactSink, ProbeContext
from diagnose.timeparse import iso

if TYPE_CHECKING:
    import pandas as pd

DODO_TIMEOUT_MS = 15_000  # DodoPayments gives up on a delivery after 15 s and retries it
DEFAULT_FUNCTION = r"(?i)webhook|dodo"
MAX_EXAMPLES = 5
# What handlers (and the standardwebhooks / Dodo SDK errors) say when verification fails.
SIGNATURE_RX = re.compile(
    r"(?i)signature|WebhookVerificationError|verification failed|missing required headers"
    r"|timestamp too (?:old|new)|invalid signature headers"
)
TIMESTAMP_RX = re.compile(r"(?i)timestamp too (?:old|new)")
HEADERS_RX = re.compile(r"(?i)missing required headers|missing webhook-")
EVENT_ID_RX = re.compile(r"\b(msg_[A-Za-z0-9]{4,}|evt_[A-Za-z0-9]{4,})\b")
EVENT_TYPE_RX = re.compile(
    r"\b((?:payment|refund|dispute|subscription|license_key|credit|payout|abandoned_checkout"
    r"|dunning|entitlement_grant)\.[a-z_]+)\b"
)
FACTS = (
    "files",
    "formats",
    "lines_read",
    "bad_lines",
    "bad_line_refs",
    "window_since",
    "window_until",
    "function_match",
    "functions",
    "records",
    "deliveries",
    "earlier_traffic",
    "last_seen_before",
    "first_seen",
    "last_seen",
    "silence_s",
    "usual_interval_s",
    "silence_ratio",
    "per_minute_max",
    "per_minute_mean",
    "by_type",
    "failures",
    "handler_errors",
    "error_rate",
    "top_errors",
    "signature_failures",
    "signature_failure_rate",
    "timestamp_failures",
    "header_failures",
    "signature_examples",
    "duration_p50_ms",
    "duration_p95_ms",
    "duration_max_ms",
    "over_timeout",
    "timeout_ms",
    "event_ids",
    "duplicate_events",
    "duplicate_examples",
    "retried_events",
)


class WebhookLogsProbe:
    """Read the logs inside the window and summarise the webhook handler's executions."""

    name: ClassVar[str] = "webhook_logs"
    provides: ClassVar[frozenset[str]] = frozenset(f"webhook.logs.{f}" for f in FACTS)

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Parse every log, normalise into one frame, and put the summary facts."""
        from diagnose.webhooks.convex_logs import LogFormat, read_log

        def put(name: str, value: Any) -> None:
            sink.put(f"webhook.logs.{name}", value)

        since: datetime | None = ctx.options.get("since")
        until: datetime = ctx.options.get("until") or ctx.now
        pattern = str(ctx.options.get("function_match") or DEFAULT_FUNCTION)
        fmt = LogFormat(ctx.options.get("log_format") or "auto")
        put("window_since", iso(since) if since else None)
        put("window_until", iso(until))
        put("function_match", pattern)
        put("timeout_ms", DODO_TIMEOUT_MS)
        parsed = [
            read_log(str(name), fmt, since.timestamp() if since else None, until.timestamp())
            for name in ctx.options.get("logs") or []
        ]
        put("files", [p.name for p in parsed])
        put("formats", [f"{p.name}: {p.fmt.value}" for p in parsed])
        put("lines_read", sum(p.lines_read for p in parsed))
        bad = [b for p in parsed for b in p.bad]
        put("bad_lines", len(bad))
        put(
            "bad_line_refs",
            [
                f"{b.source}:{b.line.number if b.line.number is not None else '@' + str(b.line.offset)}: {b.why}"
                for b in bad[:MAX_EXAMPLES]
            ],
        )
        rows = [r for p in parsed for r in p.rows]
        before_rows = [r for p in parsed for r in p.before]
        sink.update(
            {
                f"webhook.logs.{k}": v
                for k, v in summarise(rows, before_rows, since, until, pattern).items()
            }
        )


def _deliveries(rows: list[dict[str, Any]], pattern: str) -> pd.DataFrame:
    """Return the webhook function's executions, with their console lines joined by request id."""
    from diagnose.webhooks.convex_logs import to_frame

    frame = to_frame(rows)
    is_hook = frame["function"].fillna("").str.contains(pattern, regex=True)
    logs = frame[(frame["kind"] == "log") & frame["request_id"].notna()]
    joined = logs.groupby("request_id")["message"].agg(lambda s: "\n".join(x for x in s if x))
    execs = frame[(frame["kind"] == "execution") & is_hook].copy()
    extra = execs["request_id"].map(lambda rid: joined.get(rid, "") if isinstance(rid, str) else "")
    execs["text"] = (
        execs["message"].fillna("") + "\n" + extra + "\n" + execs["error"].fillna("")
    ).str.strip()
    return execs


def summarise(
    rows: list[dict[str, Any]],
    before_rows: list[dict[str, Any]],
    since: datetime | None,
    until: datetime,
    pattern: str,
) -> dict[str, Any]:
    """Compute the summary facts over the window (pandas)."""
    import pandas as pd

    all_execs = _deliveries(rows + before_rows, pattern)
    lo = pd.Timestamp(since) if since else None
    hi = pd.Timestamp(until)
    in_window = all_execs["ts"] <= hi
    if lo is not None:
        in_window &= all_execs["ts"] >= lo
    execs = all_execs[in_window]
    earlier = all_execs[all_execs["ts"] < lo] if lo is not None else all_execs.iloc[0:0]
    out: dict[str, Any] = {
        "records": int(sum(1 for r in rows if _inside(r["ts"], since, until))),
        "deliveries": len(execs),
        "functions": sorted(execs["function"].dropna().unique().tolist()),
        "earlier_traffic": bool(len(earlier)),
        "last_seen_before": _iso(earlier["ts"].max()) if len(earlier) else None,
    }
    # The usual rate comes from everything seen, before and inside the window.
    times = all_execs["ts"].sort_values()
    gaps = times.diff().dt.total_seconds().dropna()
    usual = float(gaps.median()) if len(gaps) else None
    last = times[times <= hi].max() if len(times) else None
    silence = (hi - last).total_seconds() if last is not None and not pd.isna(last) else None
    out.update(
        {
            "first_seen": _iso(execs["ts"].min()) if len(execs) else None,
            "last_seen": _iso(execs["ts"].max()) if len(execs) else None,
            "usual_interval_s": round(usual, 1) if usual is not None else None,
            "silence_s": round(silence, 1) if silence is not None else None,
            "silence_ratio": round(silence / max(usual, 1.0), 1)
            if silence is not None and usual is not None
            else None,
        }
    )
    per_minute = execs.set_index("ts").resample("1min").size() if len(execs) else pd.Series()
    out["per_minute_max"] = int(per_minute.max()) if len(per_minute) else 0
    out["per_minute_mean"] = round(float(per_minute.mean()), 2) if len(per_minute) else 0.0
    text = execs["text"]
    types = text.str.extract(EVENT_TYPE_RX, expand=False)
    out["by_type"] = {str(k): int(v) for k, v in types.value_counts().items()}
    sig = text.str.contains(SIGNATURE_RX)
    failed = execs["status"] == "failure"
    handler = failed & ~sig
    n = len(execs)
    out.update(
        {
            "failures": int(failed.sum()),
            "handler_errors": int(handler.sum()),
            "error_rate": round(float(handler.sum()) / n, 4) if n else 0.0,
            "top_errors": [
                f"{count}x {msg}"
                for msg, count in Counter(
                    execs.loc[handler, "error"].fillna("").str.slice(0, 160)
                ).most_common(3)
            ],
            "signature_failures": int(sig.sum()),
            "signature_failure_rate": round(float(sig.sum()) / n, 4) if n else 0.0,
            "timestamp_failures": int(text.str.contains(TIMESTAMP_RX).sum()),
            "header_failures": int(text.str.contains(HEADERS_RX).sum()),
            "signature_examples": [_first_match(t) for t in text[sig].head(MAX_EXAMPLES).tolist()],
        }
    )
    durations = execs["duration_ms"].dropna()
    out.update(
        {
            "duration_p50_ms": _round(durations.quantile(0.5)) if len(durations) else None,
            "duration_p95_ms": _round(durations.quantile(0.95)) if len(durations) else None,
            "duration_max_ms": _round(durations.max()) if len(durations) else None,
            "over_timeout": int((durations >= DODO_TIMEOUT_MS).sum()),
        }
    )
    ids = text.str.extract(EVENT_ID_RX, expand=False)
    with_id = execs.assign(event_id=ids).dropna(subset=["event_id"])
    seen = with_id["event_id"].value_counts()
    ok_ids = with_id[with_id["status"] == "success"]["event_id"].value_counts()
    dups = ok_ids[ok_ids > 1]
    out.update(
        {
            "event_ids": int(len(seen)),
            "retried_events": int((seen > 1).sum()),
            "duplicate_events": int(len(dups)),
            "duplicate_examples": [
                f"{k} processed {v} times" for k, v in dups.head(MAX_EXAMPLES).items()
            ],
        }
    )
    return out


def _inside(ts: float | None, since: datetime | None, until: datetime) -> bool:
    if ts is None:
        return False
    return (since is None or ts >= since.timestamp()) and ts <= until.timestamp()


def _first_match(text: str) -> str:
    for line in text.splitlines():
        if SIGNATURE_RX.search(line):
            return line[:200]
    return text[:200]


def _iso(ts: Any) -> str:
    return iso(ts.floor("ms").to_pydatetime().astimezone(UTC))


def _round(value: Any) -> float:
    return round(float(value), 1)
