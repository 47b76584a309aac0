"""What a probe is: a named gatherer of facts. Probes never judge, rank or print."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol


class FactSink:
    """Collects facts as a probe finds them, so a probe cut off by the deadline keeps what it saw."""

    def __init__(self, probe: str, provides: frozenset[str]) -> None:
        self._probe = probe
        self._provides = provides
        self._facts: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._closed = False

    def put(self, name: str, value: Any) -> None:
        """Record one fact; a name the probe does not declare is a programming error."""
        if name not in self._provides and not any(
            p.endswith(".*") and name.startswith(p[:-1]) for p in self._provides
        ):
            raise KeyError(f"probe {self._probe} does not declare fact {name!r}")
        with self._lock:
            if not self._closed:
                self._facts[name] = value

    def update(self, facts: Mapping[str, Any]) -> None:
        """Record several facts."""
        for name, value in facts.items():
            self.put(name, value)

    def close(self) -> dict[str, Any]:
        """Stop accepting facts (a late thread cannot change a finished run) and return them."""
        with self._lock:
            self._closed = True
            return dict(self._facts)


@dataclass(frozen=True)
class ProbeContext:
    """What a probe may use: its options, the clock, and the time it has left."""

    options: Mapping[str, Any]
    now: datetime
    deadline: float  # time.monotonic() value by which the probe must be done
    secrets: tuple[str, ...] = field(default=())

    def remaining(self, cap: float | None = None) -> float:
        """Return the seconds left before the deadline (never below a small floor), capped."""
        left = max(0.05, self.deadline - time.monotonic())
        return min(left, cap) if cap is not None else left


class Probe(Protocol):
    """A gatherer of facts for one family of checks."""

    name: ClassVar[str]
    provides: ClassVar[frozenset[str]]

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Gather facts into the sink; raise on a failure of the probe itself."""
        ...
