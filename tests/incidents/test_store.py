"""The local incident log: commands, migrations, the timeline, and parallel writers."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from diagnose.config import Config
from diagnose.incidents import store as store_module
from diagnose.incidents.store import MIGRATIONS, SCHEMA_VERSION, Store
from diagnose.incidents.timeline import Snapshot, changes
from tests.support.incident_api import facts_file, run


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """A private incident log."""
    return {"DIAGNOSE_INCIDENT_DB": str(tmp_path / "log" / "incidents.db")}


def _show(env: dict[str, str], ref: str) -> dict[str, Any]:
    done = run(["incident", "show", ref, "--format", "json"], env)
    assert done.code == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.lab
def test_open_attach_show_close(env: dict[str, str]) -> None:
    opened = run(["incident", "open", "Checkout is down", "--severity", "critical"], env)
    assert opened.code == 0, opened.stderr
    assert opened.stdout == "INC-1\n"
    # The same check of the same site, before and after the fix (the lab app changes its play).
    from diagnose.lab.http_app import serve

    with serve("cf-522") as app:
        site = ["smoke", "--url", app.url, "--convex-url", app.url]
        broken = run([*site, "--attach", "INC-1", "--now", "2026-11-27T10:02:00Z"], env)
        assert broken.code == 2, broken.stderr
        assert "attached to INC-1 (attachment 1" in broken.stderr
        app.state.scenario = "healthy"
        healthy = run(
            [*site, "--attach", "1", "--now", "2026-11-27T10:41:00Z", "--format", "json"], env
        )
    assert healthy.code == 0, healthy.stderr
    assert json.loads(healthy.stdout)["status"] == "ok"

    shown = _show(env, "INC-1")
    assert [a["status"] for a in shown["attachments"]] == ["critical", "ok"]
    assert shown["attachments"][0]["findings"][0] == "http.cloudflare-522"
    assert (
        "http.cloudflare-522 (critical): first seen 2026-11-27 10:02:00 UTC; gone at 10:41:00 "
        "after 39 min" in shown["changes"]
    )
    at = "2026-11-27T10:43:04Z"
    text = run(["incident", "show", "INC-1", "--now", at], {**env, "COLUMNS": "200"})
    assert "Timeline (UTC), 2 diagnoses:" in text.stdout
    # Date, seconds and how long ago, on every line of the timeline and in what changed.
    assert "  2026-11-27 10:02:00 (41 min ago)  #1 smoke " in text.stdout
    assert "  2026-11-27 10:41:00 (2 min ago)  #2 smoke " in text.stdout
    assert (
        "http.cloudflare-522 (critical): first seen 2026-11-27 10:02:00 UTC, 41 min ago; gone at "
        "10:41:00 after 39 min" in text.stdout
    )
    markdown = run(["incident", "show", "INC-1", "--format", "markdown"], env).stdout
    assert markdown.startswith("# INC-1: Checkout is down") and "#### Re-run" in markdown

    closed = run(["incident", "close", "INC-1", "--note", "custom domain re-added"], env)
    assert closed.code == 0, closed.stderr
    listed = json.loads(run(["incident", "list", "--format", "json"], env).stdout)
    assert listed[0]["status"] == "closed" and listed[0]["close_note"] == "custom domain re-added"
    assert listed[0]["attached"] == 2
    again = run(["incident", "close", "INC-1"], env)
    assert again.code == 3 and "INC-1 is already closed" in again.stderr


@pytest.mark.lab
def test_attach_saved_file_and_bad_files(env: dict[str, str], tmp_path: Path) -> None:
    run(["incident", "open", "Payments"], env)
    saved = tmp_path / "d.json"
    made = run(["demo", "health-failing", "--format", "json", "--output", str(saved)], env)
    assert made.code == 2, made.stderr
    attached = run(["incident", "attach", "INC-1", str(saved)], env)
    assert attached.code == 0, attached.stderr
    piped = run(["incident", "attach", "INC-1", "-"], env, stdin=saved.read_text())
    assert piped.code == 0, piped.stderr
    assert len(_show(env, "INC-1")["attachments"]) == 2

    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "diagnose/diagnosis@1",\n "command": }')
    for path, message in [
        (bad, f"{bad}:2: not valid JSON"),
        (tmp_path / "missing.json", "no such file"),
    ]:
        done = run(["incident", "attach", "INC-1", str(path)], env)
        assert done.code == 3 and message in done.stderr, done.stderr
    facts = facts_file(tmp_path, "healthy")
    done = run(["incident", "attach", "INC-1", str(facts)], env)
    assert done.code == 3 and "not a diagnosis" in done.stderr
    done = run(["incident", "attach", "INC-7", str(saved)], env)
    assert done.code == 3 and "unknown incident 'INC-7'" in done.stderr


@pytest.mark.lab
def test_unknown_ids_and_empty_log(env: dict[str, str]) -> None:
    listed = run(["incident", "list"], env)
    assert listed.code == 0 and "no incidents yet" in listed.stdout
    for args in (["show", "INC-3"], ["close", "3"], ["retry", "INC-3"]):
        done = run(["incident", *args], env)
        assert done.code == 3 and "unknown incident" in done.stderr, args
    assert run(["incident", "open", " "], env).code == 3
    assert run(["incident", "open", "x", "--severity", "sev9"], env).code == 3


@pytest.mark.lab
def test_db_path_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIAGNOSE_INCIDENT_DB")  # the config's db is used when the env names none
    (tmp_path / "diagnose.toml").write_text('[incident]\ndb = "state/inc.sqlite3"\n')
    done = run(["incident", "open", "From config"], {}, cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert (tmp_path / "state" / "inc.sqlite3").exists()
    config = Config(tmp_path / "diagnose.toml", {"incident": {"db": "state/inc.sqlite3"}})
    assert store_module.default_path(config) == tmp_path / "state" / "inc.sqlite3"


def test_default_path_is_the_user_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_data_dir

    monkeypatch.delenv("DIAGNOSE_INCIDENT_DB", raising=False)
    assert (
        store_module.default_path(Config()) == Path(user_data_dir("diagnose")) / "incidents.sqlite3"
    )


def test_migrations_are_versioned_and_incremental(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    # A log written by a version that knew only the first migration.
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    db.execute(
        "INSERT INTO incidents (title, severity, opened_at) VALUES ('old one', 'info', '2026-01-01')"
    )
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.get("INC-1").title == "old one"
        assert store.unsent() == []  # the deliveries table exists now
        mode = store._db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


@pytest.mark.lab
def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    done = run(["incident", "list"], {"DIAGNOSE_INCIDENT_DB": str(path)})
    assert done.code == 3
    assert "written by a newer diagnose" in done.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    done = run(["incident", "list"], {"DIAGNOSE_INCIDENT_DB": str(junk)})
    assert done.code == 3 and f"incident log {junk}" in done.stderr


def _at(hhmm: str) -> str:
    return f"2026-11-27T{hhmm}:00Z"


def _snap(hhmm: str, present: dict[str, str], quiet: list[str]) -> Snapshot:
    doc = {"findings": [{"id": k, "severity": v} for k, v in present.items()], "quiet": quiet}
    return Snapshot.from_json(_at(hhmm), doc)


def test_timeline_only_a_judged_quiet_rule_is_gone() -> None:
    snaps = [
        _snap("10:02", {"tls.cert-expired": "critical"}, ["dns.nxdomain"]),
        # A webhooks diagnosis does not judge TLS rules: the cert is not "gone" at 10:20.
        _snap("10:20", {"webhook.secret-mismatch": "critical"}, []),
        _snap("10:41", {}, ["tls.cert-expired"]),
        _snap("11:05", {"tls.cert-expired": "critical"}, []),
        _snap("11:30", {}, ["webhook.secret-mismatch"]),
    ]
    assert changes(snaps) == [
        "tls.cert-expired (critical): first seen 2026-11-27 10:02:00 UTC; gone at 10:41:00 after "
        "39 min; back at 11:05:00; still there at 11:30:00",
        "webhook.secret-mismatch (critical): first seen 2026-11-27 10:20:00 UTC; gone at 11:30:00 "
        "after 1 h 10 min",
    ]
    later = datetime(2026, 11, 27, 12, 0, 4, tzinfo=UTC)
    assert changes(snaps, later)[1].startswith(
        "webhook.secret-mismatch (critical): first seen 2026-11-27 10:20:00 UTC, 1 h 40 min ago;"
    )
    other_day = Snapshot.from_json("2026-11-28T09:00:00Z", {"findings": [], "quiet": []})
    assert changes([snaps[0], other_day])[0] == (
        "tls.cert-expired (critical): first seen 2026-11-27 10:02:00 UTC; still there at "
        "2026-11-28 09:00:00"
    )
    explained = Snapshot.from_json(
        _at("10:00"),
        {"findings": [{"id": "dns.nxdomain", "severity": "critical",
                       "explains": [{"id": "smoke.homepage", "severity": "critical"}]}]},
    )  # fmt: skip
    assert changes([explained]) == [
        "dns.nxdomain (critical): first seen 2026-11-27 10:00:00 UTC",
        "smoke.homepage (critical, explained by dns.nxdomain): first seen 2026-11-27 10:00:00 UTC",
    ]


def _attach_many(args: tuple[str, str, int, Any]) -> int:
    """In a child process: wait for the others, then attach `count` times as fast as possible."""
    db, diagnosis_file, count, barrier = args
    import os

    os.environ["DIAGNOSE_INCIDENT_DB"] = db
    from diagnose.commands.incident import run_attach

    barrier.wait(timeout=30)
    done = 0
    for _ in range(count):
        done += run_attach("INC-1", diagnosis_file, None) == 0
    return done


@pytest.mark.lab
def test_parallel_writers_never_corrupt_the_log(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    env = {"DIAGNOSE_INCIDENT_DB": str(db)}
    saved = tmp_path / "d.json"
    assert run(["demo", "cf-524", "--format", "json", "--output", str(saved)], env).code == 2
    ctx = multiprocessing.get_context("spawn")
    workers, each = 4, 5
    barrier = ctx.Manager().Barrier(workers)
    opener = run(["incident", "open", "Race", "--severity", "critical"], env)
    assert opener.stdout == "INC-1\n"
    with ctx.Pool(workers) as pool:
        results = pool.map(_attach_many, [(str(db), str(saved), each, barrier)] * workers)
    assert results == [each] * workers
    # And plain CLI processes started together, as two engineers would.
    procs = [run_async(["incident", "attach", "INC-1", str(saved)], env) for _ in range(3)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [r[0] for r in check.execute("SELECT id FROM attachments ORDER BY id")]
    total = workers * each + 3
    assert ids == list(range(1, total + 1))
    shown = _show(env, "INC-1")
    assert len(shown["attachments"]) == total
    assert all(a["status"] == "critical" for a in shown["attachments"])


@pytest.mark.lab
def test_parallel_first_use_migrates_once(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    env = {"DIAGNOSE_INCIDENT_DB": str(db)}
    procs = [run_async(["incident", "open", f"Race {i}"], env) for i in range(4)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    with Store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert sorted(i.title for i, _, _ in store.incidents()) == [f"Race {i}" for i in range(4)]


def run_async(args: list[str], env: dict[str, str]) -> Any:
    """Start `python -m diagnose ARGS` without waiting."""
    import os
    import subprocess
    import sys

    full = {**os.environ, "NO_COLOR": "1", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "diagnose", *args],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.lab
def test_timestamps_are_utc_iso(env: dict[str, str]) -> None:
    run(["incident", "open", "Clock"], env)
    opened = json.loads(run(["incident", "list", "--format", "json"], env).stdout)[0]["opened_at"]
    parsed = datetime.fromisoformat(opened.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None and abs(datetime.now(UTC) - parsed).total_seconds() < 60


def test_check_target_refuses_early(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from diagnose.errors import BadInput
    from diagnose.incidents.attach import check_target

    monkeypatch.setenv("DIAGNOSE_INCIDENT_DB", env["DIAGNOSE_INCIDENT_DB"])
    with Store(Path(env["DIAGNOSE_INCIDENT_DB"])) as store:
        store.open_incident("Known", "info")
    check_target("INC-1", Config())
    check_target("github:acme/dashtray#3", Config())
    for bad in ("INC-2", "slack:nobody", "github:acme"):
        with pytest.raises(BadInput):
            check_target(bad, Config())


@pytest.mark.lab
def test_another_target_does_not_clear_a_finding(env: dict[str, str]) -> None:
    """Review: a check of another site (or log file) is not the fix of this one."""
    from diagnose.lab.http_app import serve

    run(["incident", "open", "Checkout is down"], env)
    with serve("cf-522") as broken_app, serve("healthy") as other_app:
        run(
            [
                "smoke",
                "--url",
                broken_app.url,
                "--attach",
                "INC-1",
                "--now",
                "2026-11-27T10:02:00Z",
            ],
            env,
        )
        run(
            ["smoke", "--url", other_app.url, "--attach", "INC-1", "--now", "2026-11-27T10:41:00Z"],
            env,
        )
    changes = _show(env, "INC-1")["changes"]
    assert (
        "http.cloudflare-522 (critical): first seen 2026-11-27 10:02:00 UTC; still there at "
        "10:41:00" in changes
    )
