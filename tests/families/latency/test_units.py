"""The latency readers and statistics on their own (no process, no sockets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnose.families.latency.classify import is_cached, is_static, origin_ms, server_timing
from diagnose.families.latency.shape import log_lines
from diagnose.families.latency.stats import human_ms, percentile, spark_scale, sparkline
from diagnose.readers.convex import jsonl_rows, stream_rows
from diagnose.readers.requests import BadRecord, parse_combined, parse_logpush
from diagnose.readers.times import epoch_seconds


def test_percentile_matches_linear_interpolation() -> None:
    """Same method as pandas' quantile, so sample and log p95 agree."""
    import pandas as pd

    values = [12.0, 5.0, 80.0, 33.0, 7.5, 41.0, 19.0]
    for q in (50, 95, 99):
        assert percentile(values, q) == pytest.approx(pd.Series(values).quantile(q / 100))
    assert percentile([], 95) is None


def test_sparkline_scales_and_downsamples() -> None:
    """A spike survives downsampling; gaps are spaces."""
    line = sparkline([1.0] * 100 + [50.0] + [1.0] * 100)
    assert len(line) == 60 and "█" in line
    assert sparkline([1.0, None, 2.0]) == "▅ █"


def test_sparkline_shares_a_zero_baseline_and_says_its_range() -> None:
    """43-84 ms is not a steep climb: bars start at 0, and the label gives min and max."""
    values = [43.0, 50.0, 61.0, 70.0, 84.0]
    assert sparkline(values) == "▅▅▆▇█"
    assert spark_scale(values, human_ms) == "min 43 ms, max 84 ms; bars from 0"
    assert spark_scale([None, 2100.0], human_ms) == "min 2.1 s, max 2.1 s; bars from 0"
    assert spark_scale([None], human_ms) == "no values"


def test_worst_minutes_are_listed_worst_first() -> None:
    """The table of minutes starts with the worst p95, not with the earliest of the worst."""
    series = [
        {"t": f"2026-11-27T10:{m:02d}:00Z", "requests": 10, "errors": 0, "p95_ms": p}
        for m, p in enumerate([120.0, 900.0, 300.0, 2500.0, 80.0, 700.0, 650.0, 1200.0])
    ]
    facts = {"latency.logs.requests": 80, "latency.logs.series": series}
    rows = [line for line in log_lines(facts) if line.startswith("  2026-")]
    assert [r.split()[0][-5:] for r in rows] == [
        "10:03",
        "10:07",
        "10:01",
        "10:05",
        "10:06",
        "10:02",
    ]


def test_logpush_record() -> None:
    """Total from the edge timestamps (unixnano here), origin from OriginResponseDurationMs."""
    row = parse_logpush(
        {
            "EdgeStartTimestamp": 1795773600000000000,
            "EdgeEndTimestamp": 1795773601250000000,
            "EdgeResponseStatus": 200,
            "ClientRequestPath": "/api/items",
            "OriginResponseDurationMs": 1100,
            "CacheCacheStatus": "dynamic",
        }
    )
    assert row["total_ms"] == pytest.approx(1250)
    assert row["origin_ms"] == 1100
    assert row["at"] == pytest.approx(1795773600)
    with pytest.raises(BadRecord):
        parse_logpush({"ClientRequestPath": "/"})


def test_combined_nginx_and_apache_times() -> None:
    """Seconds with a dot (nginx $request_time), whole microseconds (Apache %D), rt= keys."""
    base = '1.2.3.4 - - [27/Nov/2026:10:00:00 +0000] "GET /a?x=1 HTTP/1.1" 200 512 "-" "curl/8"'
    assert parse_combined(base + " 0.250")["total_ms"] == pytest.approx(250)
    assert parse_combined(base + " 250000")["total_ms"] == pytest.approx(250)
    row = parse_combined(base + " rt=1.500 urt=1.400")
    assert (row["total_ms"], row["origin_ms"], row["path"]) == (1500, 1400, "/a")
    common = '1.2.3.4 - - [27/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 503 0 0.031'
    assert parse_combined(common)["status"] == 503
    with pytest.raises(BadRecord):
        parse_combined("not a log line")


