"""Attaching to GitHub, Slack, PagerDuty and webhooks, against local servers that check the requests."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import assert_clean_error
from tests.support.incident_api import (
    CANARIES,
    CANARY_STRINGS,
    Reply,
    Seen,
    facts_file,
    json_reply,
    run,
    serve,
)

pytestmark = pytest.mark.lab  # every test here starts a server or a process

TOKEN = "ghp_" + "T" * 36


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Facts of a real cf-522 lab run, seeded with canary secrets."""
    return facts_file(tmp_path_factory.mktemp("facts"), "cf-522", secrets=True)


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """A private incident log and the canary secrets in the environment."""
    return {"DIAGNOSE_INCIDENT_DB": str(tmp_path / "incidents.db"), **CANARIES}


class GitHub:
    """Enough of the issues comments API to check create, list (paginated) and update."""

    def __init__(self) -> None:
        # Page 1 holds someone else's comments, so that diagnose must follow the Link header.
        self.comments: list[dict[str, Any]] = [
            {"id": 100 + i, "body": f"human comment {i}"} for i in range(3)
        ]
        self.url = ""
        self.next_id = 900

    def __call__(self, seen: Seen) -> Reply:
        assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
        assert seen.headers["Accept"] == "application/vnd.github+json"
        assert seen.headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert seen.headers.get("User-Agent", "").startswith("diagnose/")
        path, _, query = seen.path.partition("?")
        if seen.method == "GET" and path == "/repos/acme/dashtray/issues/12/comments":
            page = int(re.search(r"page=(\d+)", query).group(1)) if "page=" in query else 1
            assert "per_page=100" in query
            items = self.comments[:2] if page == 1 else self.comments[2:]
            headers = {}
            if page == 1:
                nxt = f"{self.url}{path}?per_page=100&page=2"
                headers["Link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
            return json_reply(200, items, headers)
        assert seen.headers["Content-Type"] == "application/json"
        body = seen.json()
        assert set(body) == {"body"} and isinstance(body["body"], str)
        if seen.method == "POST" and path == "/repos/acme/dashtray/issues/12/comments":
            self.next_id += 1
            comment = {"id": self.next_id, "body": body["body"]}
            self.comments.append(comment)
            return json_reply(201, comment)
        match = re.fullmatch(r"/repos/acme/dashtray/issues/comments/(\d+)", path)
        if seen.method == "PATCH" and match:
            comment = next(c for c in self.comments if c["id"] == int(match.group(1)))
            comment["body"] = body["body"]
            return json_reply(200, comment)
        return json_reply(404, {"message": "Not Found"})


def _show(env: dict[str, str], ref: str) -> dict[str, Any]:
    done = run(["incident", "show", ref, "--format", "json"], env)
    assert done.code == 0, done.stderr
    return json.loads(done.stdout)


def _db_bytes(env: dict[str, str]) -> bytes:
    db = Path(env["DIAGNOSE_INCIDENT_DB"])
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_github_comment_created_then_updated_and_no_secret_leaves(
    facts: Path, env: dict[str, str]
) -> None:
    github = GitHub()
    with serve(github) as api:
        github.url = api.url
        env = {**env, "GITHUB_TOKEN": TOKEN, "DIAGNOSE_GITHUB_API": api.url}
        first = run(["replay", str(facts), "--attach", "github:acme/dashtray#12"], env)
        second = run(
            ["replay", str(facts), "--attach", "github:acme/dashtray#12", "--format", "json"], env
        )
    assert first.code == 2, first.stderr  # the diagnosis' own exit code: critical
    assert second.code == 2
    assert json.loads(second.stdout)["findings"][0]["id"] == "http.cloudflare-522"
    assert "attached to github:acme/dashtray#12 (id 901)" in first.stderr
    methods = [(s.method, s.path.partition("?")[0]) for s in api.seen]
    assert methods.count(("POST", "/repos/acme/dashtray/issues/12/comments")) == 1
    assert ("PATCH", "/repos/acme/dashtray/issues/comments/901") in methods
    ours = [c for c in github.comments if "<!-- diagnose:attachment:" in c["body"]]
    assert len(ours) == 1, "attaching again must update, not duplicate"
    body = ours[0]["body"]
    assert "http.cloudflare-522" in body and "### Re-run" in body and "diagnose replay" in body
    assert '"facts"' in body and "```json" in body
    assert "[REDACTED]" in body
    sent = api.raw().decode()
    stored = _db_bytes(env)
    for canary in CANARY_STRINGS:
        assert canary not in sent, canary
        assert canary.encode() not in stored, canary
    assert TOKEN not in "".join(s.body.decode() for s in api.seen)
    shown = _show(env, "github:acme/dashtray#12")
    states = [d["state"] for a in shown["attachments"] for d in a["deliveries"]]
    assert states == ["sent", "sent"]


def test_slack_from_config_and_env(facts: Path, env: dict[str, str], tmp_path: Path) -> None:
    def slack(seen: Seen) -> Reply:
        assert seen.method == "POST" and seen.path == "/services/T000/B000/XXXXSECRET"
        assert seen.headers["Content-Type"] == "application/json"
        body = seen.json()
        assert body["text"].startswith("diagnose smoke")
        assert [b["type"] for b in body["blocks"]] == ["section", "section", "context"]
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in body["blocks"])
        return 200, {"Content-Type": "text/plain"}, b"ok"

    with serve(slack) as api:
        hook = f"{api.url}/services/T000/B000/XXXXSECRET"
        config = tmp_path / "diagnose.toml"
        config.write_text(f'[incident]\nsinks = {{ ops = "{hook}" }}\n')
        by_config = run(["replay", str(facts), "--attach", "slack:ops"], env, cwd=tmp_path)
        by_env = run(
            ["replay", str(facts), "--attach", "slack:war-room"],
            {**env, "SLACK_WEBHOOK_URL_WAR_ROOM": hook},
        )
        unknown = run(["replay", str(facts), "--attach", "slack:nobody"], env)
    assert by_config.code == 2 and "attached to slack:ops" in by_config.stderr
    assert by_env.code == 2 and "attached to slack:war-room" in by_env.stderr
    assert len(api.seen) == 2
    assert "```" in api.seen[0].json()["blocks"][1]["text"]["text"]
    assert unknown.code == 3
    assert "slack:nobody: no incoming webhook URL" in unknown.stderr
    assert "SLACK_WEBHOOK_URL_NOBODY" in unknown.stderr


