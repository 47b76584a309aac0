"""A closed operator tree for rule conditions: parsed from YAML, evaluated without Python eval.

A condition is `{all: [...]}`, `{any: [...]}`, `{not: ...}` or a leaf
`{fact: NAME, op: OP, value: V}` (or `value_fact: OTHER` to compare two facts).
Evaluation is three-valued: a fact that a failed probe should have provided is *unknown*, and
unknown propagates (Kleene logic) so that the rule is reported inconclusive, never quietly "ok".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

UNKNOWN = object()  # sentinel: the fact is not known (its probe failed or timed out)

Tri = bool | None  # True, False, or None for unknown


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _cmp(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    # Ordering needs two numbers or two strings; anything else (None included) is simply false,
    # so that "status >= 500" is false when there was no status at all.
    def op(a: Any, b: Any) -> bool:
        if (_num(a) and _num(b)) or (isinstance(a, str) and isinstance(b, str)):
            return fn(a, b)
        return False

    return op


def _contains(a: Any, b: Any) -> bool:
    if isinstance(a, str):
        return isinstance(b, str) and b in a
    if isinstance(a, list | tuple | dict):
        return b in a
    return False


def _matches(a: Any, pattern: Any) -> bool:
    rx = re.compile(str(pattern))
    if isinstance(a, str):
        return rx.search(a) is not None
    if isinstance(a, list | tuple):
        return any(isinstance(x, str) and rx.search(x) for x in a)
    return False


def _in(a: Any, b: Any) -> bool:
    return isinstance(b, list | tuple) and a in b


# op name -> (symbol shown in evidence, function, needs a value)
OPERATORS: dict[str, tuple[str, Callable[[Any, Any], bool], bool]] = {
    "eq": ("==", lambda a, b: a == b, True),
    "ne": ("!=", lambda a, b: a != b, True),
    "lt": ("<", _cmp(lambda a, b: a < b), True),
    "le": ("<=", _cmp(lambda a, b: a <= b), True),
    "gt": (">", _cmp(lambda a, b: a > b), True),
    "ge": (">=", _cmp(lambda a, b: a >= b), True),
    "in": ("in", _in, True),
    "not_in": ("not in", lambda a, b: not _in(a, b), True),
    "contains": ("contains", _contains, True),
    "not_contains": ("does not contain", lambda a, b: not _contains(a, b), True),
    "matches": ("matches", _matches, True),
    "exists": ("is set", lambda a, _b: a is not None and a != [] and a != "", False),
    "missing": ("is not set", lambda a, _b: a is None or a == [] or a == "", False),
    "is_true": ("is true", lambda a, _b: a is True, False),
    "is_false": ("is false", lambda a, _b: a is False, False),
}


def show(value: Any, limit: int = 160) -> str:
    """Render a fact value compactly for evidence and messages."""
    if isinstance(value, str):
        text = value
    elif value is None:
        text = "none"
    else:
        text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Condition:
    """A node of the tree."""

    def facts(self) -> set[str]:
        """Return every fact name the node reads."""
        raise NotImplementedError

    def evaluate(self, get: Callable[[str], Any]) -> tuple[Tri, list[str]]:
        """Return the verdict and the evidence lines that led to a true verdict."""
        raise NotImplementedError


@dataclass(frozen=True)
class Leaf(Condition):
    """One comparison of a fact with a value or with another fact."""

    fact: str
    op: str
    value: Any = None
    value_fact: str | None = None

    def facts(self) -> set[str]:
        """Return every fact name the leaf reads."""
        return {self.fact} | ({self.value_fact} if self.value_fact else set())

    def evaluate(self, get: Callable[[str], Any]) -> tuple[Tri, list[str]]:
        """Compare; unknown when a fact is unknown."""
        actual = get(self.fact)
        expected = get(self.value_fact) if self.value_fact else self.value
        if actual is UNKNOWN or expected is UNKNOWN:
            return None, []
        symbol, fn, needs_value = OPERATORS[self.op]
        result = bool(fn(actual, expected))
        if result and isinstance(actual, list) and self.op in ("matches", "contains"):
            # Quote the element that matched, not the head of the list.
            hit = next((x for x in actual if fn([x], expected)), None)
            return True, [f"{self.fact} has {show(hit)} ({symbol} {show(expected)})"]
        if not needs_value:
            line = f"{self.fact} ({show(actual)}) {symbol}"
        elif self.value_fact:
            line = f"{self.fact} ({show(actual)}) {symbol} {self.value_fact} ({show(expected)})"
        else:
            line = f"{self.fact} ({show(actual)}) {symbol} {show(expected)}"
        return result, [line] if result else []


@dataclass(frozen=True)
class AllOf(Condition):
    """True when every child is true."""

    items: tuple[Condition, ...]

    def facts(self) -> set[str]:
        """Return every fact name the children read."""
        return set().union(*(c.facts() for c in self.items))

    def evaluate(self, get: Callable[[str], Any]) -> tuple[Tri, list[str]]:
        """False wins over unknown, unknown over true."""
        evidence: list[str] = []
        unknown = False
        for child in self.items:
            verdict, lines = child.evaluate(get)
            if verdict is False:
                return False, []
            if verdict is None:
                unknown = True
            evidence.extend(lines)
        return (None, []) if unknown else (True, evidence)


@dataclass(frozen=True)
class AnyOf(Condition):
    """True when at least one child is true."""

    items: tuple[Condition, ...]

    def facts(self) -> set[str]:
        """Return every fact name the children read."""
        return set().union(*(c.facts() for c in self.items))

    def evaluate(self, get: Callable[[str], Any]) -> tuple[Tri, list[str]]:
        """True wins over unknown, unknown over false; evidence from every true child."""
        evidence: list[str] = []
        unknown = False
        hit = False
        for child in self.items:
            verdict, lines = child.evaluate(get)
            if verdict is True:
                hit = True
                evidence.extend(lines)
            elif verdict is None:
                unknown = True
        if hit:
            return True, evidence
        return (None, []) if unknown else (False, [])


@dataclass(frozen=True)
class Not(Condition):
    """Negation; its evidence is the negated child's text."""

    item: Condition

    def facts(self) -> set[str]:
        """Return every fact name the child reads."""
        return self.item.facts()

    def evaluate(self, get: Callable[[str], Any]) -> tuple[Tri, list[str]]:
        """Negate, keeping unknown unknown."""
        verdict, _ = self.item.evaluate(get)
        if verdict is None:
            return None, []
        if verdict:
            return False, []
        if isinstance(self.item, Leaf):
            return True, [f"not: {self.item.fact} ({show(get(self.item.fact))}) {self.item.op}"]
        return True, []


