"""A closed operator tree for rule conditions: parsed from YAML, evaluated without Python eval.

A condition is `{all: [...]}`, `{any: [...]}`, `{not: ...}`, a quantifier
`{each: VAR, in: [SUBJECT...], where: ...}` or a leaf `{fact: NAME, op: OP, value: V}` (or
`value_fact: OTHER` to compare two facts). Inside `where`, `$VAR` in a fact name stands for each
subject in turn (`smoke.$check.status`); the quantifier holds when it holds for at least one, and
remembers which ones, so that the rule's message can name the subject that fired.
Evaluation is three-valued: a fact that a failed probe should have provided is *unknown*, and
unknown propagates (Kleene logic) so that the rule is reported inconclusive, never quietly "ok".
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from diagnose.rules.regex import PatternError, compile_pattern, group_count

UNKNOWN = object()  # sentinel: the fact is not known (its probe failed or timed out)

Tri = bool | None  # True, False, or None for unknown
# A quantifier's variable -> the subjects for which its condition held, in the order of `in:`.
Bound = dict[str, tuple[str, ...]]

VAR_RX = re.compile(r"\$([a-z_][a-z0-9_]*)")
SUBJECT_RX = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Outcome(NamedTuple):
    """A condition's verdict, the evidence for a true one, and what its quantifiers bound."""

    verdict: Tri
    evidence: list[str]
    bound: Bound


def _merge(into: Bound, more: Bound) -> None:
    # The first binding of a variable wins: it is the one the message names.
    for var, subjects in more.items():
        into.setdefault(var, subjects)


def substitute(name: str, bound: Mapping[str, str]) -> str:
    """Return a fact name with each bound `$var` replaced by its subject."""
    return VAR_RX.sub(lambda m: bound.get(m.group(1), m.group(0)), name)


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


def _matches(
    a: Any, pattern: Any, exclude: str | None = None, differ: tuple[int, int] | None = None
) -> bool:
    """True when the string (or a string of the list) matches `pattern`, does not match
    `exclude`, and, with `differ`, the match's two groups differ (RE2 has no lookaround and no
    backreferences: these say what they were used for, in linear time)."""
    try:
        rx = compile_pattern(str(pattern))
        ex = compile_pattern(exclude) if exclude is not None else None
    except PatternError:
        return False  # a pattern from a fact that RE2 cannot run matches nothing

    def one(x: Any) -> bool:
        if not isinstance(x, str) or (m := rx.search(x)) is None:
            return False
        if ex is not None and ex.search(x) is not None:
            return False
        return differ is None or m.group(differ[0]) != m.group(differ[1])

    if isinstance(a, list | tuple):
        return any(one(x) for x in a)
    return one(a)


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

    def judge(self, get: Callable[[str], Any]) -> Outcome:
        """Return the verdict, the evidence for a true one, and the quantifiers' subjects."""
        raise NotImplementedError

    def evaluate(self, get: Callable[[str], Any]) -> tuple[Tri, list[str]]:
        """Return the verdict and the evidence lines that led to a true verdict."""
        verdict, evidence, _ = self.judge(get)
        return verdict, evidence

    def variables(self) -> dict[str, tuple[str, ...]]:
        """Return the variables a true verdict binds (not those under `not`), with their subjects."""
        return {}


@dataclass(frozen=True)
class Leaf(Condition):
    """One comparison of a fact with a value or with another fact."""

    fact: str
    op: str
    value: Any = None
    value_fact: str | None = None
    exclude: str | None = None  # `except:` of a matches leaf
    groups_differ: tuple[int, int] | None = None

    def facts(self) -> set[str]:
        """Return every fact name the leaf reads."""
        return {self.fact} | ({self.value_fact} if self.value_fact else set())

    def judge(self, get: Callable[[str], Any]) -> Outcome:
        """Compare; unknown when a fact is unknown."""
        actual = get(self.fact)
        expected = get(self.value_fact) if self.value_fact else self.value
        if actual is UNKNOWN or expected is UNKNOWN:
            return Outcome(None, [], {})
        symbol, fn, needs_value = OPERATORS[self.op]
        if self.op == "matches" and (self.exclude is not None or self.groups_differ is not None):
            fn = functools.partial(_matches, exclude=self.exclude, differ=self.groups_differ)
        result = bool(fn(actual, expected))
        if result and isinstance(actual, list) and self.op in ("matches", "contains"):
            # Quote the element that matched, not the head of the list.
            hit = next((x for x in actual if fn([x], expected)), None)
            return Outcome(True, [f"{self.fact} has {show(hit)} ({symbol} {show(expected)})"], {})
        if not needs_value:
            line = f"{self.fact} ({show(actual)}) {symbol}"
        elif self.value_fact:
            line = f"{self.fact} ({show(actual)}) {symbol} {self.value_fact} ({show(expected)})"
        else:
            line = f"{self.fact} ({show(actual)}) {symbol} {show(expected)}"
        return Outcome(result, [line] if result else [], {})


