"""Outputs: JSON valid against the checked-in schema, Markdown, save-facts and replay round trips."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.support.cli import ROOT, run_cli

SCHEMA = json.loads((ROOT / "docs/schema/diagnosis.schema.json").read_text())


@pytest.mark.parametrize("scenario", ["healthy", "cf-522", "hang", "redirect-loop"])
def test_json_matches_schema(lab, scenario: str) -> None:  # type: ignore[no-untyped-def]
    app = lab(scenario)
    result = run_cli(
        "smoke", "--url", app.url, "--convex-url", app.url, "--format", "json", "--timeout", "1.5"
    )
    doc = result.json()  # stdout holds only the JSON
    jsonschema.validate(doc, SCHEMA)
    assert [f["rank"] for f in doc["findings"]] == list(range(1, len(doc["findings"]) + 1))


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_save_facts_then_replay_gives_the_same_diagnosis(lab, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    app = lab("auth-failing")
    facts = tmp_path / "facts.json"
    live = run_cli(
        "smoke",
        "--url",
        app.url,
        "--format",
        fmt,
        "--save-facts",
        str(facts),
        "--now",
        "2026-11-27T10:00:00Z",
    )
    replayed = run_cli("replay", str(facts), "--format", fmt)
    assert live.code == replayed.code == 2
    if fmt == "json":
        a, b = live.json(), replayed.json()
        for key in ("findings", "inconclusive", "status", "facts", "command", "target"):
            assert a[key] == b[key], key
    else:
        assert "smoke.auth" in replayed.stdout
    saved = json.loads(facts.read_text())
    assert saved["schema"] == "diagnose/facts@1" and saved["now"] == "2026-11-27T10:00:00.000Z"


def test_replay_uses_todays_rules(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A rule added after the facts were saved judges them on replay."""
    app = lab("healthy")
    facts = tmp_path / "facts.json"
    run_cli("smoke", "--url", app.url, "--save-facts", str(facts))
    rules = tmp_path / "rules" / "team"
    rules.mkdir(parents=True)
    (rules / "homepage-html.yaml").write_text(
        "title: Homepage is HTML\nseverity: warning\nconfidence: low\n"
        "when: {fact: smoke.homepage.content_type, op: matches, value: html}\n"
        "message: 'homepage is {smoke.homepage.content_type}'\n"
        "remediation: ['nothing to do: this rule exists to test replay']\n"
        "references: ['https://example.invalid/']\n"
    )
    result = run_cli("replay", str(facts), "--rules", str(tmp_path / "rules"), "--format", "json")
    assert result.code == 1
    assert result.json()["findings"][0]["id"] == "team.homepage-html"


def test_markdown_is_ready_to_paste(lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("cf-521")
    md = run_cli("smoke", "--url", app.url, "--format", "markdown").stdout
    assert md.startswith("## ")
    assert "| 1 | " in md and "`http.cloudflare-521`" in md
    assert "### Re-run" in md and "diagnose smoke --url" in md and "diagnose replay" in md


def test_output_file(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = lab("healthy")
    out = tmp_path / "report.json"
    result = run_cli("smoke", "--url", app.url, "--format", "json", "--output", str(out))
    assert result.code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["status"] == "ok"


def test_verbose_lists_quiet_rules(lab) -> None:  # type: ignore[no-untyped-def]
    app = lab("healthy")
    out = run_cli("smoke", "--url", app.url, "--convex-url", app.url, "-v").stdout
    assert "Checked and quiet:" in out and "smoke.health" in out


def test_color_only_on_a_terminal() -> None:
    from diagnose.output import use_color

    class Tty:
        def isatty(self) -> bool:
            return True

    import os

    old = os.environ.pop("NO_COLOR", None)
    try:
        assert use_color(Tty())
        os.environ["NO_COLOR"] = "1"
        assert not use_color(Tty())
    finally:
        if old is not None:
            os.environ["NO_COLOR"] = old
        else:
            os.environ.pop("NO_COLOR", None)


@pytest.mark.parametrize("scenario", ["cf-522", "healthy"])
def test_diagnosis_json_round_trips(lab, scenario: str) -> None:  # type: ignore[no-untyped-def]
    """Diagnosis -> JSON -> Diagnosis is the identity (explained findings included)."""
    from diagnose.model import Diagnosis

    app = lab(scenario)
    doc = run_cli("smoke", "--url", app.url, "--convex-url", app.url, "--format", "json").json()
    again = Diagnosis.from_json(doc)
    assert again.to_json() == doc
    assert Diagnosis.from_json(again.to_json()) == again


@pytest.mark.lab
def test_replay_shows_the_shape_again(tmp_path: Path) -> None:
    """Probes describe their facts (latency sparklines): a replay shows the same notes."""
    from diagnose.lab.latency_app import serve

    facts = tmp_path / "facts.json"
    with serve("healthy", time_scale=0.01) as app:
        live = run_cli(
            "latency", app.url, "-n", "4", "--format", "json", "--save-facts", str(facts)
        )
    replayed = run_cli("replay", str(facts), "--format", "json")
    assert live.json()["notes"] and replayed.json()["notes"] == live.json()["notes"]


def test_json_output_is_masked_as_data_and_stays_valid() -> None:
    """One JSON path: a secret inside a fact, a key and a note is masked; the document parses."""
    from diagnose.model import Diagnosis, FactSet, Status
    from diagnose.redact import Redactor
    from diagnose.render import OutputFormat, renderer

    secret = 'whsec_"quoted\\secret'
    facts = {"webhook.captures.examples": [f"signed with {secret}"], f"k {secret}": 1}
    factset = FactSet("webhooks", "t", "2026-11-27T10:00:00Z", (), facts)
    d = Diagnosis("webhooks", "t", "a", "b", Status.OK, (), (), (), factset, notes=(secret,))
    text = renderer(OutputFormat.JSON, redactor=Redactor([secret]))(d)
    doc = json.loads(text)
    assert secret not in text and "quoted" not in text
    assert doc["notes"] == ["[REDACTED]"] and "k [REDACTED]" in doc["facts"]
