"""docs/commands/webhooks.md shows a real example of every format read: each one must read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from diagnose.readers.captures import read_capture
from diagnose.readers.convex import ConvexFormat, is_notice, read_log, text_rows
from tests.support.cli import ROOT

PAGE = ROOT / "docs" / "commands" / "webhooks.md"
LOCALES = re.compile(r"\s{2,}\([a-z]{2}-[A-Z]{2}(?:, [a-z]{2}-[A-Z]{2})*\)$")


def _section_blocks(title: str, until: str) -> list[list[str]]:
    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index(title) : text.index(until)]
    return [b.strip("\n").splitlines() for b in re.findall(r"```\n(.*?)```", section, re.S)]


def _whole_json(line: str) -> bool:
    """A JSON example shown whole (the page cuts long ones with `,...}`, which are not JSON)."""
    try:
        return line.startswith("{") and isinstance(json.loads(line), dict)
    except ValueError:
        return False


BLOCKS = _section_blocks("### Formats read", "### DodoPayments' Convex adapter")
LINES = [ln for block in BLOCKS for ln in block]
WHOLE = [ln for ln in LINES if _whole_json(ln)]


def test_the_page_shows_every_format() -> None:
    records = [json.loads(ln) for ln in WHOLE]
    kinds = {r.get("kind") or r.get("topic") or r.get("_topic") for r in records}
    kinds |= {r["data"]["topic"] for r in records if "data" in r}
    assert {"Progress", "function_execution", "console", "_execution_record", "_console"} <= kinds
    assert any(ln.startswith('{"kind":"Completion"') for ln in LINES)
    assert any(is_notice(ln) for ln in LINES)  # the banner
    assert any(ln.startswith("    at ") for ln in LINES)  # a stack continuation


@pytest.mark.parametrize("line", WHOLE)
def test_every_whole_json_example_reads(line: str, tmp_path: Path) -> None:
    path = tmp_path / "example.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    parsed = read_log(str(path), ConvexFormat.AUTO, None, None)
    assert parsed.bad == [] and parsed.rows, line


def test_every_text_example_reads(tmp_path: Path) -> None:
    text = [LOCALES.sub("", ln) for ln in LINES if "[CONVEX " in ln and not ln.startswith("{")]
    assert len(text) >= 15
    for line in text:
        assert text_rows(line, "doc"), line
    # The stacked failure reads as one record, its stack continuing the error.
    block = next(b for b in BLOCKS if any(ln.startswith("    at ") for ln in b))
    path = tmp_path / "convex.log"
    path.write_text("\n".join(block) + "\n", encoding="utf-8")
    parsed = read_log(str(path), ConvexFormat.AUTO, None, None)
    assert parsed.fmt is ConvexFormat.TEXT and parsed.bad == []
    failed = [r for r in parsed.rows if r["status"] == "failure"]
    assert len(failed) == 1 and "payments.ts:12:11" in failed[0]["error"]


def test_the_har_example_is_the_corpus_file() -> None:
    har = ROOT / "corpus/webhooks/heldout-captures-license-keys-har/deliveries.har"
    read = read_capture(str(har))
    assert read.fmt == "har" and not read.bad
    first = read.deliveries[0]
    assert first.webhook_id == "msg_2w0000Hd7PqLm3" and first.status == 200
    page = PAGE.read_text(encoding="utf-8")
    assert first.headers["webhook-signature"] in page
