"""The data model that flows through the pipeline: probe outcomes, facts, findings, the diagnosis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SCHEMA = "diagnose/diagnosis@1"
FACTS_SCHEMA = "diagnose/facts@1"


class Severity(StrEnum):
    """How bad a finding is; maps onto the Nagios exit codes."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def weight(self) -> int:
        """Return the weight used in ranking (docs/ranking.md)."""
        return {"critical": 100, "warning": 50, "info": 10}[self.value]


class Confidence(StrEnum):
    """How sure a rule is that its condition means its cause."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def weight(self) -> float:
        """Return the factor used in ranking (docs/ranking.md)."""
        return {"high": 1.0, "medium": 0.7, "low": 0.4}[self.value]


class Status(StrEnum):
    """The overall verdict; its exit code follows the Nagios plugin convention."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"

    @property
    def exit_code(self) -> int:
        """Return 0 ok, 1 warning, 2 critical, 3 unknown."""
        return {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}[self.value]


class ProbeStatus(StrEnum):
    """How a probe ended."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class ProbeOutcome:
    """What became of one probe: its status, how long it took, and why it failed if it did."""

    name: str
    status: ProbeStatus
    duration_ms: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "name": self.name,
            "status": self.status.value,
            "duration_ms": round(self.duration_ms, 1),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProbeOutcome:
        """Build from the JSON form."""
        return cls(
            name=str(data["name"]),
            status=ProbeStatus(data["status"]),
            duration_ms=float(data.get("duration_ms") or 0.0),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class FactSet:
    """Everything the probes gathered for one run: the facts and each probe's provenance."""

    command: str
    target: str
    now: str
    probes: tuple[ProbeOutcome, ...]
    facts: Mapping[str, Any]
    invocation: str = ""

    def probe(self, name: str) -> ProbeOutcome | None:
        """Return the outcome of the named probe, if it ran."""
        return next((p for p in self.probes if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form written by --save-facts."""
        return {
            "schema": FACTS_SCHEMA,
            "command": self.command,
            "target": self.target,
            "now": self.now,
            "invocation": self.invocation,
            "probes": [p.to_json() for p in self.probes],
            "facts": dict(self.facts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FactSet:
        """Build from the JSON form; raises KeyError/ValueError/TypeError on a malformed one."""
        if data.get("schema") != FACTS_SCHEMA:
            raise ValueError(f"schema is {data.get('schema')!r}, expected {FACTS_SCHEMA!r}")
        facts = data["facts"]
        if not isinstance(facts, dict):
            raise TypeError("'facts' is not an object")
        return cls(
            command=str(data["command"]),
            target=str(data.get("target", "")),
            now=str(data["now"]),
            probes=tuple(ProbeOutcome.from_json(p) for p in data["probes"]),
            facts=facts,
            invocation=str(data.get("invocation", "")),
        )


@dataclass(frozen=True)
class Finding:
    """A rule that fired: the cause, its evidence, how to fix it, and what it explains."""

    id: str
    title: str
    severity: Severity
    confidence: Confidence
    score: float
    message: str
    evidence: tuple[str, ...] = ()
    remediation: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    explains: tuple[Finding, ...] = ()
    rank: int = 0
    # For a rule with an `each:` quantifier: variable -> the subjects it fired for (first: named).
    subjects: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form (design.md: findings in rank order; `subjects` only when bound)."""
        return {
            "rank": self.rank,
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "score": self.score,
            "message": self.message,
            "evidence": list(self.evidence),
            "remediation": list(self.remediation),
            "commands": list(self.commands),
            "references": list(self.references),
            # Consequences in full: their evidence is part of the story.
            "explains": [e.to_json() for e in self.explains],
        } | ({"subjects": {var: list(s) for var, s in self.subjects}} if self.subjects else {})

    @classmethod
    def from_json(cls, data: Mapping[str, Any], rank: int = 0) -> Finding:
        """Build from the JSON form; raises KeyError/ValueError/TypeError on a malformed one."""
        return cls(
            id=str(data["id"]),
            title=str(data.get("title", "")),
            severity=Severity(data["severity"]),
            confidence=Confidence(data.get("confidence", "high")),
            score=float(data.get("score") or 0.0),
            message=str(data.get("message", "")),
            evidence=tuple(str(e) for e in data.get("evidence") or ()),
            remediation=tuple(str(e) for e in data.get("remediation") or ()),
            commands=tuple(str(e) for e in data.get("commands") or ()),
            references=tuple(str(e) for e in data.get("references") or ()),
            explains=tuple(cls.from_json(e) for e in data.get("explains") or ()),
            rank=int(data.get("rank") or rank),
            subjects=tuple(
                (str(var), tuple(str(x) for x in subjects))
                for var, subjects in dict(data.get("subjects") or {}).items()
            ),
        )


@dataclass(frozen=True)
class Inconclusive:
    """A rule that could not be judged, and why (never silently "ok")."""

    id: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """Return the JSON form."""
        return {"id": self.id, "reason": self.reason}


class ItemState(StrEnum):
    """Where a checklist item stands: checked and passed, failed, or not shown either way."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"

    @property
    def mark(self) -> str:
        """Return the task-list box: [x] pass, [ ] fail, [?] inconclusive."""
        return {"pass": "[x]", "fail": "[ ]", "inconclusive": "[?]"}[self.value]


@dataclass(frozen=True)
class ChecklistItem:
    """One line of a checklist: the rule that decides it, its state, and what shows it."""

    id: str
    item: str
    state: ItemState
    evidence: str

    def to_json(self) -> dict[str, str]:
        """Return the JSON form."""
        return {
            "id": self.id,
            "item": self.item,
            "state": self.state.value,
            "evidence": self.evidence,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChecklistItem:
        """Build from the JSON form; raises KeyError/ValueError on a malformed one."""
        return cls(
            id=str(data["id"]),
            item=str(data.get("item", "")),
            state=ItemState(data["state"]),
            evidence=str(data.get("evidence", "")),
        )


@dataclass(frozen=True)
class ChecklistPlan:
    """Which checklist a run shows: its title and the rules that decide its items, in order."""

    title: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Checklist:
    """A run's checklist (the runbook's pre- or post-deploy list), one state per item."""

    title: str
    items: tuple[ChecklistItem, ...]

    @property
    def headline(self) -> str:
        """Return "<title>: N pass, N fail, N inconclusive"."""
        counts = ", ".join(
            f"{sum(1 for i in self.items if i.state is s)} {s.value}" for s in ItemState
        )
        return f"{self.title}: {counts}"

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"title": self.title, "items": [i.to_json() for i in self.items]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checklist:
        """Build from the JSON form; raises KeyError/ValueError/TypeError on a malformed one."""
        return cls(
            title=str(data.get("title", "")),
            items=tuple(ChecklistItem.from_json(i) for i in data.get("items") or ()),
        )


@dataclass(frozen=True)
class Diagnosis:
    """The result of one run: ranked findings, what could not be judged, and the facts behind it."""

    command: str
    target: str
    started_at: str
    finished_at: str
    status: Status
    findings: tuple[Finding, ...]
    inconclusive: tuple[Inconclusive, ...]
    quiet: tuple[str, ...]
    factset: FactSet
    tool_version: str = ""
    notes: tuple[str, ...] = field(default=())
    checklist: Checklist | None = None  # the checklist commands' items, judged by their rules

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form described by docs/schema/diagnosis.schema.json."""
        return {
            "schema": SCHEMA,
            "tool": {"name": "diagnose", "version": self.tool_version},
            "command": self.command,
            "target": self.target,
            "invocation": self.factset.invocation,
            "now": self.factset.now,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status.value,
            "findings": [f.to_json() for f in self.findings],
            "inconclusive": [i.to_json() for i in self.inconclusive],
            "quiet": list(self.quiet),
            "notes": list(self.notes),
            "checklist": self.checklist.to_json() if self.checklist else None,
            "probes": [p.to_json() for p in self.factset.probes],
            "facts": dict(self.factset.facts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Diagnosis:
        """Build from the JSON form; raises KeyError/ValueError/TypeError on a malformed one."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"schema is {data.get('schema')!r}, expected {SCHEMA!r}")
        factset = FactSet(
            command=str(data["command"]),
            target=str(data.get("target", "")),
            now=str(data.get("now") or data["started_at"]),
            probes=tuple(ProbeOutcome.from_json(p) for p in data.get("probes") or ()),
            facts=dict(data.get("facts") or {}),
            invocation=str(data.get("invocation", "")),
        )
        return cls(
            command=factset.command,
            target=factset.target,
            started_at=str(data["started_at"]),
            finished_at=str(data.get("finished_at", data["started_at"])),
            status=Status(data["status"]),
            findings=tuple(
                Finding.from_json(f, i) for i, f in enumerate(data.get("findings") or (), 1)
            ),
            inconclusive=tuple(
                Inconclusive(str(i["id"]), str(i.get("reason", "")))
                for i in data.get("inconclusive") or ()
            ),
            quiet=tuple(str(q) for q in data.get("quiet") or ()),
            factset=factset,
            tool_version=str((data.get("tool") or {}).get("version", "")),
            notes=tuple(str(n) for n in data.get("notes") or ()),
            checklist=Checklist.from_json(data["checklist"]) if data.get("checklist") else None,
        )
