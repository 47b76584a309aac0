"""Issue 21, point 11: a delivery whose outcome is unknown is recorded as "may have arrived", and
`incident retry` sends it again only with --force (GitHub after looking for its marker)."""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.support.cli import ROOT

NOW = "2026-11-27T10:00:00Z"
BUILD_LOG = ROOT / "fixtures" / "build" / "healthy.gha.log"


@pytest.fixture(autouse=True)
def _own_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "incidents.db"
    monkeypatch.setenv("DIAGNOSE_INCIDENT_DB", str(db))
    monkeypatch.setenv("DIAGNOSE_SINK_BACKOFF", "0")
    return db


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from diagnose.cli import main

    with pytest.raises(SystemExit) as done:
        main(args)
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


def _states(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT state FROM deliveries ORDER BY id")]


@contextmanager
def _hangs_up() -> Iterator[tuple[str, list[bytes]]]:
    """A receiver that reads the whole request, then closes the connection without answering."""
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536) or b"\0"
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                while len(body) < length:
                    body += conn.recv(65536)
                received.append(head)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook", received
    finally:
        listener.close()


def _key(head: bytes) -> str:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"idempotency-key:"):
            return line.split(b":", 1)[1].strip().decode()
    return ""


@pytest.mark.lab
def test_11_a_webhook_that_hangs_up_after_the_request_may_have_arrived(
    capsys: pytest.CaptureFixture[str], _own_log: Path
) -> None:
    with _hangs_up() as (url, received):
        args = ["build", str(BUILD_LOG), "--now", NOW, "--attach", f"webhook:{url}"]
        _code, _out, err = _main(args, capsys)
        first = len(received)
        assert first >= 1 and _states(_own_log) == ["may_have_arrived"], err
        assert "may-have-arrived" in err and "retry --force" in err
        # Without --force nothing is sent again, and the command says why (exit 1: not settled).
        code, _out, err = _main(["incident", "retry"], capsys)
        assert code == 1 and len(received) == first
        assert "1 may have arrived" in err and "--force" in err
        # With --force it goes again, with the same Idempotency-Key for the receiver to dedupe.
        _main(["incident", "retry", "--force"], capsys)
        assert len(received) > first
        assert len({_key(h) for h in received}) == 1 and _key(received[0])


@pytest.mark.lab
def test_11_a_refused_send_is_unsent_and_retried(
    capsys: pytest.CaptureFixture[str], _own_log: Path
) -> None:
    from tests.support.incident_api import json_reply, serve

    with serve(lambda seen: json_reply(400, {"error": "no"})) as api:
        _main(["build", str(BUILD_LOG), "--now", NOW, "--attach", f"webhook:{api.url}/h"], capsys)
        assert _states(_own_log) == ["unsent"]  # a 400 is known not to have been taken
        _main(["incident", "retry"], capsys)
        assert len(api.seen) == 2


@pytest.mark.lab
def test_11_github_forced_retry_finds_its_marker_before_posting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, _own_log: Path
) -> None:
    from tests.support.incident_api import json_reply, serve

    comments: list[dict[str, object]] = []
    posted = [False]

    def github(seen):  # type: ignore[no-untyped-def]
        if seen.method == "GET":
            # Once the post's answer was lost, the lookup for its marker fails too (at first).
            return json_reply(500, {}) if posted[0] else json_reply(200, comments)
        if seen.method == "PATCH":
            return json_reply(200, {"id": comments[0]["id"]})
        comments.append({"id": 700 + len(comments), "body": seen.json()["body"]})
        posted[0] = True
        return json_reply(502, {"message": "Bad Gateway"})  # stored, but the answer was lost

    with serve(github) as api:
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "E" * 36)
        monkeypatch.setenv("DIAGNOSE_GITHUB_API", api.url)
        _main(
            ["build", str(BUILD_LOG), "--now", NOW, "--attach", "github:acme/dashtray#12"], capsys
        )
        assert _states(_own_log) == ["may_have_arrived"] and len(comments) == 1
        _main(["incident", "retry"], capsys)
        assert len(comments) == 1
        posted[0] = False  # GitHub answers again
        code, _out, err = _main(["incident", "retry", "--force"], capsys)
        assert code == 0, err
        posts = [s for s in api.seen if s.method == "POST"]
        assert len(posts) == 1 and len(comments) == 1, "posted twice"
        assert any(s.method == "PATCH" for s in api.seen)
        assert _states(_own_log) == ["sent"]


