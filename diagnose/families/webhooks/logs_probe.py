"""Webhook deliveries as the Convex logs tell them: volume, errors, signature failures, timing."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.probe import FactSink, ProbeContext
from diagnose.timeparse import iso

if TYPE_CHECKING:
    import pyarrow as pa

DODO_TIMEOUT_MS = 15_000  # DodoPayments gives up on a delivery after 15 s and retries it
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
    "first_failure_at",
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
    "own_checks",
)


class WebhookLogsProbe:
    """Read the logs inside the window and summarise the webhook handler's executions."""

    name: ClassVar[str] = "webhook_logs"
    provides: ClassVar[frozenset[str]] = frozenset(f"webhook.logs.{f}" for f in FACTS) | {
        fact_name("webhook_logs")
    }

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Parse every log into Arrow tables of rows, and put the summary facts."""
        from diagnose.readers.convex import ConvexFormat, read_log

        def put(name: str, value: Any) -> None:
            sink.put(f"webhook.logs.{name}", value)

        since: datetime | None = ctx.options.get("since")
        until: datetime = ctx.options.get("until") or ctx.now
        pattern = str(ctx.options["function_match"])
        fmt = ConvexFormat(ctx.options["log_format"])
        put("window_since", iso(since) if since else None)
        put("window_until", iso(until))
        put("function_match", pattern)
        put("timeout_ms", DODO_TIMEOUT_MS)
        lo, hi = since.timestamp() if since else None, until.timestamp()
        parsed = [
            ctx.reads.get(
                str(name), ("convex", fmt, lo, hi), partial(read_log, str(name), fmt, lo, hi)
            )
            for name in ctx.options.get("logs") or []
        ]
        put("files", [p.name for p in parsed])
        put("formats", [f"{p.name}: {p.fmt.value}" for p in parsed])
        lines_read = sum(p.lines_read for p in parsed)
        put("lines_read", lines_read)
        bad = [b for p in parsed for b in p.bad]
        put("bad_lines", len(bad))
        put("bad_line_refs", [b.ref() for b in bad[:MAX_EXAMPLES]])
        window, before = [p.table() for p in parsed], [p.before_table() for p in parsed]
        del parsed  # the parses stay in the run's read cache, shared with the other probes
        facts = summarise(window, before, since, until, pattern)
        sink.update({f"webhook.logs.{k}": v for k, v in facts.items()})
        count = int(facts.get("records") or 0)
        sink.put(fact_name(self.name), checked(lines_read, len(bad), count, since, until).to_json())


def checked(lines: int, bad: int, records: int, since: Any, until: Any) -> Checked:
    """Say how many log lines were read and how many records fell in the window."""
    window = f"{iso(since) if since else 'the start'} .. {iso(until)}"
    detail = f"{lines} lines read, {bad} skipped as unreadable; {records} records in {window}"
    if not lines:
        hint = "the log is empty: give timeout 20 npx convex logs --prod --history 500 --jsonl > convex.jsonl"
    elif bad >= lines:
        hint = "no line is a Convex log line: give the output of npx convex logs (text or --jsonl)"
    else:
        hint = "no log record inside the window: widen --since to the log's time span"
    return Checked(records, "records", detail, hint)


def _unicode_bounds(pattern: str) -> str:
    """The RE2 form of a pattern whose `\\b` must mean what Python's means in Unicode text.

    RE2's `\\b` knows only ASCII word characters: in `émsg_1234` it sees a boundary before `m`,
    Python does not. So a boundary becomes "start, or a character that is not a letter, digit or
    _" (consumed, which is fine: these patterns are only searched or extracted from). Slower, so
    only the texts that are not pure ASCII are searched with it.
    """
    head, _, rest = pattern.partition(r"\b")
    body, _, tail = rest.rpartition(r"\b")
    return f"{head}(?:^|[^\\p{{L}}\\p{{N}}_]){body}(?:[^\\p{{L}}\\p{{N}}_]|$){tail}"


def _search(text: pa.ChunkedArray, rx: re.Pattern[str], extract: bool = False) -> pa.ChunkedArray:
    """Python's `rx.search` over a column with RE2: a bool each, or (extract) group 1 or null.

    ASCII text means the same to both engines; the (rare) other texts get the Unicode form.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    pattern = rx.pattern.replace("(", "(?P<m>", 1) if extract else rx.pattern

    def run(values: pa.Array, rx2: str) -> pa.Array:
        if not extract:
            return pc.fill_null(pc.match_substring_regex(values, rx2), False)
        return pc.struct_field(pc.extract_regex(values, rx2), [0])

    def chunk(values: pa.Array) -> pa.Array:
        found = run(values, pattern)
        other = pc.invert(pc.fill_null(pc.string_is_ascii(values), True))
        if r"\b" not in pattern or not pc.any(other).as_py():
            return found
        return pc.replace_with_mask(
            found, other, run(values.filter(other), _unicode_bounds(pattern))
        )

    kind = pa.string() if extract else pa.bool_()
    return pa.chunked_array([chunk(c) for c in text.chunks if len(c)], type=kind)


