"""HTML output: one self-contained file (inline CSS and SVG, no script, nothing fetched).

The ranked findings with their evidence and fixes, and the charts people would rather look at
than read (p95 against the budget, webhook deliveries, the timeline). Every string from a
diagnosis is escaped here; secrets were masked before (render.renderer hands a masked copy).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from diagnose.model import Diagnosis, Finding
from diagnose.render.charts import Chart, Event, charts, svg, timeline
from diagnose.render.text import effective_severity, headline_finding

# The page may load nothing: no script, no font, no image from anywhere (a report opened from
# an incident must not call home, and a hostile string that slipped through cannot fetch).
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --critical: #c62828; --warning: #e65100; --info: #1565c0; --ok: #2e7d32;
  --unknown: #6a1b9a; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
  margin: 0 auto; max-width: 960px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; line-height: 1.3; }
.answer { font-size: 17px; margin: 0 0 6px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 16px; margin: 0 0 6px; }
header { border-left: 6px solid var(--unknown); padding: 8px 16px; background: var(--soft); }
header.critical { border-color: var(--critical); } header.warning { border-color: var(--warning); }
header.info { border-color: var(--info); } header.ok { border-color: var(--ok); }
.context, .meta, figcaption, .muted { color: var(--muted); font-size: 13px; }
.badge { display: inline-block; min-width: 78px; text-align: center; color: #fff;
  border-radius: 4px; padding: 0 6px; font-size: 12px; font-weight: 600; letter-spacing: .04em;
  vertical-align: 2px; background: var(--unknown); }
.badge.critical { background: var(--critical); } .badge.warning { background: var(--warning); }
.badge.info { background: var(--info); } .badge.ok { background: var(--ok); }
ol.summary { padding-left: 22px; } ol.summary li { margin: 4px 0; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: var(--soft); padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px;
  overflow-x: auto; white-space: pre; }
article.finding { border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
  margin: 14px 0; }
article.finding h4 { margin: 12px 0 4px; font-size: 13px; text-transform: uppercase;
  color: var(--muted); letter-spacing: .05em; }
article.finding ul, article.finding ol { margin: 4px 0; padding-left: 22px; }
figure { margin: 12px 0 20px; } svg.chart { max-width: 100%; height: auto; display: block; }
svg .title { font: 600 14px sans-serif; fill: var(--ink); }
svg .axis, svg .range { font: 12px sans-serif; fill: var(--muted); }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .line { fill: none; stroke: var(--info); stroke-width: 2; }
svg .dot { fill: var(--info); } svg .dot.over { fill: var(--critical); }
svg .budget { stroke: var(--critical); stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .budget-label { font: 600 12px sans-serif; fill: var(--critical); }
svg .marker { stroke: var(--ink); stroke-width: 1; stroke-dasharray: 3 3; }
svg .marker-label { font: 12px sans-serif; fill: var(--ink); }
svg .marker-label, svg .budget-label { paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg .bar.ok { fill: #66bb6a; } svg .bar.failed { fill: var(--critical); }
.legend span { margin-right: 14px; } .legend i { display: inline-block; width: 10px;
  height: 10px; margin-right: 4px; vertical-align: 0; }
ol.timeline { list-style: none; padding-left: 0; border-left: 2px solid var(--line);
  margin-left: 8px; }
ol.timeline li { position: relative; padding: 2px 0 10px 18px; }
ol.timeline li::before { content: ""; position: absolute; left: -7px; top: 8px; width: 12px;
  height: 12px; border-radius: 50%; background: var(--muted); }
ol.timeline li.failure::before { background: var(--critical); }
ol.timeline li.deploy::before { background: var(--info); }
ol.timeline li.ok::before { background: var(--ok); }
ol.timeline time { font: 600 13px ui-monospace, Menlo, Consolas, monospace; margin-right: 8px; }
table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid var(--line);
  padding: 3px 8px; text-align: left; }
"""

_SERIES_NAMES = {"p95": "p95", "time": "request time", "ok": "ok", "failed": "failed"}
_COLOURS = {"ok": "#66bb6a", "failed": "var(--critical)"}


def _legend(chart: Chart) -> str:
    """Name each series by its colour (and the red of a point over the budget)."""
    keys = [(_SERIES_NAMES.get(n, n), _COLOURS.get(n, "var(--info)")) for n, _ in chart.series]
    if chart.budget is not None:
        keys.append(("over the budget", "var(--critical)"))
    return "".join(
        f'<span><i style="background:{colour}"></i>{escape(name)}</span>' for name, colour in keys
    )


