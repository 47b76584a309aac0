"""The HTML report: one self-contained page, everything escaped, secrets masked, charts inline."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.model import Confidence, Diagnosis, FactSet, Finding, Severity, Status
from diagnose.redact import Redactor
from diagnose.render import OutputFormat, renderer
from diagnose.render.html import render_html, render_html_many
from tests.render.test_charts import DELIVERIES, LATENCY

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw&<tail>"
HOSTILE = "</p><script>alert(1)</script><img src=x onerror=\"fetch('//evil.example')\">"


def _finding(fid: str, sev: Severity, rank: int, **kw: object) -> Finding:
    return Finding(
        fid, f"{fid} title", sev, Confidence.HIGH, sev.weight, kw.pop("message", f"{fid} happened"),  # type: ignore[arg-type]
        rank=rank, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _diagnosis(*findings: Finding, facts: dict[str, object] | None = None) -> Diagnosis:
    factset = FactSet(
        "all", "https://dashtray.example", "2026-11-27T10:06:00Z", (), facts or {},
        invocation="diagnose all --since 10m",
    )  # fmt: skip
    return Diagnosis(
        "all", "https://dashtray.example", "2026-11-27T10:06:00Z", "2026-11-27T10:06:04Z",
        Status.CRITICAL, findings, (), ("q.one",), factset, notes=("p95 " + HOSTILE,),
    )  # fmt: skip


class _Tags(HTMLParser):
    """Every start tag and attribute, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_page_holds_the_findings_and_the_charts() -> None:
    top = _finding(
        "webhook.secret-mismatch", Severity.CRITICAL, 1, message="Convex holds another secret",
        evidence=("webhook.captures.rejected_valid (4) > 0",),
        remediation=("Copy the secret from the dashboard",),
        commands=("npx convex env set DODO_PAYMENTS_WEBHOOK_KEY '...' --prod",),
        references=("https://docs.dodopayments.com/developer-resources/webhooks",),
    )  # fmt: skip
    page = render_html(_diagnosis(top, facts={**LATENCY, **DELIVERIES}))
    assert page.startswith("<!DOCTYPE html>")
    assert "CRITICAL webhook.secret-mismatch: Convex holds another secret" in page
    for text in (
        "webhook.captures.rejected_valid (4) &gt; 0",
        "Copy the secret from the dashboard",
        "npx convex env set DODO_PAYMENTS_WEBHOOK_KEY &#x27;...&#x27; --prod",
        "budget 2.0 s",
        "deploy v1.2.0 10:02",
        "failing since 02:01:40",
        "Timeline (UTC)",
    ):
        assert text in page, text
    tags = [t for t, _ in _tags(page)]
    assert tags.count("svg") == 2 and "ol" in tags


def test_self_contained_nothing_to_fetch_no_script() -> None:
    page = render_html(_diagnosis(_finding("x.y", Severity.WARNING, 1), facts=LATENCY))
    for tag, attrs in _tags(page):
        assert tag not in ("script", "link", "img", "iframe", "object", "embed"), tag
        assert "src" not in attrs and not any(k.startswith("on") for k in attrs), (tag, attrs)
        if tag == "a":
            assert (attrs.get("href") or "").startswith(("#", "https://", "http://"))
    assert "default-src 'none'" in page  # the CSP forbids any fetch the markup might attempt
    assert "url(" not in page and "@import" not in page


def test_hostile_strings_are_text_not_markup() -> None:
    evil = _finding(
        "team.evil", Severity.CRITICAL, 1, message=HOSTILE, evidence=(HOSTILE,),
        remediation=(HOSTILE,), commands=(HOSTILE,),
        references=("javascript:alert(1)", HOSTILE),
    )  # fmt: skip
    facts = {
        **DELIVERIES,
        "deploy.last.at": "2026-12-01T02:00:30Z",
        "deploy.last.version": HOSTILE,
    }
    page = render_html(_diagnosis(evil, facts=facts))
    tags = _tags(page)
    assert not [t for t, _ in tags if t in ("script", "img")]
    assert not [a for t, a in tags if t == "a" and "javascript" in (a.get("href") or "")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_secrets_are_masked_before_escaping() -> None:
    """A secret with & and < in it must not survive as its escaped form either."""
    leak = _finding("webhook.leak", Severity.CRITICAL, 1, message=f"secret is {SECRET}")
    facts = {**DELIVERIES, "deploy.last.at": "2026-12-01T02:00:30Z", "deploy.last.version": SECRET}
    page = renderer(OutputFormat.HTML, redactor=Redactor([SECRET]))(_diagnosis(leak, facts=facts))
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in page
    assert "[REDACTED]" in page


def test_batch_is_one_page() -> None:
    pages = render_html_many([_diagnosis(), _diagnosis(_finding("a.b", Severity.WARNING, 1))])
    assert pages.count("<!DOCTYPE html>") == 1 and pages.count("<header") == 2
    assert re.search(r"<h1>diagnose: 2 targets", pages)


def _page_with(text: str) -> str:
    f = _finding(
        "team.any", Severity.WARNING, 1, message=text, evidence=(text,), commands=(text,),
        references=(text,),
    )  # fmt: skip
    facts = {**DELIVERIES, "deploy.last.at": "2026-12-01T02:00:30Z", "deploy.last.version": text}
    return render_html(_diagnosis(f, facts=facts))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_any_text_stays_text(text: str) -> None:
    """Whatever a message, an evidence line, a version or a command holds, no tag comes of it:
    the page has the elements and attribute names of the same page with a plain word there."""
    plain = "https://x" if text.startswith(("https://", "http://")) else "x"

    def shape(page: str) -> list[tuple[str, list[str]]]:
        return [(tag, sorted(attrs)) for tag, attrs in _tags(page)]

    assert shape(_page_with(text)) == shape(_page_with(plain))