def summarise(
    window: list[pa.Table],
    before: list[pa.Table],
    since: datetime | None,
    until: datetime,
    pattern: str,
) -> dict[str, Any]:
    """Compute the summary facts over the window from the readers' Arrow tables (no pandas).

    `window` holds each file's rows of the window (and its slack), `before` the rows just
    before it. Both lists are emptied once the webhook executions are taken out, so that a
    full scan's other rows (two thirds of its memory) can be freed while the facts are made. The executions of the webhook function, in time order (stable: file order
    within a millisecond), with their console lines joined by request id, make every fact.
    """
    from diagnose.readers.arrow import without_pandas
    from diagnose.readers.convex import concat

    without_pandas()
    import numpy as np
    import pyarrow.compute as pc

    lo = since.timestamp() if since else None
    hi = until.timestamp()
    rows = concat(window + before)
    n_window = sum(t.num_rows for t in window)
    ts = rows.column("ts")
    inside = pc.less(ts, hi)  # the window is [since, until): back-to-back windows share nothing
    if lo is not None:
        inside = pc.and_(inside, pc.greater_equal(ts, lo))
    # `records` counts the window's own rows, not the history read before it.
    records = int(pc.sum(pc.fill_null(inside, False).slice(0, n_window)).as_py() or 0)
    hooks = _hook_executions(rows, pattern)
    hooks, own = _without_own_checks(hooks)
    del rows, ts, inside
    window.clear()
    before.clear()
    times = hooks.column("ts")
    # In time order, the window and what came before it are slices: no copies.
    sorted_ts = times.to_numpy()
    start = int(np.searchsorted(sorted_ts, lo, "left")) if lo is not None else 0
    end = int(np.searchsorted(sorted_ts, hi, "left"))
    execs = hooks.slice(start, max(0, end - start))
    earlier = hooks.slice(0, start)
    out: dict[str, Any] = {
        "own_checks": own,
        "records": records,
        "deliveries": execs.num_rows,
        "functions": sorted(pc.unique(execs.column("function").drop_null()).to_pylist()),
        "earlier_traffic": bool(earlier.num_rows),
        "last_seen_before": _iso(pc.max(earlier.column("ts")).as_py()),
    }
    last = float(sorted_ts[end - 1]) if end else None
    # Arrow's kernels release the GIL: the event regexes run beside the rest (2 cores: ~0.3 s
    # of a 1 GB scan). A plain thread, joined at once: nothing here waits on a peer.
    events: list[dict[str, Any]] = []
    failed: list[BaseException] = []
    worker = threading.Thread(target=_into, args=(events, failed, _events, execs), daemon=True)
    worker.start()
    out.update(_timing(execs, times, last, hi))
    out.update(_errors(execs))
    out.update(_durations(execs))
    worker.join()
    if failed:
        raise failed[0]
    out.update(events[0])
    return out


def _into(results: list[Any], errors: list[BaseException], call: Any, *args: Any) -> None:
    """Run call(*args) in a thread, keeping its result or its exception for the caller."""
    try:
        results.append(call(*args))
    except BaseException as exc:  # noqa: BLE001 - re-raised by the caller, in its thread
        errors.append(exc)


