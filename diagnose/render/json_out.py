"""JSON output: the diagnose/diagnosis@1 document."""

from __future__ import annotations

import json

from diagnose.model import Diagnosis


def render_json(diagnosis: Diagnosis) -> str:
    """Return the diagnosis as indented JSON (stdout holds only this)."""
    return json.dumps(diagnosis.to_json(), indent=2, default=str) + "\n"
