"""Text output for a terminal: the answer first, then the findings, details and notes."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterable

from diagnose.model import Checklist, Diagnosis, Finding, Severity, Status

_COLORS = {
    "critical": "\033[1;31m",
    "warning": "\033[1;33m",
    "info": "\033[36m",
    "ok": "\033[1;32m",
    "unknown": "\033[1;35m",
    "dim": "\033[2m",
    "pass": "\033[1;32m",
    "fail": "\033[1;31m",
    "inconclusive": "\033[1;35m",
    "bold": "\033[1m",
}
_RESET = "\033[0m"
_ORDER = {Severity.CRITICAL: 3, Severity.WARNING: 2, Severity.INFO: 1}
# A report read in a pipe or a CI log still wraps: 100 columns reads well in both.
_FALLBACK_WIDTH = 100
_MIN_WIDTH = 40

Paint = Callable[[str, str], str]


def _painter(color: bool) -> Paint:
    def paint(text: str, style: str) -> str:
        return f"{_COLORS[style]}{text}{_RESET}" if color else text

    return paint


def terminal_width() -> int:
    """Return the width to wrap at: COLUMNS, else the terminal's, else 100 (for output.py only)."""
    return shutil.get_terminal_size((_FALLBACK_WIDTH, 24)).columns


def effective_severity(f: Finding) -> Severity:
    """Return the worse of a finding's own severity and that of the symptoms it explains."""
    return max((f.severity, *(e.severity for e in f.explains)), key=_ORDER.__getitem__)


def headline_finding(d: Diagnosis) -> Finding | None:
    """Return the top-ranked finding that carries the overall status (the answer on line 1)."""
    for f in d.findings:
        if effective_severity(f).value == d.status.value:
            return f
    return d.findings[0] if d.findings else None


