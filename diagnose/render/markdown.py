"""Markdown output, ready to paste into an incident or a GitHub issue."""

from __future__ import annotations

from diagnose.model import Diagnosis, Finding
from diagnose.render.charts import charts, mermaid, mermaid_timeline, timeline

_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵", "ok": "🟢", "unknown": "⚪"}


_ESCAPES = str.maketrans({"<": "&lt;", ">": "&gt;", "*": "\\*", "_": "\\_", "`": "\\`"})


def _text(text: str) -> str:
    """Prose as Markdown shows it: `<project>` must not vanish as an HTML tag, `_` not italicise."""
    return text.replace("\n", " ").translate(_ESCAPES)


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")


def render_markdown(diagnosis: Diagnosis, *, verbose: bool = False) -> str:
    """Return the report as Markdown: summary table, findings, how to re-run."""
    d = diagnosis
    out = [
        f"## {_ICON[d.status.value]} diagnose {d.command} `{d.target}`: **{d.status.value.upper()}**",
        "",
        f"Run {d.started_at} – {d.finished_at} with diagnose {d.tool_version}. "
        f"{len(d.findings)} finding(s), {len(d.inconclusive)} inconclusive, {len(d.quiet)} quiet.",
        "",
    ]
    if d.checklist is not None:
        # A task list: GitHub shows [x] and [ ] as boxes; [?] stays as written.
        out += [_text(d.checklist.headline), ""]
        out += [f"- {i.state.mark} {_text(f'{i.item}: {i.evidence}')}" for i in d.checklist.items]
        out.append("")
    if d.notes:
        # Notes (sparklines, tables) keep their spacing in a text block.
        out += ["```text", *d.notes, "```", ""]
    if d.findings:
        out += ["| # | Severity | Rule | What | Explains |", "|---|---|---|---|---|"]
        for f in d.findings:
            explains = ", ".join(e.id for e in f.explains) or ""
            out.append(
                f"| {f.rank} | {_ICON[f.severity.value]} {f.severity.value} | `{f.id}` "
                f"| {_cell(f.title)} | {explains} |"
            )
        out.append("")
    out += _pictures(d)
    for f in d.findings:
        out += _finding(f)
    if d.inconclusive:
        out += ["### Inconclusive", ""]
        out += [f"- `{i.id}`: {_cell(i.reason)}" for i in d.inconclusive]
        out.append("")
    if verbose and d.quiet:
        out += ["### Checked and quiet", "", ", ".join(f"`{q}`" for q in d.quiet), ""]
    out += ["### Probes", "", "| Probe | Status | ms | Error |", "|---|---|---|---|"]
    out += [
        f"| {p.name} | {p.status.value} | {p.duration_ms:.0f} | {_cell(p.error or '')} |"
        for p in d.factset.probes
    ]
    out += ["", "### Re-run", "", "```sh"]
    if d.factset.invocation:
        out.append(d.factset.invocation)
    out += [
        "# to judge the same facts again later, with today's rules:",
        "# add --save-facts facts.json to the command above, then: diagnose replay facts.json",
        "```",
        "",
    ]
    return "\n".join(out)


def _pictures(d: Diagnosis) -> list[str]:
    """The charts as Mermaid blocks (GitHub draws them), each with its note, then the timeline."""
    out: list[str] = []
    for chart in charts(d):
        out += [mermaid(chart), "", _text(chart.note), ""] if chart.note else [mermaid(chart), ""]
    if events := timeline(d):
        out += [mermaid_timeline(events), ""]
    return out


def _finding(f: Finding) -> list[str]:
    out = [
        f"### {f.rank}. {_ICON[f.severity.value]} `{f.id}`: {_text(f.title)}",
        "",
        _text(f.message),
        "",
        f"Severity **{f.severity.value}**, confidence {f.confidence.value}, score {f.score:g}.",
        "",
    ]
    if f.evidence:
        out += ["**Evidence**", ""] + [f"- `{e}`" for e in f.evidence] + [""]
    if f.explains:
        out += ["**Explains**", ""]
        out += [f"- `{e.id}` ({e.severity.value}): {_text(e.message)}" for e in f.explains]
        out.append("")
    if f.remediation:
        out += ["**Fix**", ""] + [f"{i}. {_text(s)}" for i, s in enumerate(f.remediation, 1)] + [""]
    if f.commands:
        out += ["```sh", *f.commands, "```", ""]
    if f.references:
        out += ["References: " + ", ".join(f"<{r}>" for r in f.references), ""]
    return out
