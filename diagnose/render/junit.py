"""JUnit XML for CI: one test case per root cause or quiet rule; a root cause is a failure and
the symptoms it explains are listed inside it, so one cause counts as one failure."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from diagnose.model import Diagnosis, Finding, ItemState
from diagnose.rules.load import Rule


def render_junit(diagnosis: Diagnosis, rules: Sequence[Rule] = ()) -> str:
    """Return a JUnit XML document: failures for findings, errors for inconclusive rules,
    skipped for a checklist item whose quiet rule proved nothing."""
    titles = {r.id: r.title for r in rules}
    unconfirmed = {
        i.id: i.evidence
        for i in (diagnosis.checklist.items if diagnosis.checklist else ())
        if i.state is ItemState.INCONCLUSIVE
    }
    fired: list[Finding] = list(diagnosis.findings)
    suite = ET.Element(
        "testsuite",
        name=f"diagnose {diagnosis.command}",
        tests=str(len(fired) + len(diagnosis.inconclusive) + len(diagnosis.quiet)),
        failures=str(len(fired)),
        errors=str(len(diagnosis.inconclusive)),
        timestamp=diagnosis.started_at,
    )
    for f in fired:
        case = ET.SubElement(
            suite, "testcase", classname=f.id.split(".")[0], name=f"{f.id}: {f.title}"
        )
        failure = ET.SubElement(case, "failure", message=f.message, type=f.severity.value)
        explained = [f"explains {e.id} ({e.severity.value}): {e.message}" for e in f.explains]
        failure.text = "\n".join(
            [*f.evidence, *explained, "", *f.remediation, *(f"$ {c}" for c in f.commands)]
        )
    for item in diagnosis.inconclusive:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=item.id.split(".")[0],
            name=f"{item.id}: {titles.get(item.id, '')}",
        )
        ET.SubElement(case, "error", message=item.reason, type="inconclusive")
    for rid in diagnosis.quiet:
        case = ET.SubElement(
            suite, "testcase", classname=rid.split(".")[0], name=f"{rid}: {titles.get(rid, '')}"
        )
        if rid in unconfirmed:
            ET.SubElement(case, "skipped", message=unconfirmed[rid])
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )
