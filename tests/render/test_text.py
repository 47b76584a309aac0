"""The text report's first screen: the answer on line 1, context on line 2, one line per finding."""

from __future__ import annotations

import pytest

from diagnose.model import Confidence, Diagnosis, FactSet, Finding, Severity, Status
from diagnose.render.text import render_text

LONG = (
    "Convex holds a different secret than DodoPayments signs with: 4 of 4 captured deliveries "
    "verify with the dashboard's secret while the handler rejected every one of them"
)
CMD = "npx convex env set DODO_PAYMENTS_WEBHOOK_KEY 'whsec_...' --prod  # " + "x" * 80


def _finding(fid: str, sev: Severity, rank: int, **kw: object) -> Finding:
    return Finding(
        fid, f"{fid} title", sev, Confidence.HIGH, sev.weight, kw.pop("message", f"{fid} happened"),  # type: ignore[arg-type]
        rank=rank, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _diagnosis(status: Status, findings: tuple[Finding, ...], **kw: object) -> Diagnosis:
    facts = FactSet("webhooks", "https://x.example/api", "2026-12-01T02:10:04Z", (), {
        "webhook.logs.window_since": "2026-12-01T01:10:04Z",
        "webhook.logs.window_until": "2026-12-01T02:10:04Z",
    })  # fmt: skip
    return Diagnosis(
        "webhooks", "https://x.example/api", "a", "b", status, findings, (), ("q.one",), facts,
        **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_line_one_is_the_answer_and_line_two_the_context() -> None:
    top = _finding("webhook.secret-mismatch", Severity.CRITICAL, 1, message="secret differs")
    other = _finding("tls.cert-expiring", Severity.WARNING, 2)
    d = _diagnosis(Status.CRITICAL, (top, other), notes=("a note",))
    lines = render_text(d, width=200).splitlines()
    assert lines[0] == "CRITICAL webhook.secret-mismatch: secret differs"
    assert lines[1].startswith(
        "  diagnose webhooks https://x.example/api; window 2026-12-01T01:10:04Z"
    )
    assert "3 checks" in lines[1]
    assert lines[2].split() == [
        "1.",
        "CRITICAL",
        "webhook.secret-mismatch:",
        "webhook.secret-mismatch",
        "title",
    ]
    assert lines[3].split()[:3] == ["2.", "WARNING", "tls.cert-expiring:"]
    assert lines[4] == ""
    # Notes come last, after every finding's details, before the probe line.
    text = "\n".join(lines)
    assert text.index("note: a note") > text.index("2. [WARNING] tls.cert-expiring")


def test_header_status_agrees_with_the_first_finding() -> None:
    """A warning root cause that explains a critical symptom is shown as critical."""
    symptom = _finding("tls.handshake-failed", Severity.CRITICAL, 0)
    cause = _finding("dns.resolver-unreachable", Severity.WARNING, 1, explains=(symptom,))
    lines = render_text(_diagnosis(Status.CRITICAL, (cause,)), width=200).splitlines()
    assert lines[0].startswith("CRITICAL dns.resolver-unreachable:")
    assert lines[2].split()[1] == "CRITICAL" and lines[2].endswith("(explains 1)")


def test_brief_prints_only_the_first_screen() -> None:
    f = _finding("smoke.auth", Severity.CRITICAL, 1, remediation=("do this",))
    d = _diagnosis(Status.CRITICAL, (f,), notes=("a note",))
    brief = render_text(d, brief=True, width=200).splitlines()
    assert len(brief) == 3 and "do this" not in "\n".join(brief) and "note" not in "\n".join(brief)
    assert render_text(d, width=200).splitlines()[:3] == brief


def test_prose_wraps_at_word_boundaries_and_commands_never_wrap() -> None:
    f = _finding("webhook.secret-mismatch", Severity.CRITICAL, 1, message=LONG,
                 remediation=(LONG,), evidence=(LONG,), commands=(CMD,))  # fmt: skip
    out = render_text(_diagnosis(Status.CRITICAL, (f,)), width=60).splitlines()
    long_lines = [line for line in out if len(line) > 60]
    assert long_lines == [f"     $ {CMD}"]
    words = LONG.split()
    # Every wrapped copy of the message keeps its words whole and in order.
    head = " ".join(out[0:3]).split()
    assert head[2 : 2 + 10] == words[:10]


def test_the_renderer_never_reads_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pure: with no width it wraps at 100 wherever pytest runs; output.finish measures."""
    f = _finding("webhook.secret-mismatch", Severity.CRITICAL, 1, message=LONG)
    d = _diagnosis(Status.CRITICAL, (f,))
    monkeypatch.setenv("COLUMNS", "40")
    narrow_env = render_text(d)
    monkeypatch.setenv("COLUMNS", "200")
    assert render_text(d) == narrow_env == render_text(d, width=100)
    assert max(len(line) for line in narrow_env.splitlines()) > 40


def test_ok_and_unknown_headlines_say_what_was_checked() -> None:
    ok = render_text(_diagnosis(Status.OK, ()), width=100).splitlines()
    assert ok[0] == "OK webhooks: 1 check passed"
    unknown = render_text(_diagnosis(Status.UNKNOWN, ()), width=100).splitlines()
    assert unknown[0].startswith("UNKNOWN webhooks: ")


def test_colour_paints_only_when_asked() -> None:
    f = _finding("smoke.auth", Severity.CRITICAL, 1)
    d = _diagnosis(Status.CRITICAL, (f,))
    assert "\033[" not in render_text(d, width=100)
    painted = render_text(d, color=True, width=100).splitlines()
    assert painted[0].startswith("\033[1;31mCRITICAL\033[0m smoke.auth:")
