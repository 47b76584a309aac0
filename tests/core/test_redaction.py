"""Secrets never reach output, saved facts or files: canaries across every format."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnose.redact import Redactor
from tests.support.cli import run_cli

CANARY_WHSEC = "whsec_Q2FuYXJ5Q2FuYXJ5Q2FuYXJ5MTIzNDU2"
CANARY_TOKEN = "canary-token-7f3a9b2c1d"
CANARY_PASSWORD = "hunter2canary"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("key whsec_abcdefghijklmnop", "abcdefghijklmnop"),
        ("Authorization: Bearer abc.def.ghijklmnop", "abc.def.ghijklmnop"),
        ("sk_live_51HxYzAbCdEf", "51HxYzAbCdEf"),
        ("sk_test_51HxYzAbCdEf", "51HxYzAbCdEf"),
        ("https://admin:s3cr3tpass@db.example.com/x", "s3cr3tpass"),
        ("CONVEX_DEPLOY_KEY=prod:happy-otter-123|eyJ2MiI6IjE2In0abc", "eyJ2MiI6IjE2In0abc"),
        (
            "webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
            "K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN",
        ),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_abcdefghijklmnopqrstuvwxyz0123"),
        ("url https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX", "XXXXsecretXXXX"),
        ("--to https://x.convex.site/hook?token=qwerty12345&a=1", "qwerty12345"),
        ("GET /cb?foo=1&access_token=zxcvbn98765", "zxcvbn98765"),
    ],
)
def test_patterns(text: str, secret: str) -> None:
    assert secret not in Redactor().text(text)


def test_known_values_and_json_data() -> None:
    r = Redactor([CANARY_TOKEN])
    data = {"a": [f"x {CANARY_TOKEN} y"], CANARY_TOKEN: 1}
    assert CANARY_TOKEN not in r.json(data)
    assert CANARY_TOKEN not in r.text(f'"{CANARY_TOKEN}"')


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_canaries_never_written(lab, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """A URL with a password and secret env values: absent from stdout, stderr, files, facts."""
    app = lab("server-error")
    host = app.url.removeprefix("http://")
    url = f"http://admin:{CANARY_PASSWORD}@{host}/?token={CANARY_TOKEN}"
    env = {"DODO_PAYMENTS_WEBHOOK_KEY": CANARY_WHSEC, "MY_TOKEN": CANARY_TOKEN}
    cfg = tmp_path / "diagnose.toml"
    cfg.write_text('[secrets]\nenv = ["MY_TOKEN"]\n')
    out, facts = tmp_path / "out", tmp_path / "facts.json"
    result = run_cli(
        "smoke",
        "--url",
        url,
        "--format",
        fmt,
        "--config",
        str(cfg),
        "--save-facts",
        str(facts),
        env=env,
    )
    result2 = run_cli(
        "smoke", "--url", url, "--format", fmt, "--config", str(cfg), "--output", str(out), env=env
    )
    replay = run_cli("replay", str(facts), "--format", fmt)
    written = "".join(
        [
            result.stdout,
            result.stderr,
            result2.stdout,
            result2.stderr,
            out.read_text(),
            facts.read_text(),
            replay.stdout,
        ]
    )
    assert result.code == 2
    for canary in (CANARY_PASSWORD, CANARY_TOKEN, CANARY_WHSEC, CANARY_WHSEC[6:]):
        assert canary not in written
    assert "[REDACTED]" in written


def test_a_secrets_kind_prefix_alone_is_not_masked_but_any_piece_of_it_is() -> None:
    """A fix's placeholder "'whsec_...'" holds none of the secret; "whsec_M..." holds a piece."""
    from diagnose.redact import Redactor

    r = Redactor().with_secrets(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
    assert r.text("set it to 'whsec_...' now") == "set it to 'whsec_...' now"
    assert r.text("x whsec_Mf... y") == "x [REDACTED]... y"
    assert r.text("x whsec_M...") == "x [REDACTED]..."


def test_a_self_hosted_convex_admin_key_is_masked_by_its_shape() -> None:
    from diagnose.redact import Redactor

    key = "convex-self-hosted|01" + "ab" * 40
    assert Redactor().text(f"admin key {key} set") == "admin key convex-self-hosted|[REDACTED] set"


def test_every_credential_variable_the_sources_read_is_always_masked() -> None:
    from diagnose.config import DEFAULT_SECRET_ENV

    for name in ("CONVEX_SELF_HOSTED_ADMIN_KEY", "GH_TOKEN", "CONVEX_DEPLOY_KEY", "GITHUB_TOKEN"):
        assert name in DEFAULT_SECRET_ENV