class ConditionError(ValueError):
    """A condition that cannot be parsed; `path` says where in the rule."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def parse(node: Any, path: str = "when") -> Condition:
    """Parse the YAML form into a tree, rejecting unknown keys and operators."""
    if not isinstance(node, Mapping):
        raise ConditionError("a condition must be a mapping", path)
    keys = set(node)
    for combinator, cls in (("all", AllOf), ("any", AnyOf)):
        if keys == {combinator}:
            items = node[combinator]
            if not isinstance(items, list) or not items:
                raise ConditionError(f"'{combinator}' needs a non-empty list", path)
            return cls(tuple(parse(c, f"{path}.{combinator}[{i}]") for i, c in enumerate(items)))
    if keys == {"not"}:
        return Not(parse(node["not"], f"{path}.not"))
    unknown = keys - {"fact", "op", "value", "value_fact"}
    if unknown:
        raise ConditionError(f"unknown key {sorted(unknown)[0]!r}", path)
    if "fact" not in node or "op" not in node:
        raise ConditionError("a leaf needs 'fact' and 'op' (or use all/any/not alone)", path)
    op = node["op"]
    if op not in OPERATORS:
        raise ConditionError(f"unknown operator {op!r} (known: {', '.join(OPERATORS)})", path)
    needs_value = OPERATORS[op][2]
    has_value = "value" in node or "value_fact" in node
    if needs_value and not has_value:
        raise ConditionError(f"operator {op!r} needs 'value' or 'value_fact'", path)
    if not needs_value and has_value:
        raise ConditionError(f"operator {op!r} takes no value", path)
    if "value" in node and "value_fact" in node:
        raise ConditionError("give 'value' or 'value_fact', not both", path)
    if op == "matches":
        try:
            re.compile(str(node["value"]))
        except re.error as exc:
            raise ConditionError(f"bad regular expression: {exc}", path) from exc
    if op in ("in", "not_in") and "value" in node and not isinstance(node["value"], list):
        raise ConditionError(f"operator {op!r} needs a list value", path)
    return Leaf(str(node["fact"]), op, node.get("value"), node.get("value_fact"))
