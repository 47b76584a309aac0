"""Reading the JSON files a user hands over (saved facts, a diagnosis to attach)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput
from diagnose.model import FactSet


def read_json_object(path: str, what: str) -> dict[str, Any]:
    """Read a JSON object from a file or `-`; raise BadInput naming the file, line and problem."""
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise BadInput(f"{path}: not {what}: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: not {what} (expected a JSON object)")
    return data


def load_facts(path: str) -> FactSet:
    """Read a facts file written by --save-facts; raise BadInput naming what is wrong."""
    data = read_json_object(path, "a facts file")
    try:
        return FactSet.from_json(data)
    except KeyError as exc:
        raise BadInput(f"{path}: not a facts file: missing key {exc}") from None
    except (ValueError, TypeError) as exc:
        raise BadInput(f"{path}: not a facts file: {exc}") from None
