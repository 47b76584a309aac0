"""`diagnose webhooks` against the lab: a receiver over real sockets and Convex log scenarios."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.lab.convex_logs import write_scenario
from diagnose.lab.webhook_receiver import deliver, event_body, serve
from diagnose.timeparse import iso

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return exit code, stdout and stderr."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def diagnose_json(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    code, out, err = run(["webhooks", *args, "--format", "json"], capsys)
    assert out, err
    return code, json.loads(out)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DODO_PAYMENTS_WEBHOOK_KEY", SECRET)


@pytest.mark.parametrize(
    ("scenario", "first"),
    [
        ("not-received", "webhook.not-received"),
        ("handler-errors", "webhook.handler-errors"),
        ("signature-failures", "webhook.signature-failures"),
        ("duplicates", "webhook.duplicates"),
        ("slow-handler", "webhook.slow-handler"),
    ],
)
@pytest.mark.parametrize("fmt", ["jsonl", "stream", "text"])
def test_log_scenarios_rank_their_cause_first(
    scenario: str, first: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if fmt == "text" and scenario == "duplicates":
        pytest.skip("text logs do not tie console lines to executions")
    log = tmp_path / f"{scenario}.log"
    write_scenario(log, scenario, NOW, fmt=fmt)
    code, doc = diagnose_json(["--log", str(log), "--since", "1h", "--now", iso(NOW)], capsys)
    assert doc["findings"], doc["facts"]
    assert doc["findings"][0]["id"] == first
    assert code in (1, 2)


def test_healthy_logs_are_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "healthy.jsonl"
    write_scenario(log, "healthy", NOW)
    code, doc = diagnose_json(["--log", str(log), "--since", "1h", "--now", iso(NOW)], capsys)
    assert (code, doc["status"], doc["findings"]) == (0, "ok", [])
    assert doc["facts"]["webhook.logs.deliveries"] == 60


def test_no_traffic_at_all_is_an_info_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "quiet.jsonl"
    write_scenario(log, "quiet", NOW)
    code, doc = diagnose_json(["--log", str(log), "--since", "1h", "--now", iso(NOW)], capsys)
    assert (code, doc["status"]) == (0, "ok")
    [finding] = doc["findings"]
    assert finding["id"] == "webhook.no-data" and finding["severity"] == "info"
    assert finding["message"].startswith("No data in the window: ")
    assert "2026" in finding["message"]  # the window's bounds, not "none"


def test_bad_lines_are_counted_with_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "bad.jsonl"
    write_scenario(log, "bad-lines", NOW)
    code, doc = diagnose_json(["--log", str(log), "--since", "1h", "--now", iso(NOW)], capsys)
    assert code == 0
    # The CLI's own stderr banner among them is skipped, not counted: two bad lines remain.
    assert doc["facts"]["webhook.logs.bad_lines"] == 2
    lines = log.read_text().splitlines()
    expected = [f"{log}:{i}:" for i, line in enumerate(lines, 1) if line.startswith("{not")]
    refs = doc["facts"]["webhook.logs.bad_line_refs"]
    # exact line numbers, though the read seeked into the middle of the file
    assert [r[: len(e)] for r, e in zip(refs, expected, strict=True)] == expected


def test_gzip_and_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip
    import io
    import sys

    log = tmp_path / "errors.jsonl"
    write_scenario(log, "handler-errors", NOW)
    gz = tmp_path / "errors.jsonl.gz"
    gz.write_bytes(gzip.compress(log.read_bytes()))
    _, doc = diagnose_json(["--log", str(gz), "--since", "1h", "--now", iso(NOW)], capsys)
    assert doc["findings"][0]["id"] == "webhook.handler-errors"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(log.read_bytes())))
    _, doc2 = diagnose_json(["--log", "-", "--since", "1h", "--now", iso(NOW)], capsys)
    assert doc2["facts"]["webhook.logs.deliveries"] == doc["facts"]["webhook.logs.deliveries"]


@pytest.mark.lab
@pytest.mark.parametrize(
    ("fault", "first"),
    [
        ("wrong-secret", "webhook.secret-mismatch"),
        ("parse-then-verify", "webhook.body-modified"),
        ("clock-skew", "webhook.timestamp-skew"),
        ("strip-headers", "webhook.missing-headers"),
        ("errors", "webhook.handler-errors"),
    ],
)
def test_receiver_faults_rank_their_cause_first(
    fault: str, first: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, cap = tmp_path / "convex.jsonl", tmp_path / "deliveries.jsonl"
    with serve(SECRET, fault, log, cap) as rx:
        statuses = [deliver(rx.url, SECRET, event_body(n=n)) for n in range(4)]
    assert all(s != 200 for s in statuses)
    now = iso(datetime.now(UTC) + timedelta(seconds=1))
    args = ["--log", str(log), "--capture", str(cap), "--since", "10m", "--now", now]
    code, doc = diagnose_json(args, capsys)
    assert doc["findings"][0]["id"] == first, [f["id"] for f in doc["findings"]]
    assert code == 2
    assert SECRET not in json.dumps(doc)


@pytest.mark.lab
def test_healthy_receiver_is_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, cap = tmp_path / "convex.jsonl", tmp_path / "deliveries.jsonl"
    with serve(SECRET, "healthy", log, cap) as rx:
        assert [deliver(rx.url, SECRET, event_body(n=n)) for n in range(3)] == [200] * 3
        now = iso(datetime.now(UTC) + timedelta(seconds=1))
        args = ["--log", str(log), "--capture", str(cap), "--since", "10m", "--now", now]
        code, doc = diagnose_json([*args, "--endpoint", rx.url], capsys)
    assert (code, doc["status"], doc["findings"]) == (0, "ok", [])
    assert doc["facts"]["webhook.captures.verified"] == 3
    assert doc["facts"]["webhook.endpoint.status"] == 401


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.lab
def test_endpoint_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/webhooks/dodo"
    code, doc = diagnose_json(["--endpoint", url, "--timeout", "5"], capsys)
    assert doc["findings"][0]["id"] == "webhook.endpoint-unreachable"
    assert code == 2


@pytest.mark.lab
def test_replay_prints_curl_without_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, cap = tmp_path / "convex.jsonl", tmp_path / "deliveries.jsonl"
    with serve(SECRET, "healthy", log, cap) as rx:
        deliver(rx.url, SECRET, event_body(), msg_id="msg_replay0001")
        code, out, _ = run(
            ["webhooks", "replay", "msg_replay0001", "--capture", str(cap), "--to", rx.url], capsys
        )
        assert code == 0
        assert "curl" in out and "id=msg_replay0001" in out
        assert SECRET not in out and "v1,$sig" in out
        # Pasted into a shell with the secret in its variable, the snippet signs and is accepted.
        pasted = subprocess.run(
            ["bash", "-c", out],
            env={"PATH": os.environ["PATH"], "DODO_PAYMENTS_WEBHOOK_KEY": SECRET},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert pasted.returncode == 0, pasted.stderr
        assert rx.state.answered == [200, 200], pasted.stdout + pasted.stderr
        # Without the variable it stops with one line saying what to export, sending nothing.
        unset = subprocess.run(
            ["bash", "-c", out], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True
        )
        assert unset.returncode != 0 and "export DODO_PAYMENTS_WEBHOOK_KEY" in unset.stderr
        code, out, _ = run(
            [
                "webhooks",
                "replay",
                "msg_replay0001",
                "--capture",
                str(cap),
                "--to",
                rx.url,
                "--send",
            ],
            capsys,
        )
        assert code == 0, out
        assert out.startswith(f"POST {rx.url}: 200 in ")
        assert rx.state.answered == [200, 200, 200]


def test_replay_refuses_plain_http_to_a_remote_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cap = tmp_path / "c.jsonl"
    cap.write_text(json.dumps({"headers": {"webhook-id": "msg_x1"}, "body": "{}"}) + "\n")
    code, _, err = run(
        ["webhooks", "replay", "msg_x1", "--capture", str(cap), "--to", "http://example.com/x"],
        capsys,
    )
    assert code == 3 and "--insecure" in err


def test_missing_log_file_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["webhooks", "--log", "/nonexistent/convex.jsonl"], capsys)
    assert code == 3 and err.count("\n") == 1 and "no such file" in err


@pytest.mark.lab
def test_the_endpoint_check_does_not_become_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run 2 must not blame missing headers on the rejection run 1's own check caused."""
    log, cap = tmp_path / "convex.jsonl", tmp_path / "deliveries.jsonl"
    with serve(SECRET, "errors", log, cap) as rx:
        for n in range(4):
            deliver(rx.url, SECRET, event_body(n=n))
        now = iso(datetime.now(UTC) + timedelta(seconds=1))
        args = ["--log", str(log), "--capture", str(cap), "--since", "10m"]
        _, first = diagnose_json([*args, "--endpoint", rx.url, "--now", now], capsys)
        now = iso(datetime.now(UTC) + timedelta(seconds=1))
        code, second = diagnose_json([*args, "--now", now], capsys)
    assert first["findings"][0]["id"] == "webhook.handler-errors"
    assert [f["id"] for f in second["findings"]][:1] == ["webhook.handler-errors"]
    ids = {f["id"] for f in second["findings"]} | {
        e["id"] for f in second["findings"] for e in f["explains"]
    }
    assert not ids & {"webhook.missing-headers", "webhook.secret-mismatch"}, ids
    assert second["facts"]["webhook.logs.own_checks"] == 1
    assert second["facts"]["webhook.logs.deliveries"] == 4
    assert second["facts"]["webhook.captures.own_checks"] == 1
