"""An incident's life: notes, close, reopen, list by status, the postmortem, early --attach checks."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from diagnose.incidents.report import _wrap
from diagnose.incidents.timeline import ago, span_text
from tests.support.incident_api import run


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """A private incident log."""
    return {"DIAGNOSE_INCIDENT_DB": str(tmp_path / "log" / "incidents.db"), "COLUMNS": "200"}


def test_span_and_ago_read_as_people_say_them() -> None:
    now = datetime(2026, 11, 27, 2, 51, 4, tzinfo=UTC)
    assert ago(datetime(2026, 11, 27, 2, 10, 4, tzinfo=UTC), now) == "41 min ago"
    assert ago(now, now) == "just now"
    assert ago(datetime(2026, 11, 27, 2, 50, 20, tzinfo=UTC), now) == "44 s ago"
    assert ago(datetime(2026, 11, 27, 3, 0, 4, tzinfo=UTC), now) == "in 9 min"
    assert span_text(2 * 3600 + 5 * 60) == "2 h 5 min"
    assert span_text(3600) == "1 h"
    assert span_text(3 * 86400 + 4 * 3600 + 59) == "3 d 4 h"


def test_wrapping_never_splits_a_number_from_its_unit() -> None:
    text = "smoke.health (critical): first seen 2026-12-01 12:00:04 UTC, 43 min ago; still there"
    for width in range(40, 90):
        lines = _wrap(text, width, "  ", "      ")
        assert not any(line.rstrip().endswith((" 43", " min")) for line in lines), (width, lines)
        assert " ".join(line.strip() for line in lines) == text


@pytest.mark.lab
def test_note_close_reopen_and_list_by_status(env: dict[str, str]) -> None:
    assert (
        run(["incident", "open", "Checkout returns 522", "--severity", "critical"], env).code == 0
    )
    assert run(["incident", "open", "Webhooks rejected"], env).code == 0
    noted = run(["incident", "note", "INC-1", "re-adding the custom domain in Pages"], env)
    assert noted.code == 0 and "noted on INC-1 at " in noted.stderr
    assert run(["incident", "note", "INC-1", "  "], env).code == 3
    assert run(["incident", "note", "INC-9", "x"], env).code == 3
    closed = run(["incident", "close", "INC-1", "--note", "custom domain re-added"], env)
    assert closed.code == 0, closed.stderr

    def ids(status: str) -> list[str]:
        done = run(["incident", "list", "--status", status, "--format", "json"], env)
        assert done.code == 0, done.stderr
        return [i["id"] for i in json.loads(done.stdout)]

    assert ids("open") == ["INC-2"] and ids("closed") == ["INC-1"]
    assert ids("all") == ["INC-2", "INC-1"]
    empty = run(["incident", "list", "--status", "closed"], {**env, "DIAGNOSE_INCIDENT_DB":
                env["DIAGNOSE_INCIDENT_DB"] + ".other"})  # fmt: skip
    assert empty.stdout.startswith("no closed incidents")
    assert run(["incident", "list", "--status", "gone"], env).code == 3

    again = run(["incident", "close", "INC-1"], env)
    assert again.code == 3 and "'diagnose incident reopen INC-1'" in again.stderr
    assert run(["incident", "reopen", "INC-2"], env).code == 3  # open: nothing to reopen
    reopened = run(["incident", "reopen", "INC-1", "--note", "522s are back"], env)
    assert reopened.code == 0 and "reopened INC-1" in reopened.stderr
    assert ids("open") == ["INC-2", "INC-1"]

    shown = json.loads(run(["incident", "show", "INC-1", "--format", "json"], env).stdout)
    assert shown["incident"]["status"] == "open" and shown["incident"]["closed_at"] is None
    assert [(e["kind"], e["text"]) for e in shown["events"]] == [
        ("note", "re-adding the custom domain in Pages"),
        ("closed", "custom domain re-added"),
        ("reopened", "522s are back"),
    ]
    text = run(["incident", "show", "INC-1"], env).stdout
    order = [text.index(w) for w in ("  opened", "note: re-adding", "closed: custom", "reopened:")]
    assert order == sorted(order), text
    assert "Timeline (UTC), 0 diagnoses, 1 note:" in text


@pytest.mark.lab
def test_attaching_to_a_closed_incident_warns_and_keeps_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    run(["incident", "open", "Health check failing"], env)
    run(["incident", "close", "INC-1"], env)
    saved = tmp_path / "d.json"
    made = run(["demo", "health-failing", "--format", "json", "--output", str(saved)], env)
    assert made.code == 2, made.stderr
    attached = run(["incident", "attach", "INC-1", str(saved)], env)
    assert attached.code == 0, attached.stderr
    warning = [line for line in attached.stderr.splitlines() if "warning" in line]
    assert (
        warning == [warning[0]]
        and "INC-1 was closed at " in warning[0]
        and "'diagnose incident reopen INC-1'" in warning[0]
    )
    assert "attached to INC-1 (attachment 1" in attached.stderr
    open_one = run(["incident", "open", "Another"], env)
    assert open_one.code == 0
    quiet = run(["incident", "attach", "INC-2", str(saved)], env)
    assert "warning" not in quiet.stderr


@pytest.mark.lab
def test_postmortem_has_the_timeline_what_changed_and_each_diagnosis(
    env: dict[str, str], tmp_path: Path
) -> None:
    from diagnose.lab.http_app import serve

    run(["incident", "open", "Checkout returns 522", "--severity", "critical"], env)
    with serve("cf-522") as app:
        site = ["smoke", "--url", app.url, "--convex-url", app.url, "--attach", "INC-1"]
        assert run([*site, "--now", "2026-11-27T10:02:04Z"], env).code == 2
        app.state.scenario = "healthy"
        assert run([*site, "--now", "2026-11-27T10:41:10Z"], env).code == 0
    run(["incident", "note", "INC-1", "custom domain re-added in Pages | DNS unchanged"], env)
    run(["incident", "close", "INC-1", "--note", "custom domain re-added"], env)
    done = run(["incident", "show", "INC-1", "--format", "markdown"], env)
    assert done.code == 0, done.stderr
    md = done.stdout
    sections = [md.index(h) for h in ("# INC-1: Checkout returns 522", "## Timeline (UTC)",
                                      "## What changed", "## Diagnoses")]  # fmt: skip
    assert sections == sorted(sections)
    assert "| Status | closed |" in md and "| Resolution | custom domain re-added |" in md
    assert "| 2026-11-27 10:02:04 | #1 smoke " in md and "CRITICAL (http.cloudflare-522) |" in md
    assert "| 2026-11-27 10:41:10 | #2 smoke " in md
    # A pipe in a note must not split the table row.
    assert "note: custom domain re-added in Pages \\| DNS unchanged |" in md
    assert (
        "- http.cloudflare-522 (critical): first seen 2026-11-27 10:02:04 UTC; gone at 10:41:06"
        not in md
    )
    assert (
        "- http.cloudflare-522 (critical): first seen 2026-11-27 10:02:04 UTC; gone at "
        "2026-11-27 10:41:10" not in md
    )  # same day: the date is not repeated
    assert (
        "- http.cloudflare-522 (critical): first seen 2026-11-27 10:02:04 UTC; gone at "
        "10:41:10 after 39 min" in md
    )
    # Each attached report sits under the postmortem's headings, its code blocks untouched.
    assert "### 🔴 diagnose smoke" in md and "#### Re-run" in md
    assert "\n# to judge the same facts again later" in md
    # Relative times would go stale in a document: none in the postmortem.
    assert " ago" not in md.split("## Diagnoses")[0]


class _Counting(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def counting_site() -> Iterator[str]:
    """A site that counts the requests it gets."""
    _Counting.hits = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.lab
@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("INC-9", "unknown incident 'INC-9'"),
        ("webhook:ftp://hooks.example/x", "expected webhook:https://host/path"),
        ("github:acme", "expected github:OWNER/REPO#NUMBER"),
        ("slack:nobody", "slack:nobody"),
    ],
)
def test_attach_is_checked_before_any_probe_runs(
    env: dict[str, str], counting_site: str, target: str, says: str
) -> None:
    for args in (
        ["smoke", "--url", counting_site, "--convex-url", counting_site],
        ["latency", counting_site, "-n", "3"],
    ):
        done = run([*args, "--attach", target], env)
        assert done.code == 3, done.stderr
        assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr
        assert says in done.stderr
    assert _Counting.hits == 0  # no probe sent a request
    demo = run(["demo", "incident", "--attach", target], env)
    assert demo.code == 3 and not demo.stderr.startswith("lab:"), demo.stderr
    assert len(demo.stderr.splitlines()) == 1
