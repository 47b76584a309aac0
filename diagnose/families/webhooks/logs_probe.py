"""Webhook deliveries as the Convex logs tell them: volume, errors, signature failures, timing."""

from __future__ import annotations

import math
import re
import threading
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.probe import FactSink, ProbeContext
from diagnose.readers.window import describe_window
from diagnose.timeparse import iso

if TYPE_CHECKING:
    import pyarrow as pa

DODO_TIMEOUT_MS = 15_000  # DodoPayments gives up on a delivery after 15 s and retries it
MAX_EXAMPLES = 5
# What handlers (and the standardwebhooks / Dodo SDK errors) say when verification fails.
# The delivery chart's bucket: a minute up to 3 hours, coarser beyond (at most ~150 bars).
BUCKETS_S = ((3 * 3600, 60), (12 * 3600, 300), (48 * 3600, 1200), (14 * 86400, 3600))
SIGNATURE_RX = re.compile(
    r"(?i)signature|WebhookVerificationError|verification failed|missing required headers"
    r"|timestamp too (?:old|new)|invalid signature headers"
)
# DodoPayments' Convex adapter (dodo-adapters packages/convex/src/index.ts) catches every error,
# verification's and the handlers' alike, logs it with this prefix and answers 400: the
# execution succeeds. Its line is what tells a failed delivery there.
ADAPTER_PREFIX = "Dodo Payments Webhook Error:"
ADAPTER_RX = re.compile(r"(Dodo Payments Webhook Error:[^\n]*)")
TIMESTAMP_RX = re.compile(r"(?i)timestamp too (?:old|new)")
# A header that is absent, or there but unreadable: standardwebhooks throws "Invalid Signature
# Headers" when webhook-timestamp is not a number (vendor/standardwebhook.ts verifyTimestamp).
HEADERS_RX = re.compile(r"(?i)missing required headers|missing webhook-|invalid signature headers")
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
    "handlers",
    "ran",
    "executions",
    "adapter_errors",
    "failures_only",
    "not_computed",
    "series",
    "bucket_s",
    "failing_since",
    "secret_env",
)
# What a text log without `--success` cannot tell (the CLI hides every successful execution).
NEEDS_SUCCESSES = (
    "deliveries",
    "usual_interval_s",
    "silence_s",
    "silence_ratio",
    "per_minute_max",
    "per_minute_mean",
    "error_rate",
    "signature_failure_rate",
    "duration_p50_ms",
    "duration_p95_ms",
    "duration_max_ms",
    "duplicate_events",
    "series",
    "bucket_s",
    "failing_since",
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
        # The variable the secret is read from, for remediations (checklist runs pass none).
        put("secret_env", ctx.options.get("secret_env"))
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
        hidden = [p.name for p, t in zip(parsed, window, strict=True) if _failures_only(p.fmt, t)]
        del parsed  # the parses stay in the run's read cache, shared with the other probes
        facts = summarise(window, before, since, until, pattern)
        facts["failures_only"] = bool(hidden)
        facts["not_computed"] = []
        if hidden:
            # Rates, volume, silence and durations need the successes: say so, compute none.
            facts["not_computed"] = [
                f"{', '.join(hidden)}: text without --success (the CLI prints failures only): "
                f"not computed: {', '.join(NEEDS_SUCCESSES)}"
            ]
            facts.update(dict.fromkeys(NEEDS_SUCCESSES))
        sink.update({f"webhook.logs.{k}": v for k, v in facts.items()})
        count = int(facts.get("records") or 0)
        sink.put(fact_name(self.name), checked(lines_read, len(bad), count, since, until).to_json())


def checked(lines: int, bad: int, records: int, since: Any, until: Any) -> Checked:
    """Say how many log lines were read and how many records fell in the window."""
    window = describe_window(iso(since) if since else None, iso(until) if until else None)
    detail = f"{lines} lines read, {bad} skipped as unreadable; {records} records in {window}"
    if not lines:
        hint = "the log is empty: give timeout 20 npx convex logs --prod --history 500 --jsonl > convex.jsonl"
    elif bad >= lines:
        hint = "no line is a Convex log line: give the output of npx convex logs (text or --jsonl)"
    else:
        hint = "no log record inside the window: widen --since to the log's time span"
    return Checked(records, "records", detail, hint)


def _failures_only(fmt: Any, table: pa.Table) -> bool:
    """Tell a text log saved without `--success`: executions, and not one of them succeeded."""
    import pyarrow.compute as pc

    from diagnose.readers.convex import ConvexFormat

    if fmt is not ConvexFormat.TEXT or not table.num_rows:
        return False
    executed = pc.fill_null(pc.equal(table.column("kind"), "execution"), False)
    ok = pc.fill_null(pc.equal(table.column("status"), "success"), False)
    return bool(pc.any(executed).as_py()) and not pc.any(ok).as_py()


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
    hooks, requests = _hook_executions(rows, pattern)
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
        **requests,
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
    sig, broke, adapter = _failed(execs)
    out.update(_errors(execs, sig, broke, adapter))
    out.update(_series(execs.column("ts"), pc.or_(sig, broke), lo, hi))
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


def _hook_executions(rows: pa.Table, pattern: str) -> tuple[pa.Table, dict[str, Any]]:
    """The webhook deliveries in time order, one row a request, with a `text` column to search.

    An HTTP action and the mutations and actions it runs share a request id: a delivery is a
    request, named by its HTTP action (else its first execution). `text` is every console line
    logged under the request (the log stream sends them as separate events), then the
    executions' messages and errors, one per line. A request that left only console lines of
    the webhook function with the adapter's error (a text log without `--success`) is a
    delivery too: the adapter answered it 400 though nothing failed.
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
    needed = ["ts", "function", "udf", "status", "duration_ms", "error", "request_id", "message"]
    is_exec = pc.fill_null(pc.equal(kind, "execution"), False)
    hooks = rows.select(needed).filter(pc.and_(is_exec, is_hook))
    is_log = pc.fill_null(pc.equal(kind, "log"), False)
    said = pc.fill_null(pc.match_substring(rows.column("message"), ADAPTER_PREFIX), False)
    adapter_logs = rows.select(needed).filter(pc.and_(pc.and_(is_log, is_hook), said))
    if adapter_logs.num_rows:
        alone = pc.invert(
            pc.fill_null(
                pc.is_in(adapter_logs.column("request_id"), value_set=hooks.column("request_id")),
                False,
            )
        )
        alone = pc.and_(alone, pc.is_valid(adapter_logs.column("request_id")))
        extra = adapter_logs.filter(alone)
        if extra.num_rows:
            null = pa.nulls(extra.num_rows, pa.string())
            extra = extra.set_column(needed.index("message"), "message", null)
            hooks = pa.concat_tables([hooks, extra.cast(hooks.schema)])
    n_executions = hooks.num_rows
    hooks = _one_per_request(_in_time_order(hooks))
    info = {"executions": n_executions, **_request_functions(rows, hooks, is_exec)}
    hooks = hooks.drop_columns(["udf"])
    message = pc.fill_null(hooks.column("message"), "")
    error = pc.fill_null(hooks.column("error"), "")
    logs = rows.select(["ts", "request_id", "message"]).filter(
        pc.and_(
            pc.and_(is_log, pc.is_valid(rows.column("request_id"))),
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
    return hooks.append_column("text", pa.chunked_array([text.combine_chunks()])), info


def _one_per_request(hooks: pa.Table) -> pa.Table:
    """Keep one execution a request (its HTTP action, else its first), in time order.

    The others' messages and errors join the kept one's, so a mutation's error still tells.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rid = hooks.column("request_id")
    n = hooks.num_rows
    http = pc.fill_null(pc.equal(hooks.column("udf"), "http_action"), False)
    n_http = _count(http)
    unique = rid.null_count == n or pc.count_distinct(rid).as_py() == n - rid.null_count
    if n < 2 or (unique and n_http in (0, n)):
        return hooks  # one execution a request already: the usual case costs nothing
    index = pa.array(np.arange(n, dtype=np.int64))
    key = pc.if_else(pc.is_valid(rid), rid, pc.cast(index, pa.string()))
    first = pc.if_else(http, 0, 1)
    order = pa.table({"key": key, "rank": first, "i": index})
    order = order.take(
        pc.sort_indices(order, [("key", "ascending"), ("rank", "ascending"), ("i", "ascending")])
    )
    keys = order.column("key").to_numpy(zero_copy_only=False)
    starts = np.ones(n, dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    if n_http:
        # DodoPayments delivers to an HTTP action: a mutation matched by --function that no
        # action's request holds (text logs have no request ids) is not a delivery of its own.
        starts &= order.column("rank").to_numpy() == 0
    kept = np.sort(order.column("i").to_numpy()[starts])
    grouped = pa.table(
        {
            "key": key,
            "message": pc.fill_null(hooks.column("message"), ""),
            "error": pc.fill_null(hooks.column("error"), ""),
        }
    ).group_by("key", use_threads=False)
    joined = grouped.aggregate([("message", "list"), ("error", "list")])
    out = hooks.take(pa.array(kept))
    at = pc.index_in(pc.take(key, pa.array(kept)), value_set=joined.column("key"))
    for name in ("message", "error"):
        # The kept row's own text first: the handler's error is the one to name.
        texts = pc.take(pc.binary_join(joined.column(f"{name}_list"), "\n"), at)
        texts = pc.utf8_trim(texts, "\n")
        empty = pc.equal(texts, "")
        out = out.set_column(
            out.schema.get_field_index(name),
            name,
            pc.if_else(empty, pa.scalar(None, pa.string()), texts),
        )
    return out


def _request_functions(rows: pa.Table, hooks: pa.Table, is_exec: Any) -> dict[str, Any]:
    """Which function handled the deliveries, and which others ran under their requests."""
    import pyarrow.compute as pc

    handlers = _most_common(hooks.column("function").drop_null(), 5)
    rids = hooks.column("request_id").drop_null()
    ran: list[tuple[str, int]] = []
    if len(rids):
        under = pc.and_(
            is_exec, pc.fill_null(pc.is_in(rows.column("request_id"), value_set=rids), False)
        )
        others = rows.select(["function", "udf"]).filter(under)
        if others.num_rows > len(rids):  # more executions than deliveries: some ran under them
            label = pc.binary_join_element_wise(
                pc.fill_null(others.column("function"), "?"),
                " (",
                pc.fill_null(others.column("udf"), "?"),
                ")",
                "",
            )
            handled = {f"{f} (" for f, _ in handlers}
            ran = [
                (k, v)
                for k, v in _most_common(label, 12)
                if not any(k.startswith(h) for h in handled)
            ]
    return {
        "handlers": [f"{name}: {count}" for name, count in handlers],
        "ran": [f"{name}: {count}" for name, count in ran[:8]],
    }


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


def _failed(execs: pa.Table) -> tuple[pa.ChunkedArray, pa.ChunkedArray, pa.ChunkedArray]:
    """Which deliveries failed verification, which failed at all (execution or adapter), and
    which the adapter answered 400."""
    import pyarrow.compute as pc

    text = execs.column("text")
    sig = _search(text, SIGNATURE_RX)
    adapter = pc.fill_null(pc.match_substring(text, ADAPTER_PREFIX), False)
    # The adapter's 400s are failed deliveries though their executions succeeded.
    failed = pc.or_(pc.fill_null(pc.equal(execs.column("status"), "failure"), False), adapter)
    return sig, failed, adapter


def _series(
    ts: pa.ChunkedArray, rejected: pa.ChunkedArray, lo: float | None, hi: float
) -> dict[str, Any]:
    """Deliveries and failed ones per bucket (the chart's data), and since when all have failed.

    A delivery the handler rejected (signature) failed for DodoPayments as much as one that
    threw. The buckets run from the window's start (else the first delivery) to its end, so a
    silence at the end shows as empty bars.
    """
    import numpy as np

    times = ts.to_numpy()
    bad = np.asarray(rejected.to_numpy(zero_copy_only=False), dtype=bool)
    if not len(times):
        return {"series": [], "bucket_s": None, "failing_since": None}
    # Without --since the window has no start: the deliveries' own span is the chart's.
    first, end = (lo, hi) if lo is not None else (float(times[0]), float(times[-1]))
    span = max(end - first, 0.0)
    size = next((b for limit, b in BUCKETS_S if span <= limit), None)
    size = size or 86400 * math.ceil(span / 150 / 86400)
    start = first // size * size
    n = int((end - start) // size) + 1
    index = np.clip(((times - start) // size).astype(np.int64), 0, n - 1)
    total = np.bincount(index, minlength=n)
    failed = np.bincount(index[bad], minlength=n)
    series = [
        {"t": _iso(start + i * size), "deliveries": int(total[i]), "failed": int(failed[i])}
        for i in range(n)
    ]
    since = None
    if bad[-1]:
        ok = np.flatnonzero(~bad)
        since = _iso(float(times[int(ok[-1]) + 1 if len(ok) else 0]))
    return {"series": series, "bucket_s": size, "failing_since": since}


def _errors(
    execs: pa.Table, sig: pa.ChunkedArray, failed: pa.ChunkedArray, adapter: pa.ChunkedArray
) -> dict[str, Any]:
    """Failures, handler errors (failures that are not signature failures), signature failures."""
    import pyarrow.compute as pc

    text = execs.column("text")
    n = execs.num_rows
    handler = pc.and_(failed, pc.invert(sig))
    n_failed = _count(failed)
    n_handler = _count(handler)
    n_sig = _count(sig)
    said = _search(text, ADAPTER_RX, extract=True)
    reason = pc.if_else(pc.is_valid(execs.column("error")), execs.column("error"), said)
    errors = pc.utf8_slice_codeunits(pc.fill_null(reason.filter(handler), ""), 0, 160)
    return {
        "adapter_errors": _count(adapter),
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