def test_11_the_migration_keeps_every_delivery(tmp_path: Path) -> None:
    from diagnose.incidents.store import MIGRATIONS, SCHEMA_VERSION, DeliveryState, Store

    db = tmp_path / "v3.db"
    with sqlite3.connect(db) as conn:
        for number, migration in enumerate(MIGRATIONS[:3], start=1):
            conn.executescript(migration)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute(
            "INSERT INTO incidents (title, severity, opened_at) VALUES ('t', 'warning', 'now')"
        )
        conn.execute(
            "INSERT INTO attachments (incident_id, attached_at, observed_at, command, target, "
            "status, key, markdown, plain, diagnosis_json) VALUES (1,'a','o','c','t','ok','k',"
            "'m','p','{}')"
        )
        conn.execute(
            "INSERT INTO deliveries (attachment_id, sink, state, attempts, updated_at) "
            "VALUES (1, 'webhook:http://127.0.0.1:9/h', 'unsent', 2, '2026-11-27T10:00:00Z')"
        )
    with Store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION >= 4  # every migration from 3 ran
        (delivery,) = store.unsent()
        assert delivery.attempts == 2 and delivery.state is DeliveryState.UNSENT
        store.mark(delivery, DeliveryState.MAY_HAVE_ARRIVED, 1, error="cut")
        assert store.unsent() == [] and len(store.unsent(force=True)) == 1
        assert store.may_have_arrived() == 1


# 3: a token in a sink URL is never stored in clear ---------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example/in?token=tok_live_Zq9x",
        "https://hooks.example/in?a=1&api_key=Zq9xKt",
        "https://hooks.slack.com/services/T0000/B0000/Zq9xKtP2",
    ],
)
def test_3_a_token_written_into_a_webhook_url_is_refused_before_the_run(
    url: str, capsys: pytest.CaptureFixture[str], _own_log: Path
) -> None:
    code, out, err = _main(
        ["build", str(BUILD_LOG), "--now", NOW, "--attach", f"webhook:{url}"], capsys
    )
    assert code == 3 and not out
    assert "Zq9x" not in err and "${NAME}" in err, err
    assert not _own_log.exists() or b"hooks" not in _own_log.read_bytes()


@pytest.mark.lab
def test_3_a_token_from_the_environment_is_sent_but_never_stored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, _own_log: Path
) -> None:
    from tests.support.incident_api import json_reply, serve

    token = "tok_Zq9_x<K&t*m_P2"
    monkeypatch.setenv("HOOK_TOKEN", token)
    with serve(lambda seen: json_reply(200, {})) as api:
        target = f"webhook:{api.url}/in?token=${{HOOK_TOKEN}}"
        code, _out, err = _main(["build", str(BUILD_LOG), "--now", NOW, "--attach", target], capsys)
        assert "attached to" in err, err
        assert unquote(api.seen[0].path) == f"/in?token={token}"
        _code, listed, _ = _main(["incident", "list", "--format", "json"], capsys)
        _code, shown, _ = _main(["incident", "show", target, "--format", "json"], capsys)
    stored = b"".join(
        p.read_bytes() for p in _own_log.parent.glob(_own_log.name + "*") if p.is_file()
    )
    assert token.encode() not in stored and b"${HOOK_TOKEN}" in stored
    assert token not in listed + shown + err
    assert _states(_own_log) == ["sent"]
