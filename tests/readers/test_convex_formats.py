"""Convex log shapes beyond the CLI's text: a --jsonl file behind the CLI's stderr banner, the
legacy log-stream schema (executionTimeMs, `_console` without a request id), arrays, wrappers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from diagnose.readers.convex import ConvexFormat, read_log

BANNER = [
    "\u258c Showing logs of deployment:",
    "\u258c \u2514\u2500 https://happy-otter-123.convex.cloud",
    "Watching logs for production deployment happy-otter-123...",
]
RECORD = {
    "kind": "Completion",
    "udfType": "HttpAction",
    "identifier": "POST /dodopayments-webhook",
    "logLines": [],
    "timestamp": 1787234709.2,
    "executionTime": 0.012,
    "requestId": "9f1c0a",
    "caller": "HttpEndpoint",
}


def test_jsonl_behind_the_banner_is_jsonl(tmp_path: Path) -> None:
    """`npx convex logs --jsonl &> file`: the banner is neither the format nor a bad line."""
    for name, opener in (("plain.jsonl", open), ("zipped.jsonl.gz", gzip.open)):
        path = tmp_path / name
        with opener(path, "wt", encoding="utf-8") as fh:
            fh.write("\n".join([*BANNER, json.dumps(RECORD), json.dumps(RECORD)]) + "\n")
        parsed = read_log(str(path), ConvexFormat.AUTO, 1787234000.0, None)
        assert parsed.fmt is ConvexFormat.JSONL, name
        assert parsed.bad == [], name
        assert [r["duration_ms"] for r in parsed.rows] == [12.0, 12.0]


def test_legacy_stream_reads_durations_and_ties_console_lines(tmp_path: Path) -> None:
    """Legacy events (streams made before 2024-05-23): `executionTimeMs`, `_console` with no id."""
    events = [
        {
            "_topic": "_console",
            "_timestamp": 1787234709100,
            "_functionType": "http_action",
            "_functionPath": "POST /dodopayments-webhook",
            "message": "'received payment.succeeded'",
        },
        {
            "_topic": "_execution_record",
            "_timestamp": 1787234709200,
            "_functionType": "http_action",
            "_functionPath": "POST /dodopayments-webhook",
            "status": "success",
            "executionTimeMs": 16250,
        },
    ]
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(events, indent=2), encoding="utf-8")
    parsed = read_log(str(path), ConvexFormat.AUTO, None, None)
    assert parsed.fmt is ConvexFormat.STREAM
    log, execution = parsed.rows
    assert execution["duration_ms"] == 16250.0
    assert log["request_id"] is not None and log["request_id"] == execution["request_id"]


def test_legacy_documented_examples_verbatim(tmp_path: Path) -> None:
    """The legacy schema's own examples (convex-backend npm-packages/docs/docs/production/
    integrations/log-streams/legacy-event-schema.mdx): `httpAction` in camelCase, the error in
    `reason`. The type reads as the JSONL reader's `http_action`; audit events are no rows."""
    events = [
        {
            "_topic": "_console",
            "_timestamp": 1695066350531,
            "_functionType": "query",
            "_functionPath": "myDir/myFile",
            "_functionCached": True,
            "message": "[LOG] 'My log message'",
        },
        {
            "_topic": "_execution_record",
            "_timestamp": 1695066350531,
            "_functionType": "httpAction",
            "_functionPath": "POST /sendImage",
            "status": "failure",
            "reason": "Unexpected Error: Some error message\n\n  at ....",
            "executionTimeMs": 73,
        },
        {
            "_topic": "_audit_log",
            "_timestamp": 1695066350531,
            "action": "push_config",
            "actionMetadata": {
                "modules": {
                    "added": ["ffmpeg.js", "fetch.js", "test.js"],
                    "removed": ["removed.js"],
                }
            },
        },
    ]
    path = tmp_path / "legacy.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    parsed = read_log(str(path), ConvexFormat.AUTO, None, None)
    assert parsed.fmt is ConvexFormat.STREAM and parsed.bad == []
    log, execution = parsed.rows
    assert (log["udf"], log["kind"]) == ("query", "log")
    assert (execution["udf"], execution["status"], execution["duration_ms"]) == (
        "http_action",
        "failure",
        73.0,
    )
    assert execution["error"].startswith("Unexpected Error: Some error message")


def test_wrapped_current_stream_events(tmp_path: Path) -> None:
    """Current events, one per line, some wrapped in {"data": ...} as the docs' example is."""
    event = {
        "topic": "function_execution",
        "timestamp": 1787234709200,
        "function": {
            "type": "http_action",
            "path": "POST /dodopayments-webhook",
            "request_id": "r1",
        },
        "execution_time_ms": 40,
        "status": "failure",
        "error_message": "Uncaught Error: DODO_PAYMENTS_WEBHOOK_SECRET environment variable is not set.",
    }
    path = tmp_path / "stream.jsonl"
    path.write_text(json.dumps(event) + "\n" + json.dumps({"data": event}) + "\n", encoding="utf-8")
    parsed = read_log(str(path), ConvexFormat.AUTO, None, None)
    assert parsed.fmt is ConvexFormat.STREAM and parsed.bad == []
    assert [r["status"] for r in parsed.rows] == ["failure", "failure"]
