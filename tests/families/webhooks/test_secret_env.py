"""Where the webhook secret is looked for: the adapter's name first, then the other common one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnose.errors import BadInput
from diagnose.families.webhooks.options import DEFAULT_SECRET_ENV, WebhooksOptions
from diagnose.families.webhooks.plan import pick_secret, secret_env_names
from diagnose.options import resolve
from tests.support.cli import ROOT, run_cli

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks spec's test secret
CAPTURES = ROOT / "corpus" / "webhooks" / "captures-healthy" / "deliveries.jsonl"
ARGS = ("webhooks", "--capture", str(CAPTURES), "--now", "2026-11-27T10:00:00Z", "--since", "1h")
ADAPTER, OTHER = "DODO_PAYMENTS_WEBHOOK_SECRET", "DODO_PAYMENTS_WEBHOOK_KEY"


def test_the_official_adapters_name_is_looked_in_first() -> None:
    # dodo-adapters packages/convex/src/index.ts: process.env.DODO_PAYMENTS_WEBHOOK_SECRET
    assert DEFAULT_SECRET_ENV == (ADAPTER, OTHER)
    both = {ADAPTER: "whsec_a", OTHER: "whsec_b"}
    assert pick_secret(DEFAULT_SECRET_ENV, both) == (ADAPTER, "whsec_a")
    assert pick_secret(DEFAULT_SECRET_ENV, {OTHER: "whsec_b"}) == (OTHER, "whsec_b")
    # an empty variable is not set; with none set, the first name is the one to set
    assert pick_secret(DEFAULT_SECRET_ENV, {ADAPTER: "", OTHER: ""}) == (ADAPTER, None)


class _Config:
    path = None

    def __init__(self, value: object) -> None:
        self.value = value

    def get(self, section: str, key: str) -> object:
        return self.value if (section, key) == ("webhooks", "secret_env") else None


def test_config_takes_one_name_or_a_list_and_the_command_line_wins() -> None:
    assert secret_env_names(resolve(WebhooksOptions, _Config("MY_SECRET")).secret_env) == (
        "MY_SECRET",
    )
    listed = resolve(WebhooksOptions, _Config(["A_SECRET", "B_SECRET"])).secret_env
    assert secret_env_names(listed) == ("A_SECRET", "B_SECRET")
    given = resolve(WebhooksOptions, _Config("MY_SECRET"), {"secret_env": ("CLI_SECRET",)})
    assert secret_env_names(given.secret_env) == ("CLI_SECRET",)
    for bad in ("not a name", "", ()):
        with pytest.raises(BadInput):
            secret_env_names(bad)  # type: ignore[arg-type]


def _run(env: dict[str, str], *extra: str) -> dict[str, object]:
    cleared = {ADAPTER: "", OTHER: ""}
    result = run_cli(*ARGS, "--format", "json", *extra, env={**cleared, **env})
    assert result.code in (0, 1, 2), result.stderr
    assert SECRET not in result.stdout + result.stderr  # the value is never printed
    report: dict[str, object] = json.loads(result.stdout)
    return report


@pytest.mark.lab
def test_the_variable_found_is_named_and_used() -> None:
    report = _run({OTHER: SECRET})
    facts = report["facts"]
    assert isinstance(facts, dict)
    assert facts["webhook.captures.secret_env"] == OTHER
    assert facts["webhook.captures.verified"] == 12
    assert report["status"] == "ok"
    checked = facts["checked.webhook_captures"]
    assert f"secret from ${OTHER}" in json.dumps(checked)


@pytest.mark.lab
def test_the_adapters_name_wins_when_both_are_set() -> None:
    # Only the adapter's variable holds the right secret: it must be the one used.
    report = _run({ADAPTER: SECRET, OTHER: "whsec_dGhpc19pc19ub3RfdGhlX3NlY3JldF8xMjM="})
    facts = report["facts"]
    assert isinstance(facts, dict)
    assert (facts["webhook.captures.secret_env"], facts["webhook.captures.verified"]) == (
        ADAPTER,
        12,
    )


@pytest.mark.lab
def test_none_set_names_every_place_looked_and_the_name_to_set() -> None:
    report = _run({})
    findings = report["findings"]
    assert isinstance(findings, list)
    first = findings[0]
    assert first["id"] == "webhook.secret-not-set"
    assert f"looked in {ADAPTER}, {OTHER}" in first["message"]
    assert any(f"export {ADAPTER}='whsec_...'" in step for step in first["remediation"])


@pytest.mark.lab
def test_secret_env_names_another_variable(tmp_path: Path) -> None:
    report = _run({"MY_WEBHOOK_SECRET": SECRET}, "--secret-env", "MY_WEBHOOK_SECRET")
    facts = report["facts"]
    assert isinstance(facts, dict)
    assert (facts["webhook.captures.secret_env"], facts["webhook.captures.verified"]) == (
        "MY_WEBHOOK_SECRET",
        12,
    )
