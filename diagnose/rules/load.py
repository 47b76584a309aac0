"""Load rules from YAML: one rule per file, id equal to its path, strict schema, line numbers kept."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from diagnose import __version__
from diagnose.errors import BadInput
from diagnose.model import Confidence, Severity
from diagnose.rules.checklist import ItemError, ItemSpec, parse_item
from diagnose.rules.conditions import VAR_RX, Condition, ConditionError, parse, substitute
from diagnose.safefiles import read_input_text

ID_RX = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$")
# {fact.name}, {fact.name:format}, each with |text shown when it is unset; {{ and }} are literal
# braces. Groups: 1 the name, 2 the format, 3 the text. Under an `each: check` quantifier,
# {smoke.$check.url} is the fact of the subject that fired, {$check} its name.
TEMPLATE_RX = re.compile(r"\{\{|\}\}|\{([a-zA-Z0-9_.$\-]+)(?::([a-z]+))?(?:\|([^{}]*))?\}")
# count: the length of a list (0 when unset); percent: a share as "1.25 %"; join: a list's items
# as text, "; " between them.
FORMATS = ("count", "percent", "join")

REQUIRED_KEYS = ("title", "severity", "confidence", "when", "message", "remediation")
OPTIONAL_KEYS = (
    "id",
    "description",
    "evidence",
    "explains",
    "commands",
    "references",
    "tags",
    "checklist",
)
# A rule's cases sit beside it (rules/tls/weak-key.test.yaml): such a file is not a rule.
CASE_SUFFIX = ".test.yaml"
LIST_KEYS = ("evidence", "explains", "remediation", "commands", "references", "tags")


@dataclass(frozen=True)
class Rule:
    """One rule: its condition over facts, how bad it is, what it says and how to fix it."""

    id: str
    path: Path
    title: str
    severity: Severity
    confidence: Confidence
    when: Condition
    message: str
    description: str = ""
    evidence: tuple[str, ...] = ()
    explains: tuple[str, ...] = ()
    remediation: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    checklist: ItemSpec | None = None  # the checklist line this rule decides, if any

    @property
    def family(self) -> str:
        """Return the folder the rule lives in (dns, tls, smoke...)."""
        return self.id.split(".", 1)[0]

    def facts(self) -> set[str]:
        """Return every fact name the rule reads: condition, message, evidence, checklist item.

        A name with a quantifier's `$var` counts once per subject; `{$var}` alone is no fact.
        """
        names = self.placeholders() | set(self.evidence)
        item = (
            template_facts(self.checklist.templates()) | self.checklist.condition_facts()
            if self.checklist
            else set()
        )
        return (
            self.when.facts()
            | {name for raw in names if not _is_var(raw) for name in expand(raw, self.when)}
            | item
        )

    def placeholders(self) -> set[str]:
        """Return the names quoted in the message, remediation and commands, as written."""
        return template_facts([self.message, *self.remediation, *self.commands])


def template_facts(texts: Iterable[str]) -> set[str]:
    """Return the names that templates quote, as written."""
    return {m.group(1) for text in texts for m in TEMPLATE_RX.finditer(text) if m.group(1)}


def template_problem(text: str) -> str | None:
    """Return what is wrong with a template (a stray brace, an unknown format), if anything."""
    if left := _stray_brace(text):
        return f"unbalanced {left!r} (write {{{{ or }}}} for a brace)"
    for m in TEMPLATE_RX.finditer(text):
        if m.group(2) and m.group(2) not in FORMATS:
            return f"unknown format {m.group(2)!r} (known: {', '.join(FORMATS)})"
    return None


def _is_var(name: str) -> bool:
    return VAR_RX.fullmatch(name) is not None


def expand(name: str, when: Condition) -> list[str]:
    """Return a fact name for every subject of the quantifier variables it uses."""
    names = [name]
    for var, subjects in when.variables().items():
        if var in VAR_RX.findall(name):
            names = [substitute(n, {var: s}) for n in names for s in subjects]
    return names


@dataclass(frozen=True)
class LintProblem:
    """A problem in a rule file, with where it is."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class _LineDict(dict[str, Any]):
    """A dict that knows the YAML line of itself and of each key."""

    line: int = 1

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines: dict[str, int] = {}


