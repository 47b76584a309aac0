"""GitHub Actions: workflow-command annotations for findings and a Markdown job summary."""

from __future__ import annotations

import re

from diagnose.model import Diagnosis, Finding, Severity
from diagnose.render.markdown import render_markdown

# A finding that quotes a place in a file (`convex/http.ts:42`, a build log line) says so.
_PLACE = re.compile(r"(?<![\w/.-])(?P<file>[\w.-]*[\w-]/?[\w./-]*\.[A-Za-z]\w*):(?P<line>\d+)\b")
_LEVEL = {Severity.CRITICAL: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    """Escape a workflow command's message (the runner's own escaping rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    """Escape a workflow command's property value."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def place(f: Finding) -> tuple[str, str] | None:
    """Return (file, line) when the finding's message or evidence names one."""
    for text in (f.message, *f.evidence):
        if m := _PLACE.search(text):
            return m["file"], m["line"]
    return None


def annotation(f: Finding) -> str:
    """Return the `::error`/`::warning`/`::notice` line for one root cause."""
    props = [f"title={_prop(f.id)}"]
    if where := place(f):
        props[:0] = [f"file={_prop(where[0])}", f"line={where[1]}"]
    body = f.title + ": " + f.message
    if f.explains:
        body += "\n(explains " + ", ".join(e.id for e in f.explains) + ")"
    if f.commands:
        body += "\n$ " + f.commands[0]
    return f"::{_LEVEL[f.severity]} {','.join(props)}::{_data(body)}"


def annotation_lines(d: Diagnosis) -> str:
    """Return one annotation line per root cause (symptoms ride inside their cause)."""
    return "".join(annotation(f) + "\n" for f in d.findings)


def step_summary(d: Diagnosis) -> str:
    """Return the job summary: the Markdown report (GitHub renders it on the run page)."""
    return render_markdown(d).rstrip("\n") + "\n\n"