def test_pagerduty_note(facts: Path, env: dict[str, str]) -> None:
    def pagerduty(seen: Seen) -> Reply:
        assert seen.method == "POST" and seen.path == "/incidents/PT4KHLK/notes"
        assert seen.headers["Authorization"] == "Token token=pd-canary-token-123"
        assert seen.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
        assert seen.headers["From"] == "oncall@dashtray.com"
        assert seen.headers["Content-Type"] == "application/json"
        note = seen.json()["note"]
        assert set(note) == {"content"} and "http.cloudflare-522" in note["content"]
        return json_reply(201, {"note": {"id": "PWL7QXS", "content": note["content"]}})

    with serve(pagerduty) as api:
        env = {
            **env,
            "DIAGNOSE_PAGERDUTY_API": api.url,
            "PAGERDUTY_TOKEN": "pd-canary-token-123",
            "PAGERDUTY_FROM": "oncall@dashtray.com",
        }
        done = run(["replay", str(facts), "--attach", "pagerduty:PT4KHLK"], env)
    assert done.code == 2, done.stderr
    assert "attached to pagerduty:PT4KHLK (id PWL7QXS)" in done.stderr
    assert len(api.seen) == 1
    for canary in CANARY_STRINGS:
        assert canary not in api.raw().decode()