def page(title: str, body: Iterable[str]) -> str:
    """Wrap sections in the self-contained page: charset, CSP, inline style, no script."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>{escape(title)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def _badge(level: str) -> str:
    return f'<span class="badge {escape(level)}">{escape(level.upper())}</span>'


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def answer(d: Diagnosis) -> tuple[str, str]:
    """The answer: the top cause's id and its message, or the command and what was checked."""
    top = headline_finding(d)
    if top is not None:
        return top.id, top.message
    if d.inconclusive:
        return d.command, f"{_count(len(d.inconclusive), 'check')} could not be judged"
    if d.quiet:
        return d.command, f"{_count(len(d.quiet), 'check')} passed"
    return d.command, "nothing was checked"


def render_html(diagnosis: Diagnosis, *, verbose: bool = False) -> str:
    """Return the report as one HTML page."""
    d = diagnosis
    status = d.status.value
    what, said = answer(d)
    title = f"{status.upper()} {what}: {said}"
    return page(title[:200], diagnosis_sections(d, verbose=verbose))


def render_html_many(diagnoses: Sequence[Diagnosis], *, verbose: bool = False) -> str:
    """Return one page for a batch (--targets): a section per diagnosis, in order."""
    worst = [d.status.value.upper() for d in diagnoses]
    body = [
        f"<h1>diagnose: {len(diagnoses)} targets ({escape(', '.join(sorted(set(worst))))})</h1>"
    ]
    for d in diagnoses:
        body += ["<section>", *diagnosis_sections(d, verbose=verbose, level=2), "</section>"]
    return page(f"diagnose: {len(diagnoses)} targets", body)


def render_incident(
    heading: str,
    facts: Sequence[str],
    events: Sequence[Event],
    changed: Sequence[str],
    latest: Diagnosis | None,
) -> str:
    """Return an incident as one page: what it is, its timeline, what changed, the last diagnosis."""
    body = [f"<header><h1>{escape(heading)}</h1>"]
    body += [f'<p class="context">{escape(line)}</p>' for line in facts]
    body.append("</header>")
    if events:
        body += ["<h2>Timeline (UTC)</h2>", timeline_html(events)]
    body.append("<h2>What changed</h2>")
    if changed:
        body += ["<ul>", *(f"<li>{escape(line)}</li>" for line in changed), "</ul>"]
    else:
        body.append("<p>Nothing was found.</p>" if latest else "<p>No diagnosis attached yet.</p>")
    if latest is not None:
        body += [
            "<h2>Latest diagnosis</h2>",
            "<section>",
            *diagnosis_sections(latest, level=2),
            "</section>",
        ]
    return page(heading, body)


