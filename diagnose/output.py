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
from diagnose.settings import Common


def use_color(stream: Any) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (no-color.org)."""
    return "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


def write_text(text: str, path: Path | None, redactor: Redactor) -> None:
    """Write text to a file or stdout, always through the redactor."""
    safe = redactor.text(text)
    if path is None:
        sys.stdout.write(safe)
        sys.stdout.flush()
        return
    try:
        path.write_text(safe, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}") from None


def save_facts(factset: FactSet, path: Path, redactor: Redactor) -> None:
    """Write the facts for `diagnose replay`, redacted."""
    write_text(redactor.json(factset.to_json(), indent=2) + "\n", path, Redactor())


def finish(diagnosis: Diagnosis, common: Common) -> int:
    """Render, write, save facts, attach; return the exit code."""
    from diagnose.render import OutputFormat, renderer

    redactor = common.redactor()
    fmt = OutputFormat(common.fmt)
    color = common.output is None and fmt is OutputFormat.TEXT and use_color(sys.stdout)
    text = renderer(fmt, color=color, verbose=common.verbose, redactor=redactor)(diagnosis)
    write_text(text, common.output, redactor)
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

    redactor = common.redactor()
    fmt = OutputFormat(common.fmt)
    if fmt is OutputFormat.JSON:
        text = "".join(render_json(d, redactor, indent=None) for d in diagnoses)
    else:
        color = common.output is None and fmt is OutputFormat.TEXT and use_color(sys.stdout)
        render = renderer(fmt, color=color, verbose=common.verbose)
        text = "\n".join(render(d).rstrip("\n") + "\n" for d in diagnoses)
    write_text(text, common.output, redactor)