def test_convex_formats() -> None:
    """CLI completions (seconds) and log-stream events (ms); console lines are not executions."""
    [cli] = jsonl_rows(
        {
            "kind": "Completion",
            "identifier": "messages:list",
            "udfType": "Query",
            "timestamp": 1795773600.5,
            "executionTime": 0.25,
            "error": None,
        },
        "cli.jsonl",
    )
    assert cli["duration_ms"] == pytest.approx(250) and cli["function"] == "messages:list"
    assert cli["kind"] == "execution" and cli["status"] == "success"
    [stream] = stream_rows(
        {
            "topic": "function_execution",
            "timestamp": 1795773600500,
            "function": {"path": "items:create", "type": "mutation"},
            "execution_time_ms": 40,
            "status": "failure",
        },
        "stream.jsonl",
    )
    assert stream["status"] == "failure" and stream["ts"] == pytest.approx(1795773600.5)
    [console] = stream_rows({"topic": "console", "timestamp": 1795773600500, "message": "hi"}, "s")
    assert console["kind"] == "log"


def test_epoch_units() -> None:
    """Seconds, milliseconds, microseconds and nanoseconds are told apart by magnitude."""
    for value in (1795773600, 1795773600000, 1795773600000000, 1795773600000000000):
        assert epoch_seconds(value) == pytest.approx(1795773600)
    assert epoch_seconds("2026-11-27T10:00:00Z") == pytest.approx(1795773600)


def test_classification() -> None:
    """Static paths, cached statuses, Server-Timing origin time."""
    assert is_static("/assets/index-3f2a.js") and is_static("/logo.png?v=2")
    assert not is_static("/api/items") and not is_static("/")
    assert is_cached("HIT") and is_cached("revalidated") and not is_cached("DYNAMIC")
    timings = server_timing('cfL4;desc="?proto=TCP", cfEdge;dur=7, cfOrigin;dur=120.5')
    assert origin_ms(timings) == 120.5
    assert origin_ms(server_timing("db;dur=3")) is None


def test_reader_counts_bad_lines(tmp_path: object) -> None:
    """A file whose first line is garbage still gets its format from the next lines."""
    from pathlib import Path

    from diagnose.readers.logs import read_logs

    path = Path(str(tmp_path)) / "mixed.jsonl"
    good = {
        "EdgeStartTimestamp": "2026-11-27T10:00:00Z",
        "EdgeEndTimestamp": "2026-11-27T10:00:00.2Z",
        "EdgeResponseStatus": 200,
        "ClientRequestPath": "/",
    }
    path.write_text("garbage\n" + json.dumps(good) + "\n[1,2]\n", encoding="utf-8")
    read = read_logs([str(path)])
    assert (len(read.requests), read.bad) == (1, 2)
    assert read.files[0].kind == "logpush"


def test_a_convex_error_thrown_on_purpose_is_not_an_error(tmp_path: Path) -> None:
    """ConvexError is the function's answer to its client (a Convex 4xx); other failures count."""
    from diagnose.readers.logs import read_logs

    def record(i: int, error: str | None) -> str:
        return json.dumps(
            {"kind": "Completion", "identifier": "auth:signIn", "udfType": "Mutation",
             "timestamp": 1773219603.0 + i, "executionTime": 0.01, "error": error,
             "requestId": f"r{i}", "logLines": []}
        )  # fmt: skip

    log = tmp_path / "convex.jsonl"
    lines = [
        record(0, "Uncaught ConvexError: Rate limit exceeded for signIn (429), retry in 30 s"),
        record(1, "Uncaught Error: boom\n    at handler (../convex/auth.ts:12:9)"),
        record(2, None),
    ]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [e["error"] for e in read_logs([str(log)]).executions] == [False, True, False]
