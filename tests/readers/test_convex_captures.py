"""The readers: windowed log reads whose cost follows the window, HAR and JSON-lines captures."""

from __future__ import annotations

import json
from pathlib import Path

from diagnose.readers.captures import read_capture
from diagnose.readers.convex import ConvexFormat, line_time, read_log
from diagnose.readers.window import read_window
from tests.support.cli import ROOT

FIXTURES = ROOT / "fixtures" / "webhooks"
START = 1_790_000_000


def test_window_read_cost_follows_the_window(tmp_path: Path) -> None:
    log = tmp_path / "big.jsonl"
    with log.open("w") as fh:
        for i in range(200_000):  # one record a second for 55 hours
            fh.write(
                json.dumps({"kind": "Completion", "timestamp": START + i, "identifier": "q"}) + "\n"
            )
    since = START + 199_000.0
    wr = read_window(str(log), since, None, line_time)
    lines = list(wr.lines)
    assert wr.seeked and wr.start_offset > 0.98 * log.stat().st_size
    assert 1000 <= len(lines) < 1200  # the window and the slack, not 200 000 lines
    assert line_time(lines[0].text) <= since  # nothing in the window was skipped
    assert wr.line_number(lines[0]) == int(line_time(lines[0].text) - START) + 1


def test_har_fixture_reads_every_delivery() -> None:
    cap = read_capture(str(FIXTURES / "deliveries.har"))
    assert cap.fmt == "har" and not cap.bad
    assert [d.webhook_id for d in cap.deliveries] == [
        "msg_fixture0001",
        "msg_fixture0002",
        "msg_fixture0003",
        None,
    ]
    assert cap.deliveries[0].status == 200 and cap.deliveries[0].duration_ms == 180.0


def test_jsonl_capture_bad_entries_are_counted(tmp_path: Path) -> None:
    cap = tmp_path / "c.jsonl"
    good = {"received_at": "2026-11-27T10:00:00Z", "headers": {"Webhook-Id": "msg_1"}, "body": "{}"}
    cap.write_text(json.dumps(good) + "\n{oops\n" + json.dumps({"body": "x"}) + "\n")
    out = read_capture(str(cap))
    assert len(out.deliveries) == 1 and out.deliveries[0].webhook_id == "msg_1"
    assert [b.split(": ")[0] for b in out.bad] == [f"{cap}:2", f"{cap}:3"]


def test_pretty_printed_log_stream_array() -> None:
    parsed = read_log(
        str(FIXTURES / "log-stream-signature-failures.json"), ConvexFormat.AUTO, None, None
    )
    assert parsed.fmt is ConvexFormat.STREAM and not parsed.bad
    kinds = {r["kind"] for r in parsed.rows}
    assert kinds == {"execution", "log"}


def test_text_log_detected() -> None:
    parsed = read_log(str(FIXTURES / "convex-healthy.log"), ConvexFormat.AUTO, None, None)
    assert parsed.fmt is ConvexFormat.TEXT and not parsed.bad and parsed.rows


def test_arrow_blocks_match_the_line_by_line_reader(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Bad, blank and foreign lines inside Arrow blocks: same rows, same bad lines and offsets."""
    import diagnose.readers.convex as cl

    log = tmp_path / "mixed.jsonl"
    lines = []
    for i in range(3000):
        record = {
            "kind": "Completion" if i % 7 else "Progress",
            "udfType": "HttpAction",
            "identifier": "POST /webhooks/dodo",
            "logLines": [{"level": "LOG" if i % 2 else None, "messages": ["webhook", f"msg_{i}"]}],
            "timestamp": (START + i) * 1000,
            "executionTime": 0.1,
            "requestId": f"r{i}",
            **({"error": "Uncaught Error: boom"} if i % 11 == 0 else {}),
        }
        lines.append(json.dumps(record))
    lines[100] = "{not json"
    lines[2000] = json.dumps({"kind": "Other", "timestamp": START + 2000})
    lines[2500] = ""
    log.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(cl, "BLOCK_BYTES", 64 * 1024)  # many blocks, split on rejection
    fast = read_log(str(log), ConvexFormat.AUTO, None, None)
    monkeypatch.setattr(
        cl,
        "read_jsonl_range",
        lambda path, start, end, parsed: cl._line_by_line(
            parsed.fmt, cl._block_lines(path.read_bytes()[start:end], start), parsed
        ),
    )
    slow = read_log(str(log), ConvexFormat.AUTO, None, None)
    assert fast.rows == slow.rows and len(fast.rows) == 2997
    assert (fast.lines_read, slow.lines_read) == (2999, 2999)
    assert [(b.line.number, b.line.offset) for b in fast.bad] == [
        (b.line.number, b.line.offset) for b in slow.bad
    ]
    assert [b.line.number for b in fast.bad] == [101, 2001]
    assert fast.rows[1]["message"] == "[LOG] webhook msg_1" and fast.rows[0]["kind"] == "log"


def test_a_lone_surrogate_is_one_bad_entry(tmp_path: Path) -> None:
    """A body holding a JSON-escaped lone surrogate spoils its own entry, not the file."""
    good = {"headers": {"webhook-id": "msg_1"}, "body": "{}"}
    bad = {"headers": {"webhook-id": "msg_2"}, "body": "\ud800"}
    path = tmp_path / "captures.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    got = read_capture(str(path))
    assert [d.webhook_id for d in got.deliveries] == ["msg_1"]
    assert len(got.bad) == 1 and "surrogate" in got.bad[0]