def test_webhook_json_and_retry_after(facts: Path, env: dict[str, str]) -> None:
    api_url_placeholder = "http://api.invalid"
    replies = [json_reply(429, {"error": "slow down"}, {"Retry-After": "1"}),
               json_reply(503, {"error": "busy"}), (204, {}, b"")]  # fmt: skip

    def hook(seen: Seen) -> Reply:
        assert seen.method == "POST" and seen.path == "/hooks/diagnose?token=abc"
        assert seen.headers["Content-Type"] == "application/json"
        body = seen.json()
        assert body["schema"] == "diagnose/attachment@1"
        assert body["diagnosis"]["findings"][0]["id"] == "http.cloudflare-522"
        assert "smoke.homepage.status" in body["diagnosis"]["facts"]
        assert body["markdown"].startswith("## ")
        return replies.pop(0)

    env = {**env, "HOOK_TOKEN": "abc"}  # the token comes from the environment, never the log
    target = f"webhook:{api_url_placeholder}/hooks/diagnose?token=${{HOOK_TOKEN}}"
    with serve(hook) as api:
        target = target.replace(api_url_placeholder, api.url)
        started = time.monotonic()
        done = run(["replay", str(facts), "--attach", target], env)
        elapsed = time.monotonic() - started
    assert done.code == 2, done.stderr
    assert "attached to webhook:" in done.stderr
    assert len(api.seen) == 3 and not replies
    assert elapsed >= 1.0, "Retry-After: 1 must be honoured"
    for canary in CANARY_STRINGS:
        assert canary not in api.raw().decode()
    deliveries = _show(env, target)["attachments"][0]
    assert deliveries["deliveries"][0]["attempts"] == 3


def test_failed_send_is_kept_unsent_then_retry_sends_it(facts: Path, env: dict[str, str]) -> None:
    state = {"up": False}

    def flaky(seen: Seen) -> Reply:
        if not state["up"]:
            # 503 refuses the request: known not to have arrived (a 502 may have: its own test)
            return json_reply(503, {"error": "service unavailable"})
        return json_reply(200, {"ok": True})

    with serve(flaky) as api:
        target = f"webhook:{api.url}/in"
        failed = run(["replay", str(facts), "--attach", target, "--format", "json"], env)
        assert failed.code == 2, "a failed attach must not change the diagnosis' exit code"
        assert json.loads(failed.stdout)["status"] == "critical"
        lines = [line for line in failed.stderr.splitlines() if "unsent" in line]
        assert len(lines) == 1, failed.stderr
        assert "HTTP 503" in lines[0] and "after 4 attempts" in lines[0]
        assert "diagnose incident retry" in lines[0]
        assert len(api.seen) == 4
        listed = json.loads(run(["incident", "list", "--format", "json"], env).stdout)
        assert listed[0]["unsent"] == 1 and listed[0]["external"] == target
        still = run(["incident", "retry"], env)
        assert still.code == 1 and "1 still unsent" in still.stderr
        state["up"] = True
        retried = run(["incident", "retry"], env)
        assert retried.code == 0, retried.stderr
        assert "1 sent, 0 still unsent" in retried.stderr
        again = run(["incident", "retry"], env)
        assert "nothing unsent" in again.stderr
    assert api.seen[-1].json()["diagnosis"]["status"] == "critical"
    delivery = _show(env, target)["attachments"][0]["deliveries"][0]
    assert delivery["state"] == "sent" and delivery["attempts"] == 9


def test_client_errors_are_not_retried_and_missing_token_is_unsent(
    facts: Path, env: dict[str, str]
) -> None:
    with serve(lambda seen: json_reply(401, {"message": "Bad credentials"})) as api:
        env = {**env, "GITHUB_TOKEN": TOKEN, "DIAGNOSE_GITHUB_API": api.url}
        done = run(["replay", str(facts), "--attach", "github:acme/dashtray#12"], env)
    assert done.code == 2
    assert len(api.seen) == 1
    assert "HTTP 401" in done.stderr and "kept in the incident log as unsent" in done.stderr
    assert TOKEN not in done.stderr
    no_token = run(
        ["replay", str(facts), "--attach", "github:acme/dashtray#13"],
        {k: v for k, v in env.items() if k != "GITHUB_TOKEN"},
    )
    assert no_token.code == 2
    assert "GITHUB_TOKEN is not set" in no_token.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("github:acme", "expected github:OWNER/REPO#NUMBER"),
        ("github:acme/dashtray#0", "expected github:OWNER/REPO#NUMBER"),
        ("pagerduty:not an id", "expected pagerduty:INCIDENT_ID"),
        ("webhook:ftp://x", "expected webhook:https://host/path"),
        ("jira:OPS-1", "unknown sink 'jira'"),
        ("INC-42", "unknown incident 'INC-42'"),
    ],
)
def test_bad_targets_are_one_line_and_exit_3(
    facts: Path, env: dict[str, str], target: str, message: str
) -> None:
    done = run(["replay", str(facts), "--attach", target], env)
    assert_clean_error(done)
    assert message in done.stderr
