"""Renderers: pure functions from a Diagnosis to text. Colour is decided by the caller."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from diagnose.model import Diagnosis
from diagnose.redact import Redactor
from diagnose.render.html import render_html
from diagnose.render.json_out import render_json
from diagnose.render.markdown import render_markdown
from diagnose.render.text import render_text


class OutputFormat(StrEnum):
    """The formats every diagnosing command can write."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


def renderer(
    fmt: OutputFormat,
    *,
    color: bool = False,
    verbose: bool = False,
    brief: bool = False,
    redactor: Redactor | None = None,
    width: int | None = None,
) -> Callable[[Diagnosis], str]:
    """Return the renderer for a format: the diagnosis is masked before it is escaped or cut."""
    mask = redactor or Redactor()
    if fmt is OutputFormat.JSON:
        return lambda d: render_json(d, mask)
    if fmt is OutputFormat.HTML:
        return lambda d: render_html(mask.model(d), verbose=verbose)
    if fmt is OutputFormat.MARKDOWN:
        return lambda d: render_markdown(mask.model(d), verbose=verbose)
    return lambda d: render_text(
        mask.model(d), color=color, verbose=verbose, brief=brief, width=width
    )
