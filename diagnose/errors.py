"""The one exception type that becomes "one clear line and exit 3"."""

from __future__ import annotations


class BadInput(Exception):
    """Input the user can fix: a file, a value or a rule that is wrong. Exit 3, no traceback."""
