"""`diagnose ssl` with a Cloudflare token: the zone's SSL/TLS mode and the Pages custom domain.

The TLS and HTTPS checks run against the lab's TLS server (pinned with --connect-to, as the ssl
family's own lab tests do); the Cloudflare source against the stand-in API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.lab import vendor_apis
from diagnose.lab.dns_server import DNSServer, serve_dns
from diagnose.lab.tls_server import TLSLab, serve_tls

pytestmark = pytest.mark.lab
DOMAIN = "good.dashtray.test"


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[TLSLab, DNSServer]]:
    with serve_tls() as tls, serve_dns("good") as dns:
        yield tls, dns


@pytest.fixture
def cloudflare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]
) -> Iterator[tuple[vendor_apis.CloudflareState, Path]]:
    state = vendor_apis.CloudflareState(
        zones={"dashtray.test": "023e105f4ecef8ad9ca31a8372d0c353"},
        projects={"dashtray": [vendor_apis.pages_domain(DOMAIN)]},
    )
    with vendor_apis.cloudflare_api(state) as url:
        config = tmp_path / "diagnose.toml"
        config.write_text(
            f'[sources]\ncloudflare_api_url = "{url}"\ncloudflare_account_id = "{state.account_id}"\n'
            'cloudflare_pages_project = "dashtray"\n'
        )
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", state.token)
        yield state, config


def run(
    capsys: pytest.CaptureFixture[str], lab: tuple[TLSLab, DNSServer], config: Path, *extra: str
) -> tuple[int, dict[str, Any], str]:
    tls, dns = lab
    args = [
        "ssl",
        DOMAIN,
        "--resolver",
        dns.address,
        "--connect-to",
        tls.address("good"),
        "--ca-file",
        str(tls.root_file),
        "--timeout",
        "8",
        "--config",
        str(config),
        "--format",
        "json",
        *extra,
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out = capsys.readouterr()
    return int(exit_info.value.code or 0), json.loads(out.out), out.out + out.err


def _ids(doc: dict[str, Any]) -> list[str]:
    return [f["id"] for f in doc["findings"]]


def test_full_strict_and_an_active_domain_are_ok(
    capsys: pytest.CaptureFixture[str], lab: Any, cloudflare: Any
) -> None:
    state, config = cloudflare
    code, doc, text = run(capsys, lab, config)
    assert code == 0, doc["findings"]
    assert doc["facts"]["cloudflare.ssl_mode"] == "strict"
    assert doc["facts"]["cloudflare.domain_status"] == "active"
    assert state.token not in text
    assert all(auth == f"Bearer {state.token}" for _, auth in state.requests)


@pytest.mark.parametrize("mode", ["flexible", "full"])
def test_a_mode_short_of_full_strict_fires_with_the_api_call(
    capsys: pytest.CaptureFixture[str], lab: Any, cloudflare: Any, mode: str
) -> None:
    state, config = cloudflare
    state.ssl = mode
    _, doc, _ = run(capsys, lab, config)
    finding = next(f for f in doc["findings"] if f["id"] == "tls.cloudflare-ssl-mode")
    assert mode in finding["message"]
    assert any(
        "/zones/023e105f4ecef8ad9ca31a8372d0c353/settings/ssl" in c for c in finding["commands"]
    )


@pytest.mark.parametrize(
    ("domains", "words"),
    [
        ([], "not added as a custom domain"),
        ([vendor_apis.pages_domain(DOMAIN, "pending", "pending")], "pending"),
    ],
)
def test_a_missing_or_pending_custom_domain_fires_with_cloudflares_reason(
    capsys: pytest.CaptureFixture[str],
    lab: Any,
    cloudflare: Any,
    domains: list[dict[str, Any]],
    words: str,
) -> None:
    state, config = cloudflare
    state.projects["dashtray"] = domains
    _, doc, _ = run(capsys, lab, config)
    finding = next(f for f in doc["findings"] if f["id"] == "tls.pages-custom-domain")
    assert words in finding["message"]


def test_a_token_without_zone_settings_read_names_the_permission(
    capsys: pytest.CaptureFixture[str], lab: Any, cloudflare: Any
) -> None:
    state, config = cloudflare
    state.forbidden = ("/settings/",)
    code, doc, _ = run(capsys, lab, config)
    probe = next(p for p in doc["probes"] if p["name"] == "cloudflare")
    assert probe["status"] == "error"
    assert "403" in probe["error"] and "Zone > Zone Settings > Read" in probe["error"]
    assert any(i["id"] == "tls.cloudflare-ssl-mode" for i in doc["inconclusive"])
    # The TLS checks still judged the site itself.
    assert doc["facts"]["https.status"] == 200


def test_offline_asks_no_cloudflare(
    capsys: pytest.CaptureFixture[str], lab: Any, cloudflare: Any
) -> None:
    state, config = cloudflare
    run(capsys, lab, config, "--offline")
    assert state.requests == []


def test_a_rate_limit_says_when_to_retry(
    capsys: pytest.CaptureFixture[str], lab: Any, cloudflare: Any
) -> None:
    state, config = cloudflare
    state.rate_limited = True
    _, doc, _ = run(capsys, lab, config)
    probe = next(p for p in doc["probes"] if p["name"] == "cloudflare")
    assert probe["status"] == "error"
    assert "429" in probe["error"] and "retry after 60" in probe["error"]
