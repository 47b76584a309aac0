"""JSON output: the diagnose/diagnosis@1 document, masked as data so that it stays valid JSON."""

from __future__ import annotations

from diagnose.model import Diagnosis
from diagnose.redact import Redactor


def render_json(
    diagnosis: Diagnosis, redactor: Redactor | None = None, *, indent: int | None = 2
) -> str:
    """Return the diagnosis as JSON (indented, or one line with indent=None), secrets masked."""
    # Masking the data (not the dump) keeps every string a string: the document stays valid.
    return (redactor or Redactor()).json(diagnosis.to_json(), indent=indent, default=str) + "\n"