@dataclass(frozen=True)
class AllOf(Condition):
    """True when every child is true."""

    items: tuple[Condition, ...]

    def facts(self) -> set[str]:
        """Return every fact name the children read."""
        return set().union(*(c.facts() for c in self.items))

    def judge(self, get: Callable[[str], Any]) -> Outcome:
        """False wins over unknown, unknown over true."""
        evidence: list[str] = []
        bound: Bound = {}
        unknown = False
        for child in self.items:
            verdict, lines, binds = child.judge(get)
            if verdict is False:
                return Outcome(False, [], {})
            if verdict is None:
                unknown = True
            evidence.extend(lines)
            _merge(bound, binds)
        return Outcome(None, [], {}) if unknown else Outcome(True, evidence, bound)

    def variables(self) -> dict[str, tuple[str, ...]]:
        """Return what the children bind."""
        return _variables(self.items)


@dataclass(frozen=True)
class AnyOf(Condition):
    """True when at least one child is true."""

    items: tuple[Condition, ...]

    def facts(self) -> set[str]:
        """Return every fact name the children read."""
        return set().union(*(c.facts() for c in self.items))

    def judge(self, get: Callable[[str], Any]) -> Outcome:
        """True wins over unknown, unknown over false; evidence from every true child."""
        return _some(child.judge(get) for child in self.items)

    def variables(self) -> dict[str, tuple[str, ...]]:
        """Return what the children bind."""
        return _variables(self.items)


@dataclass(frozen=True)
class Not(Condition):
    """Negation; its evidence is the negated child's text."""

    item: Condition

    def facts(self) -> set[str]:
        """Return every fact name the child reads."""
        return self.item.facts()

    def judge(self, get: Callable[[str], Any]) -> Outcome:
        """Negate, keeping unknown unknown; a negation binds nothing (no subject made it true)."""
        verdict = self.item.judge(get).verdict
        if verdict is None:
            return Outcome(None, [], {})
        if verdict:
            return Outcome(False, [], {})
        if isinstance(self.item, Leaf):
            line = f"not: {self.item.fact} ({show(get(self.item.fact))}) {self.item.op}"
            return Outcome(True, [line], {})
        return Outcome(True, [], {})


@dataclass(frozen=True)
class Each(Condition):
    """True when the body holds for at least one subject; binds `var` to those for which it does."""

    var: str
    subjects: tuple[str, ...]
    bodies: tuple[Condition, ...] = field(repr=False)  # one per subject, `$var` filled in

    def facts(self) -> set[str]:
        """Return every fact name the bodies read, for every subject."""
        return set().union(*(b.facts() for b in self.bodies))

    def judge(self, get: Callable[[str], Any]) -> Outcome:
        """Like `any` over the subjects; the subjects that held are bound, in `in:` order."""
        outcomes = [body.judge(get) for body in self.bodies]
        result = _some(outcomes)
        if result.verdict:
            held = tuple(s for s, o in zip(self.subjects, outcomes, strict=True) if o.verdict)
            result.bound[self.var] = held
        return result

    def variables(self) -> dict[str, tuple[str, ...]]:
        """Return this variable and what the bodies bind."""
        return {self.var: self.subjects, **_variables(self.bodies)}


def _some(outcomes: Iterable[Outcome]) -> Outcome:
    """Return the disjunction: true wins over unknown, unknown over false."""
    evidence: list[str] = []
    bound: Bound = {}
    unknown = False
    hit = False
    for verdict, lines, binds in outcomes:
        if verdict is True:
            hit = True
            evidence.extend(lines)
            _merge(bound, binds)
        elif verdict is None:
            unknown = True
    if hit:
        return Outcome(True, evidence, bound)
    return Outcome(None, [], {}) if unknown else Outcome(False, [], {})


