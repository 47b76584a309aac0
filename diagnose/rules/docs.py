"""The rule reference, generated from the rule files (docs/rules.md)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from diagnose.rules.load import Rule


def render_rule_docs(rules: Sequence[Rule]) -> str:
    """Return Markdown documenting every rule, grouped by family."""
    out = [
        "# Rule reference",
        "",
        "Generated from `rules/` by `diagnose rules docs -o docs/rules.md`; a test fails when it is stale.",
        "",
    ]
    ordered = sorted(rules, key=lambda r: r.id)
    out += ["| id | severity | confidence | title |", "|---|---|---|---|"]
    out += [
        f"| [`{r.id}`](#{r.id.replace('.', '')}) | {r.severity.value} | {r.confidence.value} | {r.title} |"
        for r in ordered
    ]
    out.append("")
    for family, members in groupby(ordered, key=lambda r: r.family):
        out += [f"## {family}", ""]
        for r in members:
            out += [
                f"### {r.id}",
                "",
                f"**{r.title}** — {r.severity.value}, {r.confidence.value} confidence.",
                "",
            ]
            if r.description:
                out += [r.description.strip(), ""]
            for var, subjects in r.when.variables().items():
                out += [
                    f"For each `${var}` in {', '.join(subjects)}; the message names the first that fires.",
                    "",
                ]
            out += [f"Message: {r.message.strip()}", ""]
            if r.explains:
                out += ["Explains: " + ", ".join(f"`{e}`" for e in r.explains), ""]
            out += ["Fix:", ""] + [f"{i}. {s}" for i, s in enumerate(r.remediation, 1)] + [""]
            if r.commands:
                out += ["```sh", *r.commands, "```", ""]
            if r.references:
                out += ["See: " + ", ".join(f"<{u}>" for u in r.references), ""]
    return "\n".join(out)