@cache
def _loader() -> Any:
    """Return a safe YAML loader that remembers the line of every mapping key.

    Built on first use, so that a run served from the rules cache never imports yaml. libyaml's
    parser when present (about 10x faster), with the safe constructor either way.
    """
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class LineLoader(base):
        pass

    def construct_mapping(loader: Any, node: Any) -> dict[str, Any]:
        mapping = _LineDict(loader.construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        for key_node, _ in node.value:
            mapping.lines[str(key_node.value)] = key_node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return LineLoader


def rule_id_for(path: Path, root: Path) -> str:
    """Return the id a rule file must have: its path under the root, dots for slashes."""
    rel = path.relative_to(root).with_suffix("")
    return ".".join(rel.parts)


def _line(doc: Any, key: str) -> int:
    if isinstance(doc, _LineDict):
        return doc.lines.get(key, doc.line)
    return 1


def _line_of_path(doc: Any, cond_path: str) -> int:
    # Walk "when.any[2].not" down the loaded document to report the right line.
    node = doc
    line = _line(doc, "when")
    for part in re.findall(r"[a-z_]+|\[\d+\]", cond_path):
        if part.startswith("["):
            if isinstance(node, list):
                node = node[int(part[1:-1])]
                line = getattr(node, "line", line)
        elif isinstance(node, Mapping) and part in node:
            line = _line(node, part)
            node = node[part]
    return line


def load_rule(path: Path, root: Path, known_facts: Container[str] | None = None) -> Rule:
    """Load and validate one rule file; raise RuleFileError listing every problem."""
    problems, rule = _check(path, root, known_facts)
    if problems or rule is None:
        raise RuleFileError(problems or [LintProblem(path, 1, "not a rule")])
    return rule


class RuleFileError(ValueError):
    """One or more problems in rule files."""

    def __init__(self, problems: list[LintProblem]) -> None:
        super().__init__(str(problems[0]))
        self.problems = problems


MAX_RULE_BYTES = 1 << 20  # a rule file is a few KB


class AliasInRule(ValueError):
    """A YAML alias in a rule file: refused, since a few of them nest into billions of nodes."""


def _read(path: Path) -> Any:
    import yaml

    text = read_input_text(path, "rule file", MAX_RULE_BYTES)
    if "&" in text:  # an alias needs an anchor: only then is the event scan worth its cost
        base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        for event in yaml.parse(text, Loader=base):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise AliasInRule(f"line {line}: YAML aliases (*name) are not allowed in rules")
    return yaml.load(text, Loader=_loader())  # noqa: S506


def _stray_brace(text: str) -> str | None:
    """Return a brace that is neither part of a {fact.name} placeholder nor doubled, if any."""
    rest = TEMPLATE_RX.sub("", text)
    for brace in "{}":
        if brace in rest:
            return brace
    return None


def _yaml_error() -> type[Exception]:
    import yaml

    return yaml.YAMLError


def check_rule(
    path: Path, root: Path, known_facts: Container[str] | None = None
) -> list[LintProblem]:
    """Return every problem in one rule file (empty when it is sound)."""
    return _check(path, root, known_facts)[0]


def _check(
    path: Path, root: Path, known_facts: Container[str] | None
) -> tuple[list[LintProblem], Rule | None]:
    """Read one rule file once: its problems, and the rule when there are none."""
    problems: list[LintProblem] = []

    def bad(line: int, message: str) -> None:
        problems.append(LintProblem(path, line, message))

    try:
        doc = _read(path)
    except (OSError, UnicodeDecodeError, BadInput) as exc:
        return [LintProblem(path, 1, f"cannot read: {exc}")], None
    except AliasInRule as exc:
        line, _, message = str(exc).partition(": ")
        return [LintProblem(path, int(line.split()[1]), message)], None
    except _yaml_error() as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        detail = f"{what} ({context})" if context else what
        return [LintProblem(path, mark.line + 1 if mark else 1, f"invalid YAML: {detail}")], None
    if not isinstance(doc, Mapping):
        return [LintProblem(path, 1, "a rule file must hold one mapping")], None
    expected_id = rule_id_for(path, root)
    if not ID_RX.match(expected_id):
        bad(1, f"path gives id {expected_id!r}: use lowercase-kebab names in one folder")
    if "id" in doc and doc["id"] != expected_id:
        bad(
            _line(doc, "id"), f"id {doc['id']!r} does not match its path (expected {expected_id!r})"
        )
    for key in doc:
        if key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS:
            bad(_line(doc, key), f"unknown key {key!r}")
    for key in REQUIRED_KEYS:
        if key not in doc:
            bad(doc.line if isinstance(doc, _LineDict) else 1, f"missing key {key!r}")
    if "severity" in doc and doc["severity"] not in {s.value for s in Severity}:
        bad(_line(doc, "severity"), f"severity {doc['severity']!r} is not critical|warning|info")
    if "confidence" in doc and doc["confidence"] not in {c.value for c in Confidence}:
        bad(_line(doc, "confidence"), f"confidence {doc['confidence']!r} is not high|medium|low")
    for key in ("title", "message", "description"):
        if key in doc and not isinstance(doc[key], str):
            bad(_line(doc, key), f"{key!r} must be a string")
    for key in LIST_KEYS:
        if key in doc and not (
            isinstance(doc[key], list) and all(isinstance(x, str) for x in doc[key])
        ):
            bad(_line(doc, key), f"{key!r} must be a list of strings")
    if "remediation" in doc and isinstance(doc["remediation"], list) and not doc["remediation"]:
        bad(_line(doc, "remediation"), "'remediation' needs at least one concrete step")
    for key in ("message", "remediation", "commands"):
        value = doc.get(key)
        texts: list[Any] = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and (problem := template_problem(text)):
                bad(_line(doc, key), f"{key!r}: {problem}")
    if "checklist" in doc:
        try:
            item = parse_item(doc["checklist"])
        except ItemError as exc:
            bad(_line(doc, "checklist"), f"checklist.{exc.path}: {exc}" if exc.path else str(exc))
        else:
            for text in item.templates():
                if problem := template_problem(text):
                    bad(_line(doc, "checklist"), f"'checklist': {problem}")
    if "when" in doc:
        try:
            parse(doc["when"])
        except ConditionError as exc:
            bad(_line_of_path(doc, exc.path), f"{exc.path}: {exc}")
    if problems:
        return problems, None
    rule = _build(path, root, doc)
    if rule is not None:
        bound = rule.when.variables()
        for name in sorted(rule.placeholders() | set(rule.evidence)):
            for var in VAR_RX.findall(name):
                if var not in bound:
                    bad(
                        _fact_line(path, name),
                        f"{name!r} uses ${var}, which no 'each' in 'when' binds "
                        "(a quantifier under 'not' binds nothing)",
                    )
    if rule is not None and known_facts is not None and not problems:
        unknown: dict[str, list[str]] = {}
        for fact in sorted(rule.facts()):
            if fact not in known_facts:
                unknown.setdefault(_as_written(fact, rule.when, path), []).append(fact)
        for written, facts in unknown.items():
            if facts == [written]:
                bad(
                    _fact_line(path, written),
                    f"unknown fact name {written!r} (no probe provides it)",
                )
            else:
                bad(
                    _fact_line(path, written),
                    f"unknown fact name {written!r}: no probe provides {', '.join(facts)}",
                )
    return problems, (None if problems else rule)


def _as_written(fact: str, when: Condition, path: Path) -> str:
    """Return the name as the rule file spells it: `smoke.$check.status` for `smoke.auth.status`."""
    parts = fact.split(".")
    text = path.read_text(encoding="utf-8")
    for var, subjects in when.variables().items():
        for i, part in enumerate(parts):
            if part in subjects:
                candidate = ".".join([*parts[:i], f"${var}", *parts[i + 1 :]])
                if candidate in text:
                    return candidate
    return fact


def _fact_line(path: Path, fact: str) -> int:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if fact in text:
            return number
    return 1


def _build(path: Path, root: Path, doc: Mapping[str, Any]) -> Rule | None:
    try:
        return Rule(
            id=rule_id_for(path, root),
            path=path,
            title=doc["title"],
            severity=Severity(doc["severity"]),
            confidence=Confidence(doc["confidence"]),
            when=parse(doc["when"]),
            message=doc["message"],
            description=doc.get("description", ""),
            evidence=tuple(doc.get("evidence", ())),
            explains=tuple(doc.get("explains", ())),
            remediation=tuple(doc.get("remediation", ())),
            commands=tuple(doc.get("commands", ())),
            references=tuple(doc.get("references", ())),
            tags=tuple(doc.get("tags", ())),
            checklist=parse_item(doc["checklist"]) if "checklist" in doc else None,
        )
    except (KeyError, ValueError, ConditionError, ItemError):
        return None


def rule_files(root: Path) -> list[Path]:
    """Return the rule files under a folder, sorted (hidden, `_` and `.test.yaml` skipped)."""
    return sorted(
        p
        for p in root.rglob("*.yaml")
        if not p.name.endswith(CASE_SUFFIX)
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )


def lint(roots: Iterable[Path], known_facts: Container[str]) -> list[LintProblem]:
    """Lint every rule under the roots, including duplicate ids, dangling `explains` and cases."""
    roots = list(roots)
    return _scan(roots, known_facts)[1] + [
        LintProblem(p, 1, f"cases file beside no rule (expected {_rule_of_case(p).name})")
        for p in stray_case_files(roots)
    ]


def _rule_of_case(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(CASE_SUFFIX) + ".yaml")


def stray_case_files(roots: Iterable[Path]) -> list[Path]:
    """Return the `.test.yaml` files under the roots that sit beside no rule."""
    return sorted(
        p
        for root in roots
        for p in root.rglob(f"*{CASE_SUFFIX}")
        if not _rule_of_case(p).exists()
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )


def _scan(roots: Iterable[Path], known: Container[str]) -> tuple[list[Rule], list[LintProblem]]:
    """Read every rule file once; return the sound rules and every problem found."""
    problems: list[LintProblem] = []
    seen: dict[str, Path] = {}
    rules: list[Rule] = []
    for root in roots:
        for path in rule_files(root):
            found, rule = _check(path, root, known)
            problems.extend(found)
            rid = rule_id_for(path, root)
            if rid in seen:
                problems.append(LintProblem(path, 1, f"duplicate id {rid!r} (also {seen[rid]})"))
            seen[rid] = path
            if rule is not None:
                rules.append(rule)
    problems.extend(_check_explains(rules, set(seen)))
    return rules, problems


def _check_explains(rules: list[Rule], ids: set[str]) -> list[LintProblem]:
    problems: list[LintProblem] = []
    graph = {r.id: r.explains for r in rules}
    for rule in rules:
        for target in rule.explains:
            if target not in ids:
                problems.append(
                    LintProblem(
                        rule.path,
                        _fact_line(rule.path, target),
                        f"explains unknown rule {target!r}",
                    )
                )
        if _reaches(graph, rule.id, rule.id):
            problems.append(LintProblem(rule.path, 1, "explains forms a cycle back to itself"))
    return problems


def _reaches(graph: Mapping[str, tuple[str, ...]], start: str, goal: str) -> bool:
    stack, seen = list(graph.get(start, ())), set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


def load_rules(roots: Iterable[Path], known_facts: Container[str]) -> list[Rule]:
    """Load every rule under the roots; raise RuleFileError on any lint problem.

    Sound rule sets are cached (pickled, in the user's cache folder) under a key made of every
    rule file's path, size and mtime, the fact catalog and the version: parsing YAML and
    compiling regexes is most of a cold start, and the rules rarely change between runs.
    """
    roots = list(roots)
    key = _cache_key(roots, known_facts)
    if key is not None and (cached := _cache_read(key)) is not None:
        return cached
    rules, problems = _scan(roots, known_facts)
    if problems:
        raise RuleFileError(problems)
    rules = sorted(rules, key=lambda r: r.id)
    if key is not None:
        _cache_write(key, rules)
    return rules


def _cache_key(roots: list[Path], known_facts: Container[str]) -> str | None:

    if os.environ.get("DIAGNOSE_NO_CACHE"):
        return None
    digest = hashlib.sha256(__version__.encode())
    try:
        for root in roots:
            for path in rule_files(root):
                st = path.stat()
                digest.update(f"{root}|{path}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    except OSError:
        return None
    if isinstance(known_facts, Iterable):
        digest.update("\n".join(sorted(str(f) for f in known_facts)).encode())
    return digest.hexdigest()[:32]


def _cache_path(key: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "diagnose" / f"rules-{key}.pickle"


CACHE_KEEP = 8  # rule sets kept in the cache folder (each ~200 kB)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _cache_read(key: str) -> list[Rule] | None:
    import pickle

    try:
        with _cache_path(key).open("rb") as fh:
            rules = pickle.load(fh)  # noqa: S301 - our own file, keyed by the rules' stat data
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(_cache_path(key))  # recently used: the last to be dropped
    return rules if isinstance(rules, list) else None


def _cache_write(key: str, rules: list[Rule]) -> None:
    import pickle

    path = _cache_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(rules, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: a parallel run reads the old file or the new, never half
        # Keep a few other rule sets: checkouts (or CI jobs) sharing a home each have their own
        # key, and deleting the others' made every run after another checkout's a cold one.
        others = sorted(
            (p for p in path.parent.glob("rules-*.pickle") if p != path),
            key=_mtime,
            reverse=True,
        )
        for old in others[CACHE_KEEP - 1 :]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home only costs speed
