"""What every source shares: a failure that says how to fix it, and a record of what was read."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FailureKind(StrEnum):
    """Why a source could not be read; each kind has its fix."""

    AUTH = "auth"  # 401: no or wrong credentials
    FORBIDDEN = "forbidden"  # 403: the credentials lack a scope or permission
    RATE_LIMITED = "rate-limited"  # 429 (Retry-After)
    TIMEOUT = "timeout"  # no complete answer within the run's deadline
    UNREACHABLE = "unreachable"  # connection refused, DNS, TLS
    MISSING_TOOL = "missing-tool"  # the CLI is not installed
    NOT_LOGGED_IN = "not-logged-in"  # the CLI has no deployment or credentials
    BAD_ANSWER = "bad-answer"  # not the JSON the API documents, or over the size cap
    NOT_FOUND = "not-found"  # 404: the resource (or the endpoint) does not exist
    EMPTY = "empty"  # answered nothing to read (no entries): nothing can be judged from it


class SourceFailure(Exception):
    """A source could not be read: one line saying what happened, and the fix."""

    def __init__(self, source: str, kind: FailureKind, what: str, fix: str) -> None:
        super().__init__(f"{source}: {what}; fix: {fix}")
        self.source = source
        self.kind = kind
        self.what = what
        self.fix = fix

    def as_facts(self) -> dict[str, Any]:
        """The failure as facts (no secret in it: the messages never quote a token)."""
        return {"status": "failed", "failure": self.kind.value, "error": self.what, "fix": self.fix}


@dataclass(frozen=True)
class Fetched:
    """What one source read: how many records, from where, over which window."""

    source: str
    origin: str  # the host or command it came from (never a token)
    what: str  # "logs", "webhook events", ...
    count: int
    window: str | None = None
    seconds: float = 0.0
    truncated: bool = False  # stopped at a cap (size, pages, deadline): a partial read
    notes: tuple[str, ...] = field(default=())

    def as_facts(self) -> dict[str, Any]:
        """The record as facts, for the report and --save-facts."""
        return {
            "status": "ok",
            "origin": self.origin,
            "what": self.what,
            "count": self.count,
            "window": self.window,
            "seconds": round(self.seconds, 2),
            "truncated": self.truncated,
            "notes": list(self.notes),
        }

    def line(self) -> str:
        """One line for the report: what was fetched from where."""
        window = f" ({self.window})" if self.window else ""
        cut = ", partial: stopped at a cap" if self.truncated else ""
        return f"{self.source}: {self.count} {self.what}{window} from {self.origin}{cut}"
