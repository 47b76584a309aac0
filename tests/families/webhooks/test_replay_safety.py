"""Replay safety: without --send nothing leaves the machine; with it, exactly one request."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from diagnose.families.webhooks.signature import verify
from tests.support.cli import ROOT
from tests.support.incident_api import json_reply, run, serve

pytestmark = pytest.mark.lab  # every test here starts a server or a process

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HAR = ROOT / "fixtures" / "webhooks" / "deliveries.har"
ENV = {"DODO_PAYMENTS_WEBHOOK_KEY": SECRET}


@contextmanager
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A bare TCP listener that records every connection (and its first bytes), answering nothing."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.1)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.5)
                try:
                    seen.append(conn.recv(4096))
                except OSError:
                    seen.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/dodo", seen
    finally:
        stop.set()
        thread.join(2)
        sock.close()


def _replay(to: str, *extra: str, capture: Path = HAR) -> list[str]:
    return ["webhooks", "replay", "msg_fixture0001", "--capture", str(capture), "--to", to, *extra]


@pytest.mark.parametrize("fmt_args", [[], ["--now", "2026-11-27T10:00:00Z"]])
def test_without_send_no_connection_is_made(fmt_args: list[str]) -> None:
    with listener() as (url, seen):
        result = run(_replay(url, *fmt_args), ENV)
    assert result.code == 0, result.stderr
    assert seen == [], "replay without --send opened a connection"
    assert "not sent; add --send" in result.stdout
    assert "curl -sS -X POST" in result.stdout
    assert "v1,$sig" in result.stdout and SECRET not in result.stdout


def test_without_send_even_when_the_capture_holds_the_event_twice(tmp_path: Path) -> None:
    doc = json.loads(HAR.read_text())
    doc["log"]["entries"] = doc["log"]["entries"] * 3
    capture = tmp_path / "dup.har"
    capture.write_text(json.dumps(doc))
    with listener() as (url, seen):
        result = run(_replay(url, capture=capture), ENV)
    assert result.code == 0, result.stderr
    assert seen == []


@pytest.mark.parametrize(("status", "code"), [(204, 0), (500, 2), (429, 2)])
def test_with_send_exactly_one_request(tmp_path: Path, status: int, code: int) -> None:
    doc = json.loads(HAR.read_text())
    doc["log"]["entries"] = doc["log"]["entries"] * 3  # the same event, three attempts
    capture = tmp_path / "dup.har"
    capture.write_text(json.dumps(doc))
    with serve(lambda seen: json_reply(status, {})) as api:
        result = run(_replay(f"{api.url}/webhooks/dodo", "--send", capture=capture), ENV)
    assert result.code == code, result.stderr
    assert len(api.seen) == 1, [s.path for s in api.seen]
    sent = api.seen[0]
    assert (sent.method, sent.path) == ("POST", "/webhooks/dodo")
    # The event's webhook-id is kept (receivers deduplicate on it), freshly signed.
    assert sent.headers["webhook-id"] == "msg_fixture0001"
    assert verify(SECRET, sent.headers, sent.body, time.time()).ok


def test_bad_input_sends_nothing() -> None:
    with listener() as (url, seen):
        missing = run(_replay(url, "--send"), {"DODO_PAYMENTS_WEBHOOK_KEY": ""})
        unknown = run(
            ["webhooks", "replay", "msg_nope", "--capture", str(HAR), "--to", url, "--send"], ENV
        )
    assert missing.code == 3 and unknown.code == 3
    assert seen == []