def _wrap(text: str, width: int, indent: str = "", hang: str | None = None) -> list[str]:
    """Wrap prose at word boundaries; a word longer than the line (a URL) is left whole."""
    return textwrap.wrap(
        text,
        width=max(width, _MIN_WIDTH),
        initial_indent=indent,
        subsequent_indent=indent if hang is None else hang,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _headline(d: Diagnosis) -> str:
    """Line 1 in plain text: the status, then the top cause's id and message, or what passed."""
    status = d.status.value.upper()
    top = headline_finding(d)
    if top is not None:
        return f"{status} {top.id}: {top.message}"
    if d.status is Status.OK:
        return f"{status} {d.command}: {_count(len(d.quiet), 'check')} passed"
    if d.inconclusive:
        return f"{status} {d.command}: {_count(len(d.inconclusive), 'check')} could not be judged"
    failed = [p for p in d.factset.probes if p.error]
    if failed:
        return f"{status} {d.command}: probe {failed[0].name} {failed[0].status.value}"
    return f"{status} {d.command}: nothing was checked"


def _window(d: Diagnosis) -> str:
    """Return 'since .. until ..' when a probe recorded the window it read, else ''."""
    facts = d.factset.facts
    since = next(
        (v for k, v in facts.items() if k.endswith((".window_since", ".window_start"))), None
    )
    until = next(
        (v for k, v in facts.items() if k.endswith((".window_until", ".window_end"))), None
    )
    if since and until:
        return f"window {since} .. {until}"
    return f"since {since}" if since else ""


def _context(d: Diagnosis) -> str:
    """Line 2: the command and target, the window, what was checked."""
    judged = len(d.findings) + sum(len(f.explains) for f in d.findings) + len(d.quiet)
    parts = [f"diagnose {d.command}" + (f" {d.target}" if d.target else "")]
    if window := _window(d):
        parts.append(window)
    checked = f"{_count(judged, 'check')}, {_count(len(d.factset.probes), 'probe')}"
    if d.inconclusive:
        checked += f", {len(d.inconclusive)} inconclusive"
    parts.append(checked)
    return "; ".join(parts)


def _summary_lines(f: Finding, paint: Paint, width: int) -> list[str]:
    """One finding on one line (wrapped if it must): rank, severity, id, title."""
    sev = effective_severity(f)
    label = f"{sev.value.upper():<8}"
    more = f" (explains {len(f.explains)})" if f.explains else ""
    lines = _wrap(f"{f.rank}. {label} {f.id}: {f.title}{more}", width, "  ", "      ")
    lead = f"  {f.rank}. "
    lines[0] = lead + paint(label, sev.value) + lines[0][len(lead) + len(label) :]
    return lines


def first_screen(d: Diagnosis, *, color: bool = False, width: int | None = None) -> list[str]:
    """Return the answer: headline, context, checklist, one line per finding (--brief)."""
    paint = _painter(color)
    width = width or _FALLBACK_WIDTH  # pure: the caller measures the terminal
    head = _wrap(_headline(d), width, "", "  ")
    status = d.status.value.upper()
    head[0] = paint(status, d.status.value) + head[0][len(status) :]
    lines = [*head, *_wrap(_context(d), width, "  ", "    ")]
    if d.checklist is not None:
        lines.extend(_checklist(d.checklist, paint))
    for f in d.findings:
        lines.extend(_summary_lines(f, paint, width))
    return lines


def render_text(
    diagnosis: Diagnosis,
    *,
    color: bool = False,
    verbose: bool = False,
    brief: bool = False,
    width: int | None = None,
) -> str:
    """Return the human-readable report: the first screen, details, inconclusive, notes."""
    d = diagnosis
    width = width or _FALLBACK_WIDTH
    paint = _painter(color)
    lines = first_screen(d, color=color, width=width)
    if brief:
        return "\n".join(lines) + "\n"
    for finding in d.findings:
        lines.append("")
        lines.extend(_finding(finding, paint, width))
    if d.inconclusive:
        lines.append("")
        lines.append(paint("Inconclusive (could not be judged):", "unknown"))
        for item in d.inconclusive if verbose else d.inconclusive[:5]:
            lines.extend(_wrap(f"? {item.id}: {item.reason}", width, "  ", "    "))
        if not verbose and len(d.inconclusive) > 5:
            lines.append(f"  ... {len(d.inconclusive) - 5} more (use -v)")
    if verbose and d.quiet:
        lines.append("")
        lines.extend(_wrap("Checked and quiet: " + ", ".join(d.quiet), width, "", "  "))
    if d.notes:
        lines.append("")
        for note in d.notes:
            lines.extend(_wrap(f"note: {note}", width, "  ", "    "))
    lines.append("")
    probes = ", ".join(
        f"{p.name} {p.status.value} {p.duration_ms:.0f} ms" + (f" ({p.error})" if p.error else "")
        for p in d.factset.probes
    )
    lines.extend(
        paint(x, "dim") for x in _wrap(f"probes: {probes or 'none (replayed facts)'}", width)
    )
    return "\n".join(lines) + "\n"


def _checklist(checklist: Checklist, paint: Paint) -> list[str]:
    """The headline, then one line per item: its mark, its label, what shows it."""
    return [
        f"  {checklist.headline}",
        *(
            f"  {paint(i.state.mark, i.state.value)} {i.item}: {i.evidence}"
            for i in checklist.items
        ),
    ]


def _bullets(items: Iterable[str], width: int, indent: str) -> list[str]:
    out: list[str] = []
    for item in items:
        out.extend(_wrap(item, width, indent, " " * len(indent) + "  "))
    return out


def _finding(f: Finding, paint: Paint, width: int) -> list[str]:
    tag = f"[{f.severity.value.upper()}]"
    head = _wrap(f"{f.rank}. {tag} {f.id}: {f.title}", width, "", "   ")
    lead = f"{f.rank}. {tag} {f.id}"
    if head[0].startswith(lead):
        head[0] = (
            f"{f.rank}. {paint(tag, f.severity.value)} {paint(f.id, 'bold')}" + head[0][len(lead) :]
        )
    out = [*head, *_wrap(f"({f.confidence.value} confidence, score {f.score:g})", width, "   ")]
    out.extend(_wrap(f.message, width, "   "))
    if f.evidence:
        out.append("   evidence:")
        out.extend(_bullets((f"- {e}" for e in f.evidence), width, "     "))
    if f.explains:
        out.append("   explains:")
        for e in f.explains:
            out.extend(
                _wrap(f"- {e.id} ({e.severity.value}): {e.message}", width, "     ", "       ")
            )
    if f.remediation:
        out.append("   fix:")
        out.extend(
            _bullets((f"{i}. {step}" for i, step in enumerate(f.remediation, 1)), width, "     ")
        )
    if f.commands:
        # Commands are never wrapped: they must paste as one line.
        out.append("   run:")
        out.extend(f"     $ {c}" for c in f.commands)
    if f.references:
        out.append("   see:")
        out.extend(f"     {r}" for r in f.references)
    return out
