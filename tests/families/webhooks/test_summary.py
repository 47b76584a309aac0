"""The webhook summary in Arrow compute: its facts from all three formats, and no pandas."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from diagnose.families.webhooks.logs_probe import WebhookLogsProbe
from diagnose.families.webhooks.options import WebhooksOptions
from diagnose.lab.convex_logs import write_scenario
from diagnose.probe import FactSink, ProbeContext
from diagnose.timeparse import iso

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def facts(logs: list[Path], since: datetime | None, match: str | None = None) -> dict[str, Any]:
    """Run the probe on files; return its facts without the `webhook.logs.` prefix."""
    probe = WebhookLogsProbe()
    sink = FactSink(probe.name, probe.provides)
    options = {
        "logs": [str(p) for p in logs],
        "since": since,
        "function_match": match or WebhooksOptions.function_match,
        "log_format": WebhooksOptions.log_format,
    }
    probe.collect(ProbeContext(options, NOW, time.monotonic() + 60), sink)
    return {k.removeprefix("webhook.logs."): v for k, v in sink.close().items()}


@pytest.mark.parametrize("fmt", ["jsonl", "stream", "text"])
def test_first_failure_at_is_the_first_failed_execution(tmp_path: Path, fmt: str) -> None:
    log = tmp_path / f"errors.{fmt}"
    write_scenario(log, "handler-errors", NOW, fmt=fmt)
    got = facts([log], NOW - timedelta(hours=1))
    assert got["failures"] > 0 and got["first_failure_at"] is not None
    assert got["first_seen"] <= got["first_failure_at"] <= got["last_seen"]
    if fmt == "jsonl":  # the same instant, read straight from the file
        failed = [
            r["timestamp"] / (1000 if r["timestamp"] > 1e11 else 1)
            for r in map(json.loads, log.read_text().splitlines())
            if r.get("error") and "webhook" in r["identifier"]
        ]
        first = min(t for t in failed if t >= (NOW - timedelta(hours=1)).timestamp())
        assert got["first_failure_at"] == iso(datetime.fromtimestamp(first, UTC))


def test_first_failure_at_is_null_when_nothing_failed(tmp_path: Path) -> None:
    log = tmp_path / "healthy.jsonl"
    write_scenario(log, "healthy", NOW)
    got = facts([log], NOW - timedelta(hours=1))
    assert got["failures"] == 0 and got["first_failure_at"] is None


def _stream(path: Path, events: list[dict[str, Any]]) -> None:
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")


def _exec(t: float, rid: str, status: str = "success", **extra: Any) -> dict[str, Any]:
    fn = {"path": extra.pop("path", "POST /webhooks/dodo"), "type": "action", "request_id": rid}
    return {
        "topic": "function_execution",
        "timestamp": t,
        "function": fn,
        "status": status,
        **extra,
    }


def _console(t: float, rid: str, message: str) -> dict[str, Any]:
    fn = {"path": "POST /webhooks/dodo", "type": "action", "request_id": rid}
    return {"topic": "console", "timestamp": t, "function": fn, "message": message}


def test_console_lines_join_their_execution_and_words_keep_unicode_boundaries(
    tmp_path: Path,
) -> None:
    t0 = (NOW - timedelta(minutes=30)).timestamp()
    log = tmp_path / "stream.jsonl"
    _stream(
        log,
        [
            _console(t0, "r1", "got payment.succeeded msg_AAAA1111"),
            _exec(t0 + 1, "r1", execution_time_ms=100),
            _console(t0 + 60, "r2", "again payment.succeeded msg_AAAA1111"),
            _exec(t0 + 61, "r2", execution_time_ms=300),
            # `é` is a word character to Python: no event id, no event type here.
            _console(t0 + 120, "r3", "émsg_BBBB2222 xrefund.created"),
            _exec(t0 + 121, "r3", "failure", error_message="Invalid signature"),
            _exec(t0 + 180, "r4", "failure", error_message="Uncaught Error: boom"),
            _exec(t0 + 240, "r5", path="messages:list"),
        ],
    )
    got = facts([log], NOW - timedelta(hours=1))
    assert got["deliveries"] == 4 and got["records"] == 8
    assert got["by_type"] == {"payment.succeeded": 2}
    assert (got["event_ids"], got["duplicate_events"]) == (1, 1)
    assert got["duplicate_examples"] == ["msg_AAAA1111 processed 2 times"]
    assert (got["failures"], got["signature_failures"], got["handler_errors"]) == (2, 1, 1)
    assert got["top_errors"] == ["1x Uncaught Error: boom"]
    assert got["signature_examples"] == ["Invalid signature"]
    assert got["first_failure_at"] == iso(datetime.fromtimestamp(t0 + 121, UTC))
    assert (got["duration_p50_ms"], got["duration_max_ms"]) == (200.0, 300.0)
    assert (got["per_minute_max"], got["per_minute_mean"]) == (1, 1.0)
    assert got["usual_interval_s"] == 60.0
    assert facts([log], NOW - timedelta(hours=1), match=r"^messages:")["deliveries"] == 1


def test_deliveries_per_minute_and_since_when_every_one_failed(tmp_path: Path) -> None:
    """The chart's series: every minute of the window, failed ones (signature too) counted."""
    t0 = (NOW - timedelta(minutes=5)).timestamp() // 60 * 60
    log = tmp_path / "stream.jsonl"
    _stream(
        log,
        [
            _exec(t0 + 5, "r1"),
            _exec(t0 + 65, "r2", "failure", error_message="Uncaught Error: boom"),
            _exec(t0 + 70, "r3"),
            _exec(t0 + 130, "r4", "failure", error_message="Invalid signature"),
            _exec(t0 + 250, "r5", "failure", error_message="Invalid signature"),
        ],
    )
    got = facts([log], datetime.fromtimestamp(t0, UTC))
    assert got["bucket_s"] == 60
    counts = [(s["deliveries"], s["failed"]) for s in got["series"]]
    assert counts == [(1, 0), (2, 1), (1, 1), (0, 0), (1, 1), (0, 0)]  # to the window's end
    assert got["series"][0]["t"] == iso(datetime.fromtimestamp(t0, UTC))
    # Failing since the first failure after the last delivery that went through.
    assert got["failing_since"] == iso(datetime.fromtimestamp(t0 + 130, UTC))
    healthy = tmp_path / "healthy.jsonl"
    write_scenario(healthy, "healthy", NOW)
    got = facts([healthy], NOW - timedelta(hours=1))
    assert got["failing_since"] is None and len(got["series"]) == 61
    assert sum(s["deliveries"] for s in got["series"]) == got["deliveries"]


