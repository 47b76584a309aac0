"""`diagnose latency` with no log and no URL: Cloudflare's GraphQL Analytics for the site's zone.

The Cloudflare source against the stand-in API of diagnose/lab/vendor_apis.py, which answers
POST /client/v4/graphql the way the API's docs show (aliases of httpRequestsAdaptiveGroups, a 200
with `errors` for what the token or the plan does not allow).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from diagnose.lab import vendor_apis
from tests.sources.conftest import NOW
from tests.support.cli import Result, run_cli

pytestmark = pytest.mark.lab
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"


@pytest.fixture
def cf(
    clean_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[vendor_apis.CloudflareState, dict[str, str], Path]]:
    state = vendor_apis.CloudflareState(
        analytics=vendor_apis.analytics_minutes(NOW, [90] * 60),
    )
    with vendor_apis.cloudflare_api(state) as url:
        config = tmp_path / "diagnose.toml"
        config.write_text(
            f'[service]\ndomain = "dashtray.com"\n[sources]\ncloudflare_api_url = "{url}"\n'
        )
        yield state, {**clean_env, "CLOUDFLARE_API_TOKEN": state.token}, config


def _run(env: dict[str, str], config: Path, *args: str) -> Result:
    return run_cli(
        "latency", "--config", str(config), "--since", "1h", "--now", NOW.isoformat(),
        "--format", "json", *args, env=env,
    )  # fmt: skip


def _ids(doc: dict[str, object]) -> list[str]:
    return [f["id"] for f in doc["findings"]]  # type: ignore[index, union-attr]


def test_healthy_traffic_is_checked_and_quiet(
    cf: tuple[vendor_apis.CloudflareState, dict[str, str], Path],
) -> None:
    state, env, config = cf
    result = _run(env, config)
    doc = result.json()
    assert result.code == 0, result.stdout[:2000]
    facts = doc["facts"]
    assert facts["cloudflare.analytics.requests"] == 5400
    assert facts["cloudflare.analytics.minutes"] == 60
    assert facts["cloudflare.analytics.p95_ms"] == 180.0
    sent = state.graphql[0]["variables"]
    assert sent["zoneTag"] == ZONE
    assert sent["filter"]["datetime_geq"] == "2026-11-27T09:00:00Z"
    assert sent["filter"]["datetime_lt"] == "2026-11-27T10:00:00Z"
    assert sent["errors"]["edgeResponseStatus_geq"] == 500
    assert state.token not in result.stdout + result.stderr


def test_5xx_over_budget_at_a_traffic_spike_fires_with_the_spike_as_cause(
    cf: tuple[vendor_apis.CloudflareState, dict[str, str], Path],
) -> None:
    state, env, config = cf
    counts = [90] * 60
    errors = [0] * 60
    counts[41], errors[41] = 540, 300  # 09:41, the spike, and Cloudflare's 5xx with it
    state.analytics = vendor_apis.analytics_minutes(NOW, counts, errors)
    doc = _run(env, config).json()
    assert _ids(doc)[0] == "latency.cloudflare-traffic-spike", _ids(doc)
    spike = doc["findings"][0]
    assert "540 requests/min at 2026-11-27T09:41:00Z" in spike["message"]
    explained = [e["id"] for e in spike.get("explains", [])]
    assert "latency.cloudflare-error-rate" in explained, spike


def test_slow_edge_fires_p95_with_the_origins_share(
    cf: tuple[vendor_apis.CloudflareState, dict[str, str], Path],
) -> None:
    state, env, config = cf
    state.edge_p95_ms, state.origin_p95_ms = 3400.0, 3100.0
    doc = _run(env, config).json()
    finding = next(f for f in doc["findings"] if f["id"] == "latency.cloudflare-p95-over-budget")
    assert "3400 ms over 5400 requests to dashtray.com" in finding["message"]
    assert "origin's p95 was 3100 ms" in finding["message"]


def test_a_token_without_analytics_read_is_evidence_with_its_fix(
    cf: tuple[vendor_apis.CloudflareState, dict[str, str], Path],
) -> None:
    state, env, config = cf
    state.forbidden = ("graphql",)
    result = _run(env, config)
    doc = result.json()
    probe = next(p for p in doc["probes"] if p["name"] == "cloudflare_analytics")
    assert probe["status"] == "error"
    assert "are not authorized" in probe["error"] and "Zone > Analytics > Read" in probe["error"]
    assert any(i["id"] == "latency.cloudflare-error-rate" for i in doc["inconclusive"])
    assert result.code == 3


def test_the_plans_limit_is_said_as_such(
    cf: tuple[vendor_apis.CloudflareState, dict[str, str], Path],
) -> None:
    state, env, config = cf
    state.graphql_errors = ["cannot request data older than 259200s"]
    probe = next(
        p for p in _run(env, config).json()["probes"] if p["name"] == "cloudflare_analytics"
    )
    assert "plan's limit" in probe["error"]


def test_rate_limited_says_when_to_retry(
    cf: tuple[vendor_apis.CloudflareState, dict[str, str], Path],
) -> None:
    state, env, config = cf
    state.rate_limited = True
    probe = next(
        p for p in _run(env, config).json()["probes"] if p["name"] == "cloudflare_analytics"
    )
    assert "429" in probe["error"] and "retry after 60" in probe["error"]


def test_a_request_log_wins_and_offline_asks_nothing(
    cf: tuple[vendor_apis.CloudflareState, dict[str, str], Path], tmp_path: Path
) -> None:
    state, env, config = cf
    result = _run(env, config, "--offline", "https://127.0.0.1:9/")
    assert state.requests == []
    assert "cloudflare.analytics.requests" not in result.json()["facts"]