def _hook_executions(rows: pa.Table, pattern: str) -> pa.Table:
    """The webhook function's executions in time order, with a `text` column to search.

    `text` is the execution's own message, the console lines logged under its request id (the
    log stream sends them as separate events) and its error, one per line.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    function = rows.column("function")
    # Python's regex on each distinct name (a handful), so --function-match means what it says.
    rx = re.compile(pattern)
    names = [f for f in pc.unique(function).to_pylist() if f is not None and rx.search(f)]
    is_hook = pc.is_in(function, value_set=pa.array(names, pa.string()))
    if rx.search(""):
        is_hook = pc.or_(is_hook, pc.is_null(function))
    kind = rows.column("kind")
    needed = ["ts", "function", "status", "duration_ms", "error", "request_id", "message"]
    hooks = _in_time_order(
        rows.select(needed).filter(pc.and_(pc.equal(kind, "execution"), is_hook))
    )
    message = pc.fill_null(hooks.column("message"), "")
    error = pc.fill_null(hooks.column("error"), "")
    logs = rows.select(["ts", "request_id", "message"]).filter(
        pc.and_(
            pc.and_(pc.equal(kind, "log"), pc.is_valid(rows.column("request_id"))),
            pc.invert(pc.fill_null(pc.equal(rows.column("message"), ""), True)),
        )
    )
    if logs.num_rows:
        logs = _in_time_order(logs)
        joined = logs.group_by("request_id", use_threads=False).aggregate([("message", "list")])
        at = pc.index_in(hooks.column("request_id"), value_set=joined.column("request_id"))
        lines = pc.fill_null(pc.take(pc.binary_join(joined.column("message_list"), "\n"), at), "")
        text = pc.binary_join_element_wise(message, lines, error, "\n")
    else:
        text = pc.binary_join_element_wise(message, "", error, "\n")
    # One chunk (Arrow's JSON reader made hundreds): each regex call compiles its pattern per chunk.
    return hooks.append_column("text", pa.chunked_array([text.combine_chunks()]))


def _without_own_checks(hooks: pa.Table) -> tuple[pa.Table, int]:
    """Drop the header rejections that diagnose's own endpoint checks caused (own_checks.py)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from diagnose.families.webhooks import own_checks

    checks = own_checks.times()
    if not checks or not hooks.num_rows:
        return hooks, 0
    # Only the rare header rejections are looked at one by one.
    rejected = pc.fill_null(_search(hooks.column("text"), HEADERS_RX), False)
    candidates = pc.indices_nonzero(rejected).to_pylist()
    if not candidates:
        return hooks, 0
    times = hooks.column("ts")
    drop = {i for i in candidates if own_checks.near(float(times[i].as_py()), checks)}
    if not drop:
        return hooks, 0
    import numpy as np

    keep = np.ones(hooks.num_rows, dtype=bool)
    keep[sorted(drop)] = False
    return hooks.filter(pa.array(keep)), len(drop)


def _in_time_order(table: pa.Table) -> pa.Table:
    """Sort by time (stable); logs are nearly always in order already, and then cost no copy."""
    import pyarrow.compute as pc

    if table.num_rows < 2:
        return table
    steps = pc.pairwise_diff(table.column("ts").combine_chunks())
    if pc.all(pc.greater_equal(steps, 0.0)).as_py():
        return table
    return table.take(pc.sort_indices(table, sort_keys=[("ts", "ascending")]))


def _timing(
    execs: pa.Table, times: pa.ChunkedArray, last: float | None, hi: float
) -> dict[str, Any]:
    """Volume and silence: first and last delivery, the usual gap, the busiest minute.

    `times` are every execution's (before, inside and just after the window), in order; `last`
    is the time of the last one at or before the window's end.
    """
    import pyarrow.compute as pc

    # The usual rate comes from everything seen, before and inside the window.
    gaps = pc.pairwise_diff(times.combine_chunks()).drop_null() if len(times) > 1 else None
    usual = pc.quantile(gaps, q=0.5)[0].as_py() if gaps is not None and len(gaps) else None
    silence = hi - last if last is not None else None
    ts = execs.column("ts")
    out: dict[str, Any] = {
        "first_seen": _iso(pc.min(ts).as_py()),
        "last_seen": _iso(pc.max(ts).as_py()),
        "usual_interval_s": round(usual, 1) if usual is not None else None,
        "silence_s": round(silence, 1) if silence is not None else None,
        "silence_ratio": round(silence / max(usual, 1.0), 1)
        if silence is not None and usual is not None
        else None,
        "per_minute_max": 0,
        "per_minute_mean": 0.0,
    }
    if len(ts):
        # Minutes with no delivery count too, from the first delivery's minute to the last's.
        minute = pc.floor(pc.divide(ts, 60.0))
        counts = pc.value_counts(minute).field("counts")
        span = pc.max(minute).as_py() - pc.min(minute).as_py() + 1
        out["per_minute_max"] = int(pc.max(counts).as_py())
        out["per_minute_mean"] = round(len(ts) / span, 2)
    return out