def test_series_without_a_window_spans_the_deliveries(tmp_path: Path) -> None:
    """No --since: from the first delivery to the last, in buckets that keep it under ~150."""
    log = tmp_path / "stream.jsonl"
    t0 = (NOW - timedelta(days=3)).timestamp()
    _stream(log, [_exec(t0, "r1"), _exec(t0 + 2.5 * 86400, "r2", "failure")])
    got = facts([log], None)
    assert got["bucket_s"] == 3600 and len(got["series"]) in (60, 61)
    assert got["failing_since"] == iso(datetime.fromtimestamp(t0 + 2.5 * 86400, UTC))


def test_unreadable_headers_are_header_failures_like_missing_ones(tmp_path: Path) -> None:
    """standardwebhooks' "Invalid Signature Headers" (webhook-timestamp not a number), as the
    Convex adapter logs it, is a mangled header: counted with "Missing required headers"."""
    t0 = (NOW - timedelta(minutes=30)).timestamp()
    log = tmp_path / "stream.jsonl"
    adapter = "'Dodo Payments Webhook Error:' '{}'"
    _stream(
        log,
        [
            _console(t0, "r1", adapter.format("Invalid Signature Headers")),
            _exec(t0 + 1, "r1"),
            _console(t0 + 60, "r2", adapter.format("Missing required headers")),
            _exec(t0 + 61, "r2"),
            _console(t0 + 120, "r3", adapter.format("No matching signature found")),
            _exec(t0 + 121, "r3"),
        ],
    )
    got = facts([log], NOW - timedelta(hours=1))
    assert (got["signature_failures"], got["header_failures"]) == (3, 2)


@pytest.mark.lab
def test_webhooks_on_a_jsonl_log_never_imports_pandas(tmp_path: Path) -> None:
    """pandas costs ~0.45 s of start-up: the webhook summary is Arrow compute only."""
    log = tmp_path / "errors.jsonl"
    write_scenario(log, "handler-errors", NOW)
    code = (
        "import sys\nfrom diagnose.cli import main\ntry:\n    main(sys.argv[1:])\n"
        "except SystemExit:\n    pass\nprint('pandas' in sys.modules, file=sys.stderr)"
    )
    args = ["webhooks", "--log", str(log), "--since", "1h", "--now", iso(NOW), "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    assert json.loads(done.stdout)["facts"]["webhook.logs.handler_errors"] > 0
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr


@pytest.mark.lab
def test_pandas_still_works_after_the_summary() -> None:
    """Refusing pandas to pyarrow's first check must not break the latency analysis later."""
    code = (
        "import sys, pyarrow as pa\n"
        "from diagnose.readers.arrow import without_pandas\n"
        "without_pandas()\n"
        "assert pa.array(['x']).to_pylist() == ['x'] and 'pandas' not in sys.modules\n"
        "import pandas as pd\n"
        "assert pa.table({'a': [1, 2]}).to_pandas()['a'].tolist() == [1, 2]\n"
        "assert pa.array(pd.Series([3, 4])).to_pylist() == [3, 4]\n"
        "assert pd.Series(['ab', 'c']).str.contains('a').tolist() == [True, False]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
