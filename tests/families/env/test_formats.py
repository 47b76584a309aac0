"""Value formats: public by design, known secrets (gitleaks' rules), unknown random-looking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnose.families.env.check import evaluate, source_from_text
from diagnose.families.env.formats import Visibility, classify, gitleaks_rules, not_compiling
from diagnose.families.env.scan import Scope
from diagnose.families.env.values import shape

# Made-up values of each documented shape (none is a live credential).
POSTHOG = "phc_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9f"
STRIPE_SECRET = "sk_live_" + "51H8xYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
RANDOM = "Zx81kQ0pLmN2vB7cR4tY9wE3uI6oP5aS1dF8gH2j"


@pytest.mark.parametrize(
    ("name", "value", "visibility"),
    [
        ("VITE_POSTHOG_KEY", POSTHOG, Visibility.PUBLIC),
        ("VITE_STRIPE_PUBLISHABLE_KEY", "pk_live_" + "51H8xYzAbCdEfGhIjKlMnOp", Visibility.PUBLIC),
        ("VITE_CLERK_PUBLISHABLE_KEY", "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", Visibility.PUBLIC),
        ("VITE_CONVEX_URL", "https://happy-animal-123.convex.cloud", Visibility.PUBLIC),
        (
            "VITE_SENTRY_DSN",
            "https://0123456789abcdef0123456789abcdef@o123456.ingest.sentry.io/4504",
            Visibility.PUBLIC,
        ),
        ("VITE_GA_ID", "G-ABC123DEF4", Visibility.PUBLIC),
        (
            "VITE_FIREBASE_API_KEY",
            "AIza" + "SyB1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q6R",
            Visibility.PUBLIC,
        ),
        ("VITE_STRIPE_KEY", STRIPE_SECRET, Visibility.SECRET),
        ("VITE_GH_TOKEN", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", Visibility.SECRET),
        ("VITE_HOOK", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Visibility.SECRET),
        (
            "CONVEX_DEPLOY_KEY",
            "prod:happy-animal-123|eyJ2MiI6ImFiY2RlZjAxMjM0NTY3ODkifQ==",
            Visibility.SECRET,
        ),
        ("VITE_SOMETHING", RANDOM, Visibility.UNKNOWN),
        ("VITE_APP_NAME", "Dashtray", Visibility.PLAIN),
        ("VITE_APP_ID", "550e8400-e29b-41d4-a716-446655440000", Visibility.PLAIN),
    ],
)
def test_classify(name: str, value: str, visibility: Visibility) -> None:
    assert classify(name, value).visibility is visibility


def test_supabase_keys_by_role() -> None:
    def jwt(role: str) -> str:
        import base64

        body = base64.urlsafe_b64encode(json.dumps({"iss": "supabase", "role": role}).encode())
        return (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            + body.decode().rstrip("=")
            + ".c2lnbmF0dXJlc2lnbmF0dXJl"
        )

    assert classify("VITE_SUPABASE_ANON_KEY", jwt("anon")).visibility is Visibility.PUBLIC
    assert classify("VITE_SUPABASE_KEY", jwt("service_role")).visibility is Visibility.SECRET


def test_every_gitleaks_rule_compiles() -> None:
    """Go's RE2 syntax is translated where Python's differs; none of the ruleset is lost."""
    assert len(gitleaks_rules()) >= 200
    assert not_compiling() == []


def _facts(text: str, scope: Scope = Scope.BUILD, project: Path | None = None) -> dict:
    label = ".env.production" if scope is Scope.BUILD else "npx convex env list"
    facts, _ = evaluate(project, [source_from_text(text, label, scope, True)])
    return facts


def test_public_key_in_vite_is_quiet_and_secret_is_named() -> None:
    facts = _facts(
        f"VITE_POSTHOG_KEY={POSTHOG}\nVITE_STRIPE_KEY={STRIPE_SECRET}\nVITE_X={RANDOM}\n"
    )
    assert facts["env.public_secrets"] == [
        "VITE_STRIPE_KEY (.env.production:2): stripe-access-token (gitleaks rule stripe-access-token)"
    ]
    assert len(facts["env.public_suspect"]) == 1
    assert facts["env.public_suspect"][0].startswith("VITE_X (.env.production:3): a random-looking")
    assert "bits/char" in facts["env.public_suspect"][0]  # it says why it looks secret
    assert not any(POSTHOG in str(v) or STRIPE_SECRET in str(v) for v in facts.values())


def test_malformed_url_is_a_finding_not_an_error() -> None:
    facts = _facts("VITE_CONVEX_URL=https://[\n")
    assert facts["env.malformed"] and "not a URL" in facts["env.malformed"][0]
    assert shape("VITE_CONVEX_URL", "https://[").malformed


def test_build_time_variable_on_the_deployment(tmp_path: Path) -> None:
    """A name only the convex CLI reads, set on the deployment: misplaced, not missing."""
    (tmp_path / ".env.example").write_text("CONVEX_DEPLOY_KEY=\nVITE_CONVEX_URL=\n")
    facts, _ = evaluate(
        tmp_path,
        [
            source_from_text(
                "CONVEX_DEPLOY_KEY=prod:a-b-123|abcdefghijklmnopqrstuvwxyz\n",
                "npx convex env list",
                Scope.CONVEX,
                True,
            )
        ],
    )
    assert facts["env.missing"] == []
    assert facts["env.build_time_misplaced"][0].startswith(
        "CONVEX_DEPLOY_KEY (used at .env.example:1)"
    )
    assert "npx convex deploy" in facts["env.build_time_misplaced"][0]
    assert any(u.startswith("VITE_CONVEX_URL") for u in facts["env.unchecked"])


def test_project_dir_from_the_config_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """[project] dir = "." (what init writes) is read; a public key in VITE_ stays quiet and a
    malformed URL is a finding, never a probe error."""
    from diagnose.cli import main

    (tmp_path / "diagnose.toml").write_text('[project]\ndir = "."\n', encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.ts").write_text(
        "const url = import.meta.env.VITE_CONVEX_URL;\nconst key = import.meta.env.VITE_PUBLIC_POSTHOG_KEY;\n"
    )
    env = tmp_path / ".env.production"
    env.write_text(
        f"VITE_CONVEX_URL=https://happy-animal-123.convex.cloud\nVITE_PUBLIC_POSTHOG_KEY={POSTHOG}\n"
    )
    monkeypatch.chdir(tmp_path)

    def run() -> tuple[int, dict]:
        with pytest.raises(SystemExit) as done:
            main(["env", "--format", "json"])
        return int(done.value.code or 0), json.loads(capsys.readouterr().out)

    code, doc = run()
    assert (code, doc["status"], doc["findings"]) == (0, "ok", [])
    assert doc["facts"]["checked.envvars"]["count"] == 2
    env.write_text("VITE_CONVEX_URL=https://[\nVITE_PUBLIC_POSTHOG_KEY=\n")
    code, doc = run()
    assert all(p["status"] == "ok" for p in doc["probes"])
    assert "env.malformed" in [f["id"] for f in doc["findings"]]


def test_t3_env_schema_names_are_required() -> None:
    """create-t3-app's better-auth schema (verbatim): its server keys are required, NODE_ENV
    (a default) is not, BETTER_AUTH_SECRET (optional only outside production) is."""
    from diagnose.families.env.scan import required_names, schema_names

    root = Path(__file__).resolve().parents[3] / "fixtures" / "projects" / "t3-better-auth"
    keys = {n: optional for n, _, _, optional in schema_names((root / "src/env.js").read_text())}
    assert keys["NODE_ENV"] is True and keys["BETTER_AUTH_SECRET"] is False
    required = required_names(root)
    assert sorted(required) == [
        "BETTER_AUTH_GITHUB_CLIENT_ID",
        "BETTER_AUTH_GITHUB_CLIENT_SECRET",
        "BETTER_AUTH_SECRET",
        "DATABASE_URL",
    ]
    assert required["DATABASE_URL"].used_at == ["src/env.js:14"]
