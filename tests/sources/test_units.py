"""The sources' pure parts: reading an attempt's response, judging endpoints, the host guard."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from diagnose.sources.base import FailureKind, SourceFailure
from diagnose.sources.dodopayments import attempt_status, judge_endpoints, judge_events
from diagnose.sources.http import Api, url_for


@pytest.mark.parametrize(
    ("response", "status"),
    [
        ('{"status": 401}', 401),
        ('{"status_code": 502, "body": "Bad Gateway"}', 502),
        ("HTTP 404 Not Found", 404),
        ('{"error": "request timed out"}', "timeout"),
        ("", "timeout"),
        (None, "timeout"),
        ("ok", None),
    ],
)
def test_attempt_status_reads_the_documented_string_forms(response: object, status: object) -> None:
    assert attempt_status(response) == status


def _endpoint(url: str, disabled: bool = False, wid: str = "wh_1") -> dict[str, object]:
    return {"id": wid, "url": url, "disabled": disabled}


def test_an_endpoint_on_another_deployment_is_wrong() -> None:
    facts = judge_endpoints(
        [_endpoint("https://dapper-lynx-456.convex.site/webhooks/dodo")],
        "https://happy-otter-123.convex.site",
        None,
    )
    assert facts["wrong_url_count"] == 1
    assert facts["first_wrong_id"] == "wh_1"


def test_the_convex_cloud_host_is_wrong_even_without_a_configured_site() -> None:
    facts = judge_endpoints([_endpoint("https://happy-otter-123.convex.cloud/dodo")], None, None)
    assert facts["wrong_url_count"] == 1


def test_one_right_endpoint_beside_a_wrong_one_is_not_a_failure() -> None:
    facts = judge_endpoints(
        [
            _endpoint("https://happy-otter-123.convex.site/dodo", wid="a"),
            _endpoint("https://dapper-lynx-456.convex.site/dodo", wid="b"),
        ],
        "https://happy-otter-123.convex.site",
        None,
    )
    assert facts["wrong_url_count"] == 0


def test_a_disabled_spare_beside_a_live_endpoint_is_quiet_and_ours_disabled_is_not() -> None:
    spare = judge_endpoints(
        [_endpoint("https://a.example/h"), _endpoint("https://b.example/h", True, "wh_2")],
        None,
        None,
    )
    assert spare["disabled_ours"] == 0
    ours = judge_endpoints(
        [_endpoint("https://happy-otter-123.convex.site/dodo", True)],
        "https://happy-otter-123.convex.site",
        None,
    )
    assert (ours["disabled_ours"], ours["first_disabled_id"]) == (1, "wh_1")


def test_events_count_rejections_errors_and_timeouts_from_the_latest_attempt() -> None:
    events = [
        {
            "event_id": "e1",
            "latest_attempted_at": "2026-11-27T09:10:00Z",
            "response": '{"status": 401}',
        },
        {
            "event_id": "e2",
            "latest_attempted_at": "2026-11-27T09:05:00Z",
            "response": '{"status": 401}',
        },
        {
            "event_id": "e3",
            "latest_attempted_at": "2026-11-27T09:20:00Z",
            "response": '{"status": 503}',
        },
        {"event_id": "e4", "latest_attempted_at": "2026-11-27T09:30:00Z", "response": ""},
        {
            "event_id": "e5",
            "latest_attempted_at": "2026-11-27T09:40:00Z",
            "response": '{"status": 200}',
        },
    ]
    facts = judge_events(events)
    assert (facts["rejected"], facts["server_errors"], facts["timeouts"]) == (2, 1, 1)
    assert facts["first_failure_at"] == "2026-11-27T09:05:00Z"
    assert facts["status_summary"] == "401 for 2 events, 503 for 1 event, timeout for 1 event"


def test_a_url_on_another_host_is_refused_not_followed_with_the_token() -> None:
    api = Api(
        "dodopayments",
        "https://live.dodopayments.com",
        {"authorization": "Bearer x"},
        {},
        1000,
        time.monotonic() + 5,
    )
    assert url_for(api, "/webhooks") == "https://live.dodopayments.com/webhooks"
    with pytest.raises(SourceFailure) as info:
        url_for(api, "https://attacker.example/webhooks?page=2")
    assert info.value.kind is FailureKind.BAD_ANSWER
    assert "Bearer" not in str(info.value)


def test_init_names_the_sources_a_project_can_use_never_a_value(tmp_path: Path) -> None:
    from diagnose.sources.detect import section

    (tmp_path / ".git").mkdir()
    (tmp_path / ".git/config").write_text(
        '[remote "origin"]\n\turl = git@github.com:dashtray/dashtray.git\n'
    )
    env = {
        "CONVEX_SELF_HOSTED_URL": "http://127.0.0.1:3210",
        "CONVEX_SELF_HOSTED_ADMIN_KEY": "convex-self-hosted|0123456789abcdef",
        "DODO_PAYMENTS_API_KEY": "dodo-secret-value-123",
        "GITHUB_TOKEN": "ghp_secretValue000000000000000000000000",
    }
    text = "\n".join(section(tmp_path, env))
    assert (
        "Convex logs and env list (diagnose webhooks, diagnose env): on (self-hosted: http://127.0.0.1:3210)"
        in text
    )
    assert "DodoPayments (webhook endpoints and events): on" in text
    assert "on (GITHUB_TOKEN), repository dashtray/dashtray" in text
    assert "Analytics for diagnose latency): off" in text
    for value in env.values():
        if "127.0.0.1" not in value:
            assert value not in text


def test_the_repository_comes_from_the_origin_remote(tmp_path: Path) -> None:
    from diagnose.sources.github import repo_of

    (tmp_path / ".git").mkdir()
    (tmp_path / ".git/config").write_text(
        '[remote "upstream"]\n\turl = https://github.com/other/fork.git\n'
        '[remote "origin"]\n\turl = https://github.com/dashtray/dashtray\n'
    )
    assert repo_of(tmp_path) == "dashtray/dashtray"
    assert repo_of(tmp_path / "nowhere") is None


def test_a_boolean_setting_takes_a_toml_boolean_and_a_number_does_not(tmp_path: Path) -> None:
    from diagnose.config import load_config
    from diagnose.errors import BadInput

    good = tmp_path / "good.toml"
    good.write_text("[sources]\noffline = true\nconvex_env_values = false\n")
    assert load_config(good).get("sources", "offline") is True
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\ntimeout = true\n")
    with pytest.raises(BadInput, match="run.timeout has the wrong type"):
        load_config(bad)


@pytest.mark.parametrize(
    ("printed", "kept"),
    [
        ("A=1\nB=two\n", "A=1\nB=two\n"),
        ("Attempting reconnect in 1011ms\nA=1\n", "A=1\n"),
        ("KEY='-----BEGIN\nabc\n-----END'\nB=2\n", "KEY='-----BEGIN\nabc\n-----END'\nB=2\n"),
        ("A\nB\n", "A\nB\n"),
        ("WebSocket reconnected at t=4s after disconnect due to closed with code 1005\n", ""),
    ],
)
def test_env_list_output_keeps_the_variables_and_drops_the_clients_log_lines(
    printed: str, kept: str
) -> None:
    from diagnose.sources.convex_cli import env_output

    assert env_output(printed) == kept
