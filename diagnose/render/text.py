"""Text output for a terminal: ranked findings, evidence, fixes; colour only when asked."""

from __future__ import annotations

from collections.abc import Callable

from diagnose.model import Checklist, Diagnosis, Finding, Status

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


def _painter(color: bool) -> Callable[[str, str], str]:
    def paint(text: str, style: str) -> str:
        return f"{_COLORS[style]}{text}{_RESET}" if color else text

    return paint


def render_text(diagnosis: Diagnosis, *, color: bool = False, verbose: bool = False) -> str:
    """Return the human-readable report."""
    paint = _painter(color)
    d = diagnosis
    lines: list[str] = []
    count = len(d.findings)
    head = f"diagnose {d.command} {d.target}".rstrip()
    verdict = paint(d.status.value.upper(), d.status.value)
    summary = f"{count} finding{'s' if count != 1 else ''}"
    if d.inconclusive:
        summary += f", {len(d.inconclusive)} inconclusive"
    lines.append(f"{head}: {verdict} ({summary})")
    if d.status is Status.OK and not d.findings:
        lines.append(f"  {len(d.quiet)} checks passed.")
    if d.checklist is not None:
        lines.extend(_checklist(d.checklist, paint))
    for note in d.notes:
        lines.append(f"  note: {note}")
    for finding in d.findings:
        lines.append("")
        lines.extend(_finding(finding, paint))
    if d.inconclusive:
        lines.append("")
        lines.append(paint("Inconclusive (could not be judged):", "unknown"))
        for item in d.inconclusive if verbose else d.inconclusive[:5]:
            lines.append(f"  ? {item.id}: {item.reason}")
        if not verbose and len(d.inconclusive) > 5:
            lines.append(f"  ... {len(d.inconclusive) - 5} more (use -v)")
    if verbose and d.quiet:
        lines.append("")
        lines.append("Checked and quiet: " + ", ".join(d.quiet))
    lines.append("")
    probes = ", ".join(
        f"{p.name} {p.status.value} {p.duration_ms:.0f} ms" + (f" ({p.error})" if p.error else "")
        for p in d.factset.probes
    )
    lines.append(paint(f"probes: {probes or 'none (replayed facts)'}", "dim"))
    return "\n".join(lines) + "\n"


def _checklist(checklist: Checklist, paint: Callable[[str, str], str]) -> list[str]:
    """The headline, then one line per item: its mark, its label, what shows it."""
    return [
        f"  {checklist.headline}",
        *(
            f"  {paint(i.state.mark, i.state.value)} {i.item}: {i.evidence}"
            for i in checklist.items
        ),
    ]


def _finding(f: Finding, paint: Callable[[str, str], str]) -> list[str]:
    tag = paint(f"[{f.severity.value.upper()}]", f.severity.value)
    out = [
        f"{f.rank}. {tag} {paint(f.id, 'bold')}: {f.title}  (score {f.score:g}, {f.confidence.value} confidence)"
    ]
    out.append(f"   {f.message}")
    if f.evidence:
        out.append("   evidence:")
        out.extend(f"     - {e}" for e in f.evidence)
    if f.explains:
        out.append("   explains:")
        for e in f.explains:
            sev = paint(e.severity.value, e.severity.value)
            out.append(f"     - {e.id} ({sev}): {e.message}")
    if f.remediation:
        out.append("   fix:")
        out.extend(f"     {i}. {step}" for i, step in enumerate(f.remediation, 1))
    if f.commands:
        out.append("   run:")
        out.extend(f"     $ {c}" for c in f.commands)
    if f.references:
        out.append("   see: " + "  ".join(f.references))
    return out