def _errors(execs: pa.Table) -> dict[str, Any]:
    """Failures, handler errors (failures that are not signature failures), signature failures."""
    import pyarrow.compute as pc

    text = execs.column("text")
    n = execs.num_rows
    sig = _search(text, SIGNATURE_RX)
    failed = pc.fill_null(pc.equal(execs.column("status"), "failure"), False)
    handler = pc.and_(failed, pc.invert(sig))
    n_failed = _count(failed)
    n_handler = _count(handler)
    n_sig = _count(sig)
    errors = pc.utf8_slice_codeunits(
        pc.fill_null(execs.column("error").filter(handler), ""), 0, 160
    )
    return {
        "failures": n_failed,
        "first_failure_at": _iso(pc.min(execs.column("ts").filter(failed)).as_py()),
        "handler_errors": n_handler,
        "error_rate": round(n_handler / n, 4) if n else 0.0,
        "top_errors": [f"{count}x {msg}" for msg, count in _most_common(errors, 3)],
        "signature_failures": n_sig,
        "signature_failure_rate": round(n_sig / n, 4) if n else 0.0,
        "timestamp_failures": _count(_search(text, TIMESTAMP_RX)),
        "header_failures": _count(_search(text, HEADERS_RX)),
        "signature_examples": [
            _first_match(t.strip()) for t in text.filter(sig).slice(0, MAX_EXAMPLES).to_pylist()
        ],
    }


def _durations(execs: pa.Table) -> dict[str, Any]:
    """Handler time: median, p95 and max, and how many ran past DodoPayments' timeout."""
    import pyarrow.compute as pc

    durations = execs.column("duration_ms").drop_null()
    durations = durations.filter(pc.invert(pc.is_nan(durations)))
    if not len(durations):
        return {
            "duration_p50_ms": None,
            "duration_p95_ms": None,
            "duration_max_ms": None,
            "over_timeout": 0,
        }
    p50, p95 = pc.quantile(durations, q=[0.5, 0.95]).to_pylist()
    return {
        "duration_p50_ms": round(p50, 1),
        "duration_p95_ms": round(p95, 1),
        "duration_max_ms": round(pc.max(durations).as_py(), 1),
        "over_timeout": _count(pc.greater_equal(durations, DODO_TIMEOUT_MS)),
    }


def _events(execs: pa.Table) -> dict[str, Any]:
    """Event types and ids: retries (an id seen twice) and duplicates (processed twice)."""
    import pyarrow.compute as pc

    text = execs.column("text")
    ids = _search(text, EVENT_ID_RX, extract=True)
    seen = pc.value_counts(ids.drop_null())
    retried = seen.field("values").filter(pc.greater(seen.field("counts"), 1))
    # Only a retried id can have been processed twice: count successes among those few.
    ok = pc.fill_null(pc.equal(execs.column("status"), "success"), False)
    again = ids.filter(pc.and_(ok, pc.is_in(ids, value_set=retried)))
    dups = [(k, v) for k, v in _most_common(again) if v > 1]
    return {
        "by_type": dict(_most_common(_search(text, EVENT_TYPE_RX, extract=True).drop_null())),
        "event_ids": len(seen),
        "retried_events": len(retried),
        "duplicate_events": len(dups),
        "duplicate_examples": [f"{k} processed {v} times" for k, v in dups[:MAX_EXAMPLES]],
    }


def _count(mask: Any) -> int:
    import pyarrow.compute as pc

    return int(pc.sum(mask).as_py() or 0)


def _most_common(values: Any, limit: int | None = None) -> list[tuple[str, int]]:
    """Distinct values with their counts, most common first (ties: first seen first)."""
    import pyarrow.compute as pc

    counts = pc.value_counts(values)
    order = pc.array_sort_indices(counts.field("counts"), order="descending")[:limit]
    top = counts.take(order)
    return list(zip(top.field("values").to_pylist(), top.field("counts").to_pylist(), strict=True))


def _first_match(text: str) -> str:
    for line in text.splitlines():
        if SIGNATURE_RX.search(line):
            return line[:200]
    return text[:200]


def _iso(ts: float | None) -> str | None:
    # Rounded to the microsecond first, as datetime does: 1790000000.123 is .123, not .122999.
    return iso(datetime.fromtimestamp(ts, UTC)) if ts is not None else None
