"""Renderers show the Diagnosis' checklist field: text, Markdown, JSON, JUnit."""

from __future__ import annotations

from typing import Any

from diagnose.model import FactSet, ItemState


def _diagnosis_with_checklist() -> Any:
    from diagnose.model import Checklist, ChecklistItem, Diagnosis, Status

    items = (
        ChecklistItem("checklist.crons", "Cron jobs executing", ItemState.FAIL, "a cron stopped"),
        ChecklistItem("checklist.email", "Email <sending>", ItemState.PASS, "12 runs, no error"),
        ChecklistItem("checklist.p95", "p95", ItemState.INCONCLUSIVE, "not confirmed: no timings"),
    )
    factset = FactSet("checklist post-deploy", "t", "2026-03-11T11:00:00Z", (), {})
    return Diagnosis(
        "checklist post-deploy", "t", "a", "b", Status.OK, (), (),
        ("checklist.email", "checklist.p95"), factset,
        notes=("[x] a note that only looks like an item",),
        checklist=Checklist("Post-deploy checklist (runbook)", items),
    )  # fmt: skip


def test_renderers_show_the_checklist_field() -> None:
    import json
    import xml.etree.ElementTree as ET

    from diagnose.model import Diagnosis
    from diagnose.render.json_out import render_json
    from diagnose.render.junit import render_junit
    from diagnose.render.markdown import render_markdown
    from diagnose.render.text import render_text

    d = _diagnosis_with_checklist()
    head = "Post-deploy checklist (runbook): 1 pass, 1 fail, 1 inconclusive"
    text = render_text(d).splitlines()
    assert text[2:6] == [
        f"  {head}",
        "  [ ] Cron jobs executing: a cron stopped",
        "  [x] Email <sending>: 12 runs, no error",
        "  [?] p95: not confirmed: no timings",
    ]
    md = render_markdown(d).splitlines()
    start = md.index(head)
    assert md[start + 2 : start + 5] == [
        "- [ ] Cron jobs executing: a cron stopped",
        "- [x] Email &lt;sending&gt;: 12 runs, no error",
        "- [?] p95: not confirmed: no timings",
    ]
    # A note is a note, whatever it starts with: shown as text, never as a task.
    assert "- [x] a note that only looks like an item" not in md
    assert md.index("[x] a note that only looks like an item") > start
    doc = json.loads(render_json(d))
    assert doc["checklist"]["items"][2] == {
        "id": "checklist.p95",
        "item": "p95",
        "state": "inconclusive",
        "evidence": "not confirmed: no timings",
    }
    assert Diagnosis.from_json(doc).checklist == d.checklist  # a stored diagnosis keeps it
    suite = ET.fromstring(render_junit(d))
    skipped = {
        c.get("name", "").split(":")[0]
        for c in suite.iter("testcase")
        if c.find("skipped") is not None
    }
    assert skipped == {"checklist.p95"}  # quiet but not confirmed: not shown as passed