def diagnosis_sections(d: Diagnosis, *, verbose: bool = False, level: int = 1) -> list[str]:
    """The body of a diagnosis: header, findings summary, charts, timeline, details, probes."""
    status = d.status.value
    h = f"h{level}"
    judged = len(d.findings) + sum(len(f.explains) for f in d.findings) + len(d.quiet)
    out = [
        f'<header class="{escape(status)}">',
        f"<{h}>{_badge(status)} {escape(answer(d)[0])}</{h}>",
        f'<p class="answer">{escape(answer(d)[1])}</p>',
        f'<p class="context">diagnose {escape(d.command)} {escape(d.target)}; run '
        f"{escape(d.started_at)} .. {escape(d.finished_at)}; {judged} checks, "
        f"{len(d.factset.probes)} probes"
        + (f", {len(d.inconclusive)} inconclusive" if d.inconclusive else "")
        + (f"; diagnose {escape(d.tool_version)}" if d.tool_version else "")
        + "</p>",
        "</header>",
    ]
    if d.checklist is not None:
        out += [
            f"<h2>{escape(d.checklist.title)}</h2>",
            f"<p>{escape(d.checklist.headline)}</p>",
            "<ul>",
        ]
        out += [
            f"<li><code>{escape(i.state.mark)}</code> {escape(i.item)}: {escape(i.evidence)}</li>"
            for i in d.checklist.items
        ]
        out.append("</ul>")
    if d.findings:
        out += ["<h2>Findings, most likely cause first</h2>", '<ol class="summary">']
        for f in d.findings:
            more = f" (explains {len(f.explains)})" if f.explains else ""
            out.append(
                f'<li>{_badge(effective_severity(f).value)} <a href="#{_anchor(f)}"><code>'
                f"{escape(f.id)}</code></a> {escape(f.title)}{escape(more)}</li>"
            )
        out.append("</ol>")
    drawn = charts(d)
    if drawn:
        out.append("<h2>Charts</h2>")
        for chart in drawn:
            legend = _legend(chart)
            out += [
                f'<figure class="{escape(chart.key)}">',
                svg(chart),
                f'<figcaption><span class="legend">{legend}</span>{escape(chart.note)}</figcaption>',
                "</figure>",
            ]
    events = timeline(d)
    if events:
        out += ["<h2>Timeline (UTC)</h2>", timeline_html(events)]
    for f in d.findings:
        out += _finding(f)
    if d.inconclusive:
        out += ["<h2>Inconclusive (could not be judged)</h2>", "<ul>"]
        out += [f"<li><code>{escape(i.id)}</code>: {escape(i.reason)}</li>" for i in d.inconclusive]
        out.append("</ul>")
    if verbose and d.quiet:
        out += [
            "<h2>Checked and quiet</h2>",
            "<p>" + ", ".join(f"<code>{escape(q)}</code>" for q in d.quiet) + "</p>",
        ]
    if d.notes:
        out += ["<h2>Notes</h2>", "<pre>" + escape("\n".join(d.notes)) + "</pre>"]
    out += [
        "<h2>Probes</h2>",
        "<table><tr><th>probe</th><th>status</th><th>ms</th><th>error</th></tr>",
        *(
            f"<tr><td>{escape(p.name)}</td><td>{escape(p.status.value)}</td>"
            f"<td>{p.duration_ms:.0f}</td><td>{escape(p.error or '')}</td></tr>"
            for p in d.factset.probes
        ),
        "</table>",
    ]
    if d.factset.invocation:
        out += [
            "<h2>Re-run</h2>",
            "<pre>" + escape(d.factset.invocation) + "</pre>",
            '<p class="muted">Add --save-facts facts.json to judge the same facts again later '
            "with diagnose replay facts.json.</p>",
        ]
    return out


def timeline_html(events: Sequence[Event]) -> str:
    """The timeline as a list (time and what happened), dots coloured by kind."""
    with_date = len({e.at.date() for e in events}) > 1
    fmt = "%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S"
    items = [
        f'<li class="{escape(e.kind)}"><time datetime="{escape(e.at.isoformat())}">'
        f"{escape(e.at.strftime(fmt))}</time>{escape(e.what)}</li>"
        for e in events
    ]
    return '<ol class="timeline">' + "".join(items) + "</ol>"


def _anchor(f: Finding) -> str:
    return "f-" + "".join(c if c.isalnum() or c in "-." else "-" for c in f.id)


def _link(ref: str) -> str:
    """A reference as a link when it is a web address, else as text (no javascript: links)."""
    if ref.startswith(("https://", "http://")):
        return f'<a href="{escape(ref, quote=True)}" rel="noreferrer">{escape(ref)}</a>'
    return escape(ref)


def _finding(f: Finding) -> list[str]:
    sev = f.severity.value
    out = [
        f'<article class="finding {escape(sev)}" id="{_anchor(f)}">',
        f"<h3>{f.rank}. {_badge(sev)} <code>{escape(f.id)}</code> {escape(f.title)}</h3>",
        f"<p>{escape(f.message)}</p>",
        f'<p class="meta">{escape(f.confidence.value)} confidence, score {f.score:g}</p>',
    ]
    if f.evidence:
        out += ["<h4>Evidence</h4>", "<ul>"]
        out += [f"<li><code>{escape(e)}</code></li>" for e in f.evidence]
        out.append("</ul>")
    if f.explains:
        out += ["<h4>Explains</h4>", "<ul>"]
        out += [
            f"<li><code>{escape(e.id)}</code> ({escape(e.severity.value)}): {escape(e.message)}</li>"
            for e in f.explains
        ]
        out.append("</ul>")
    if f.remediation:
        out += ["<h4>Fix</h4>", "<ol>"]
        out += [f"<li>{escape(step)}</li>" for step in f.remediation]
        out.append("</ol>")
    if f.commands:
        out += ["<h4>Run</h4>", "<pre>" + escape("\n".join(f.commands)) + "</pre>"]
    if f.references:
        out += ["<h4>See</h4>", "<ul>"] + [f"<li>{_link(r)}</li>" for r in f.references] + ["</ul>"]
    out.append("</article>")
    return out
