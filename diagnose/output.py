"""Where a diagnosis leaves the process: rendered, redacted, written, saved, attached."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput
from diagnose.model import Diagnosis, FactSet
from diagnose.redact import Redactor
from diagnose.rules.load import Rule
from diagnose.safefiles import write_file
from diagnose.settings import Common


def use_color(stream: Any, choice: str = "auto") -> bool:
    """Decide colour: --color always|never wins; else FORCE_COLOR/CLICOLOR_FORCE force it
    (force-color.org), a non-empty NO_COLOR refuses it (no-color.org), else only on a terminal."""
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("FORCE_COLOR", "") not in ("", "0") or os.environ.get(
        "CLICOLOR_FORCE", ""
    ) not in ("", "0"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def in_github_actions() -> bool:
    """True inside a GitHub Actions job (the runner sets GITHUB_ACTIONS=true)."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def report_to_github(diagnosis: Diagnosis, redactor: Redactor) -> None:
    """Annotations on stderr (stdout stays the report) and the job summary, when in Actions."""
    from diagnose.render.github import annotation_lines, step_summary

    sys.stderr.write(redactor.text(annotation_lines(diagnosis)))
    sys.stderr.flush()
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(redactor.text(step_summary(diagnosis)))
        except OSError as exc:
            raise BadInput(
                f"cannot write GITHUB_STEP_SUMMARY {summary}: {exc.strerror or exc}"
            ) from None


def write_text(text: str, path: Path | None, redactor: Redactor) -> None:
    """Write text to a file or stdout, always through the redactor."""
    safe = redactor.text(text)
    if path is None:
        sys.stdout.write(safe)
        sys.stdout.flush()
        return
    write_file(path, safe)  # atomic, never through a symlink, 0600: it holds evidence


def save_facts(factset: FactSet, path: Path, redactor: Redactor) -> None:
    """Write the facts for `diagnose replay`, redacted."""
    write_text(redactor.json(factset.to_json(), indent=2) + "\n", path, Redactor())


def finish(diagnosis: Diagnosis, common: Common, rules: Sequence[Rule] | None = None) -> int:
    """Render, write, JUnit, GitHub annotations, save facts, attach; return the exit code."""
    from diagnose.render import OutputFormat, renderer
    from diagnose.render.text import terminal_width

    redactor = common.redactor()
    fmt = OutputFormat(common.fmt)
    color = (
        common.output is None and fmt is OutputFormat.TEXT and use_color(sys.stdout, common.color)
    )
    render = renderer(
        fmt,
        color=color,
        verbose=common.verbose,
        brief=common.brief,
        redactor=redactor,
        width=terminal_width(),
    )
    write_text(render(diagnosis), common.output, redactor)
    if common.junit is not None:
        from diagnose.render.junit import render_junit

        judged = common.rules() if rules is None else rules
        write_text(render_junit(redactor.model(diagnosis), judged), common.junit, redactor)
    if in_github_actions():
        report_to_github(diagnosis, redactor)
    if common.save_facts is not None:
        save_facts(diagnosis.factset, common.save_facts, redactor)
    if common.attach:
        # The incident package owns where and how (local log, GitHub, Slack...); it is handed
        # the redactor so that nothing it stores or sends can carry a secret.
        from diagnose.incidents.attach import attach_diagnosis

        attach_diagnosis(diagnosis, common.attach, common.config, redactor)
    return diagnosis.status.exit_code


def write_many(diagnoses: Sequence[Diagnosis], common: Common) -> None:
    """Render every diagnosis: JSON lines for --format json, else one report after another."""
    from diagnose.render import OutputFormat, renderer
    from diagnose.render.json_out import render_json
    from diagnose.render.text import terminal_width

    redactor = common.redactor()
    fmt = OutputFormat(common.fmt)
    if fmt is OutputFormat.JSON:
        text = "".join(render_json(d, redactor, indent=None) for d in diagnoses)
    elif fmt is OutputFormat.HTML:
        from diagnose.render.html import render_html_many

        # One page for the batch: pages one after another would not be one HTML document.
        text = render_html_many([redactor.model(d) for d in diagnoses], verbose=common.verbose)
    else:
        color = (
            common.output is None
            and fmt is OutputFormat.TEXT
            and use_color(sys.stdout, common.color)
        )
        render = renderer(
            fmt,
            color=color,
            verbose=common.verbose,
            brief=common.brief,
            redactor=redactor,
            width=terminal_width(),
        )
        text = "\n".join(render(d).rstrip("\n") + "\n" for d in diagnoses)
    write_text(text, common.output, redactor)
