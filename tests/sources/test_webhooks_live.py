"""`diagnose webhooks --since 1h` with no file: Convex logs through the real CLI, and DodoPayments.

The Convex CLI runs for real (npm `convex`, self-hosted mode) against the stand-in backend of
diagnose/lab/vendor_apis.py; the DodoPayments source against the stand-in API.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from diagnose.lab import convex_logs, vendor_apis
from tests.sources.conftest import NOW, convex_cli, minutes_ago
from tests.support.cli import Result, run_cli

pytestmark = pytest.mark.lab
SITE = "https://happy-otter-123.convex.site"


@dataclass
class Stack:
    """The stand-ins, and a config and env pointing diagnose at them."""

    convex: vendor_apis.ConvexBackendState
    dodo: vendor_apis.DodoState
    env: dict[str, str]
    config: Path
    cwd: Path

    def run(self, *args: str, timeout: str = "30") -> Result:
        return run_cli(
            "webhooks",
            "--since",
            "1h",
            "--now",
            NOW.isoformat(),
            "--timeout",
            timeout,
            "--config",
            str(self.config),
            "--format",
            "json",
            *args,
            env=self.env,
            cwd=self.cwd,
            timeout=90,
        )


@pytest.fixture
def stack(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[Stack]:
    convex = vendor_apis.ConvexBackendState(
        entries=[
            convex_logs.completion(e)
            for e in convex_logs.scenario_executions("signature-failures", NOW, minutes=90)
        ]
    )
    dodo = vendor_apis.DodoState(
        endpoints=[vendor_apis.dodo_endpoint(f"{SITE}/webhooks/dodo")],
        events=[
            vendor_apis.dodo_event(minutes_ago(m), f"msg_2xYz{m:04d}", 401) for m in range(1, 15)
        ],
    )
    with ExitStack() as stack_:
        curl = stack_.enter_context(vendor_apis.convex_backend(convex))
        durl = stack_.enter_context(vendor_apis.dodo_api(dodo))
        config = tmp_path / "diagnose.toml"
        config.write_text(
            f'[sources]\ndodo_base_url = "{durl}"\n[service]\nconvex_url = "{SITE}"\n'
        )
        env = {
            **clean_env,
            "CONVEX_SELF_HOSTED_URL": curl,
            "CONVEX_SELF_HOSTED_ADMIN_KEY": convex.admin_key,
            "DODO_PAYMENTS_API_KEY": dodo.api_key,
        }
        yield Stack(convex, dodo, env, config, tmp_path)


def _with_cli(stack: Stack) -> None:
    cli = convex_cli()
    stack.config.write_text(
        stack.config.read_text().replace("[sources]\n", f'[sources]\nconvex_cli = "{cli}"\n')
    )


def _ids(doc: dict[str, Any]) -> list[str]:
    return [f["id"] for f in doc["findings"]]


def test_no_file_reads_convex_through_its_cli_and_joins_dodo(stack: Stack) -> None:
    _with_cli(stack)
    result = stack.run()
    doc = result.json()
    assert "webhook.signature-failures" in _ids(doc), result.stdout[:2000]
    assert "webhook.dodo-rejected" in _ids(doc)
    rejected = next(f for f in doc["findings"] if f["id"] == "webhook.dodo-rejected")
    assert "401 for 14 events" in rejected["message"]
    assert "signature failures 29" in rejected["message"]
    record = doc["facts"]["source.convex.logs"]
    assert record["status"] == "ok" and record["count"] > 100
    assert stack.convex.requests[0] == "/api/stream_function_logs?cursor=0"
    # The keys went to their own hosts only, and never into the report.
    assert all(auth == f"Bearer {stack.dodo.api_key}" for _, auth in stack.dodo.requests)
    for secret in (stack.convex.admin_key, stack.dodo.api_key):
        assert secret not in result.stdout + result.stderr


def test_a_log_file_on_the_command_line_wins_over_the_cli(stack: Stack, tmp_path: Path) -> None:
    log = tmp_path / "convex.jsonl"
    convex_logs.write_scenario(log, "healthy", NOW)
    result = stack.run("--log", str(log))
    doc = result.json()
    assert stack.convex.requests == []  # the CLI never ran
    assert "webhook.signature-failures" not in _ids(doc)
    assert "source.convex.logs" not in doc["facts"]


def test_a_refused_admin_key_is_evidence_with_its_fix_not_a_crash(stack: Stack) -> None:
    _with_cli(stack)
    stack.env["CONVEX_SELF_HOSTED_ADMIN_KEY"] = "wrong-key-0000"
    result = stack.run()
    doc = result.json()
    probe = next(p for p in doc["probes"] if p["name"] == "sources")
    assert probe["status"] == "error"
    assert "401" in probe["error"] and "CONVEX_SELF_HOSTED_ADMIN_KEY" in probe["error"]
    assert "wrong-key-0000" not in result.stdout + result.stderr
    # DodoPayments still answered: its rules judged, the Convex-only ones not run.
    assert "webhook.dodo-rejected" in _ids(doc)
    assert "Traceback" not in result.stderr


def test_a_missing_cli_is_evidence_with_the_install_command(stack: Stack, tmp_path: Path) -> None:
    stack.config.write_text(
        stack.config.read_text().replace(
            "[sources]\n", f'[sources]\nconvex_project = "{tmp_path}"\n'
        )
    )
    stack.env["PATH"] = "/nonexistent"
    result = stack.run()
    doc = result.json()
    probe = next(p for p in doc["probes"] if p["name"] == "sources")
    assert probe["status"] == "error" and "npm install convex" in probe["error"]


def test_offline_asks_no_source(stack: Stack) -> None:
    result = stack.run("--offline", "--format", "text")
    assert result.code == 3
    assert "nothing to read" in result.stderr
    assert stack.convex.requests == [] and stack.dodo.requests == []


@pytest.mark.parametrize(
    ("fail", "kind", "fix"),
    [
        (401, "401", "DODO_PAYMENTS_API_KEY"),
        (403, "403", "API key of the business"),
        (429, "retry after 30", "wait for the rate limit"),
    ],
)
def test_dodo_failures_are_evidence_with_their_fix(
    stack: Stack, fail: int, kind: str, fix: str
) -> None:
    stack.dodo.fail = fail
    stack.env.pop("CONVEX_SELF_HOSTED_URL")
    result = stack.run()
    doc = result.json()
    probe = next(p for p in doc["probes"] if p["name"] == "webhook_sender")
    assert probe["status"] == "error"
    assert kind in probe["error"] and fix in probe["error"]
    assert any(i["id"] == "webhook.dodo-rejected" for i in doc["inconclusive"])
    assert result.code == 3  # nothing was checked: unknown, never ok


def test_a_dodo_api_that_never_answers_is_bounded_by_the_deadline(stack: Stack) -> None:
    stack.dodo.hang = True
    stack.env.pop("CONVEX_SELF_HOSTED_URL")
    result = stack.run(timeout="3")
    doc = result.json()
    probe = next(p for p in doc["probes"] if p["name"] == "webhook_sender")
    assert probe["status"] in ("error", "timeout")
    assert probe["duration_ms"] < 4500


def test_disabled_and_misdirected_endpoints_fire_their_rules(stack: Stack) -> None:
    stack.env.pop("CONVEX_SELF_HOSTED_URL")
    stack.dodo.events = [vendor_apis.dodo_event(minutes_ago(5), "msg_ok000001", 200)]
    stack.dodo.endpoints = [vendor_apis.dodo_endpoint(f"{SITE}/webhooks/dodo", disabled=True)]
    assert "webhook.dodo-endpoint-disabled" in _ids(stack.run().json())
    stack.dodo.endpoints = [
        vendor_apis.dodo_endpoint("https://dapper-lynx-456.convex.site/webhooks/dodo")
    ]
    doc = stack.run().json()
    assert "webhook.dodo-endpoint-url" in _ids(doc)
    url = next(f for f in doc["findings"] if f["id"] == "webhook.dodo-endpoint-url")
    assert any("PATCH" in c and "/webhooks/wh_01" in c for c in url["commands"])


def test_pages_are_followed_and_a_healthy_account_is_quiet(stack: Stack) -> None:
    stack.env.pop("CONVEX_SELF_HOSTED_URL")
    stack.dodo.events = [
        vendor_apis.dodo_event(minutes_ago(m / 4), f"msg_ok{m:06d}", 200) for m in range(1, 230)
    ]
    doc = stack.run().json()
    assert doc["facts"]["webhook.sender.events"] == 229  # three pages of 100
    assert not [i for i in _ids(doc) if i.startswith("webhook.dodo-")]
    pages = [p for p, _ in stack.dodo.requests if p.startswith("/webhook_events")]
    assert len(pages) == 3


def test_saved_facts_keep_what_the_sources_fetched_and_replay_offline(
    stack: Stack, tmp_path: Path
) -> None:
    stack.env.pop("CONVEX_SELF_HOSTED_URL")
    facts = tmp_path / "facts.json"
    stack.run("--save-facts", str(facts))
    before = len(stack.dodo.requests)
    saved = facts.read_text()
    assert "webhook.sender.fetched" in saved and stack.dodo.api_key not in saved
    replayed = run_cli("replay", str(facts), "--format", "json", env=stack.env).json()
    assert "webhook.dodo-rejected" in _ids(replayed)
    assert len(stack.dodo.requests) == before  # a replay asks nobody


def test_a_backend_that_does_not_answer_is_bounded_and_judges_nothing(stack: Stack) -> None:
    _with_cli(stack)
    stack.convex.first_poll_delay_s = 60
    stack.env.pop("DODO_PAYMENTS_API_KEY")
    result = stack.run(timeout="12")
    doc = result.json()
    probe = next(p for p in doc["probes"] if p["name"] == "sources")
    assert probe["status"] == "error" and "printed no log entry" in probe["error"]
    # Our own limit is not evidence: no webhook rule judged an empty log.
    assert not [f for f in doc["findings"] if f["id"].startswith("webhook.")]
    assert result.code == 3
