"""The `checklist:` block of a rule: the checklist line that the rule decides.

The rule fires when the item fails. The block says what the line is called, what to give when
the rule could not be judged at all, how to word a pass, and when a quiet rule proves nothing
(no cron ran, so "no cron stopped" is not a pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagnose.rules.conditions import Condition, ConditionError, parse

ITEM_KEYS = ("label", "needs", "passed", "unconfirmed")
UNCONFIRMED_KEYS = ("when", "say")


@dataclass(frozen=True)
class ItemSpec:
    """One checklist line: its label, and the templates that word each state."""

    label: str
    needs: str = ""  # the options to give when the item could not be checked
    passed: tuple[str, ...] = ()  # parts of the evidence of a pass, joined with ", "
    unconfirmed: tuple[Unconfirmed, ...] = ()  # when a quiet rule proves nothing, and why

    def templates(self) -> tuple[str, ...]:
        """Return every template of the item (fact names in braces)."""
        return (*self.passed, *(u.say for u in self.unconfirmed))

    def condition_facts(self) -> set[str]:
        """Return the fact names its 'unconfirmed' conditions read."""
        return set().union(*(u.when.facts() for u in self.unconfirmed))


@dataclass(frozen=True)
class Unconfirmed:
    """A condition under which a quiet rule proves nothing, and the reason to show."""

    when: Condition
    say: str


class ItemError(ValueError):
    """A checklist block that cannot be read; `path` says where in it."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


def _text(node: Mapping[str, Any], key: str, required: bool = False) -> str:
    value = node.get(key, "")
    if required and not value:
        raise ItemError(f"'{key}' is required", key)
    if not isinstance(value, str):
        raise ItemError(f"'{key}' must be a string", key)
    return value


def parse_item(node: Any) -> ItemSpec:
    """Parse and check a rule's `checklist:` mapping."""
    if not isinstance(node, Mapping):
        raise ItemError("'checklist' must be a mapping (label, needs, passed, unconfirmed)")
    for key in node:
        if key not in ITEM_KEYS:
            raise ItemError(f"unknown key {key!r} (known: {', '.join(ITEM_KEYS)})", str(key))
    passed = node.get("passed", [])
    parts = [passed] if isinstance(passed, str) else passed
    if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
        raise ItemError("'passed' must be a string or a non-empty list of strings", "passed")
    block = node.get("unconfirmed", [])
    blocks = [block] if isinstance(block, Mapping) else block
    if not isinstance(blocks, list):
        raise ItemError("'unconfirmed' must be a mapping or a list of them", "unconfirmed")
    return ItemSpec(
        label=_text(node, "label", required=True),
        needs=_text(node, "needs"),
        passed=tuple(parts),
        unconfirmed=tuple(
            _unconfirmed(b, f"unconfirmed[{i}]" if blocks is block else "unconfirmed")
            for i, b in enumerate(blocks)
        ),
    )


def _unconfirmed(block: Any, path: str) -> Unconfirmed:
    if not isinstance(block, Mapping) or set(block) != set(UNCONFIRMED_KEYS):
        raise ItemError(f"'{path}' needs 'when' (a condition) and 'say' (a text)", path)
    try:
        when = parse(block["when"], f"{path}.when")
    except ConditionError as exc:
        raise ItemError(str(exc), exc.path) from None
    return Unconfirmed(when, _text(block, "say", required=True))