def _variables(items: Iterable[Condition]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for item in items:
        for var, subjects in item.variables().items():
            out.setdefault(var, subjects)
    return out


class ConditionError(ValueError):
    """A condition that cannot be parsed; `path` says where in the rule."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def parse(node: Any, path: str = "when", bound: frozenset[str] = frozenset()) -> Condition:
    """Parse the YAML form into a tree, rejecting unknown keys, operators and unbound `$vars`."""
    if not isinstance(node, Mapping):
        raise ConditionError("a condition must be a mapping", path)
    keys = set(node)
    for combinator, cls in (("all", AllOf), ("any", AnyOf)):
        if keys == {combinator}:
            items = node[combinator]
            if not isinstance(items, list) or not items:
                raise ConditionError(f"'{combinator}' needs a non-empty list", path)
            return cls(
                tuple(parse(c, f"{path}.{combinator}[{i}]", bound) for i, c in enumerate(items))
            )
    if keys == {"not"}:
        return Not(parse(node["not"], f"{path}.not", bound))
    if "each" in keys:
        return _parse_each(node, path, bound)
    unknown = keys - {"fact", "op", "value", "value_fact", "except", "groups_differ"}
    if unknown:
        raise ConditionError(f"unknown key {sorted(unknown)[0]!r}", path)
    if keys & {"except", "groups_differ"} and node.get("op") != "matches":
        raise ConditionError("'except' and 'groups_differ' go with op: matches only", path)
    if "fact" not in node or "op" not in node:
        raise ConditionError("a leaf needs 'fact' and 'op' (or use all/any/not/each alone)", path)
    for key in ("fact", "value_fact"):
        for var in VAR_RX.findall(str(node.get(key) or "")):
            if var not in bound:
                raise ConditionError(f"{key} uses ${var}, which no enclosing 'each' binds", path)
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
    exclude, differ = _matches_extras(node, path) if op == "matches" else (None, None)
    if op in ("in", "not_in") and "value" in node and not isinstance(node["value"], list):
        raise ConditionError(f"operator {op!r} needs a list value", path)
    return Leaf(str(node["fact"]), op, node.get("value"), node.get("value_fact"), exclude, differ)


def _pattern(node: Mapping[str, Any], key: str, path: str) -> str:
    """Return the pattern under `key`, compiled once by the rule engine to prove it runs."""
    pattern = node[key]
    if not isinstance(pattern, str):
        raise ConditionError(f"{key}: a matches pattern must be a string", path)
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        raise ConditionError(f"{key}: bad regular expression: {exc}", path) from None
    return pattern


def _matches_extras(
    node: Mapping[str, Any], path: str
) -> tuple[str | None, tuple[int, int] | None]:
    """Check a matches leaf's pattern, `except` and `groups_differ`; return the last two."""
    groups = group_count(_pattern(node, "value", path)) if "value" in node else None
    exclude = _pattern(node, "except", path) if "except" in node else None
    if "groups_differ" not in node:
        return exclude, None
    pair = node["groups_differ"]
    if (
        not isinstance(pair, list)
        or len(pair) != 2
        or not all(isinstance(g, int) and not isinstance(g, bool) for g in pair)
        or pair[0] == pair[1]
    ):
        raise ConditionError("'groups_differ' needs two different group numbers: [1, 2]", path)
    if groups is None or not all(1 <= g <= groups for g in pair):
        raise ConditionError(
            f"'groups_differ' names group {max(pair)}, but the pattern has {groups or 0}", path
        )
    return exclude, (pair[0], pair[1])


def _parse_each(node: Mapping[str, Any], path: str, bound: frozenset[str]) -> Each:
    """Parse `{each: VAR, in: [SUBJECT...], where: CONDITION}` into one body per subject."""
    if unknown := set(node) - {"each", "in", "where"}:
        raise ConditionError(f"unknown key {sorted(unknown)[0]!r} (each takes in, where)", path)
    var = node["each"]
    if not isinstance(var, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", var):
        raise ConditionError("'each' names a variable: lowercase letters, digits, _", path)
    if var in bound:
        raise ConditionError(f"${var} is already bound by an enclosing 'each'", path)
    subjects = node.get("in")
    if not isinstance(subjects, list) or not subjects:
        raise ConditionError("'each' needs 'in': a non-empty list of subjects", path)
    for subject in subjects:
        if not isinstance(subject, str) or not SUBJECT_RX.match(subject):
            raise ConditionError(
                f"subject {subject!r} must be one fact-name part (lowercase, digits, - or _)", path
            )
    if len(set(subjects)) != len(subjects):
        raise ConditionError("'in' names a subject twice", path)
    if "where" not in node:
        raise ConditionError("'each' needs 'where': the condition for one subject", path)
    # Check the body once as written, then build it once per subject with the names filled in.
    parse(node["where"], f"{path}.where", bound | {var})
    bodies = tuple(parse(_fill(node["where"], var, s), f"{path}.where", bound) for s in subjects)
    return Each(var, tuple(subjects), bodies)


def _fill(node: Any, var: str, subject: str) -> Any:
    """Return a copy of a condition's YAML with `$var` replaced in its fact names."""
    if isinstance(node, list):
        return [_fill(x, var, subject) for x in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("fact", "value_fact") and isinstance(value, str):
            out[key] = substitute(value, {var: subject})
        else:
            out[key] = _fill(value, var, subject)
    return out
