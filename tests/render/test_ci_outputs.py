"""CI outputs: colour choice, GitHub Actions annotations and job summary, JUnit root causes."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from diagnose.model import Confidence, Diagnosis, FactSet, Finding, Severity, Status
from diagnose.output import finish, use_color
from diagnose.render.github import annotation, annotation_lines
from diagnose.render.junit import render_junit
from diagnose.settings import Common


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _diagnosis() -> Diagnosis:
    symptom = Finding("smoke.homepage", "Homepage fails", Severity.CRITICAL, Confidence.HIGH, 100,
                      "homepage answered 522")  # fmt: skip
    cause = Finding(
        "build.failed", "The build failed", Severity.WARNING, Confidence.HIGH, 50,
        "Step 'Build' failed at build.log:412: Error: Cannot find module, 100% sure",
        commands=("gh run view --log-failed",), explains=(symptom,), rank=1,
    )  # fmt: skip
    other = Finding("tls.cert-expiring", "The certificate expires soon", Severity.WARNING,
                    Confidence.HIGH, 50, "expires in 5 days", rank=2)  # fmt: skip
    facts = FactSet("build", "ci", "2026-12-01T02:10:04Z", (), {})
    return Diagnosis("build", "ci", "a", "b", Status.CRITICAL, (cause, other), (), ("q",), facts)


@pytest.mark.parametrize(
    ("choice", "env", "tty", "expected"),
    [
        ("auto", {}, True, True),
        ("auto", {}, False, False),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": ""}, True, True),  # no-color.org: only a non-empty value counts
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"CLICOLOR_FORCE": "1"}, False, True),
        ("auto", {"FORCE_COLOR": "0"}, False, False),
        ("never", {"FORCE_COLOR": "1"}, True, False),
        ("always", {"NO_COLOR": "1"}, False, True),
    ],
)
def test_colour_choice(monkeypatch: pytest.MonkeyPatch, choice: str, env: dict[str, str],
                       tty: bool, expected: bool) -> None:  # fmt: skip
    for name in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = _Tty() if tty else io.StringIO()
    assert use_color(stream, choice) is expected


def test_annotations_one_per_root_cause_with_title_file_and_line() -> None:
    lines = annotation_lines(_diagnosis()).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        "::warning file=build.log,line=412,title=build.failed::The build failed: "
    )
    # The runner's escaping: %, newlines; the explained symptom rides inside its cause.
    assert "100%25 sure%0A(explains smoke.homepage)%0A$ gh run view --log-failed" in lines[0]
    assert (
        lines[1]
        == "::warning title=tls.cert-expiring::The certificate expires soon: expires in 5 days"
    )


def test_annotation_levels_follow_severity() -> None:
    f = Finding("dns.nxdomain", "No such domain", Severity.CRITICAL, Confidence.HIGH, 100, "x")
    assert annotation(f).startswith("::error title=dns.nxdomain::")


def test_finish_in_github_actions_writes_annotations_and_summary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    junit = tmp_path / "junit.xml"
    code = finish(_diagnosis(), Common(fmt="json", junit=junit), rules=[])
    out, err = capsys.readouterr()
    assert code == 2
    assert out.startswith("{")  # stdout stays the report
    assert err.splitlines()[0].startswith("::warning file=build.log,line=412,title=build.failed::")
    text = summary.read_text()
    assert text.startswith("earlier step\n## ")  # appended, never overwritten
    assert "`build.failed`" in text and "`tls.cert-expiring`" in text
    assert ET.parse(junit).getroot().get("failures") == "2"


def test_no_annotations_outside_actions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    finish(_diagnosis(), Common(), rules=[])
    assert "::" not in capsys.readouterr().err


def test_junit_counts_root_causes_and_lists_their_symptoms_inside() -> None:
    suite = ET.fromstring(render_junit(_diagnosis()))
    assert suite.get("failures") == "2" and suite.get("tests") == "3"
    failure = suite.find("testcase/failure")
    assert failure is not None and "explains smoke.homepage (critical)" in (failure.text or "")
    assert all("smoke.homepage" not in (c.get("name") or "") for c in suite.iter("testcase"))
