"""What a probe is: a named gatherer of facts. Probes never judge, rank or print."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from diagnose import progress

T = TypeVar("T")

PROBE_MARGIN_S = 0.2


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

    def progress(self, done: int, total: int, unit: str = "requests") -> None:
        """Say how far the probe has got (shown on a terminal while the run lasts)."""
        progress.step(self._probe, done, total, unit)

    def close(self) -> dict[str, Any]:
        """Stop accepting facts (a late thread cannot change a finished run) and return them."""
        with self._lock:
            self._closed = True
            return dict(self._facts)


class ReadCache:
    """The files this run has read, each parse made once and shared by every probe that asks.

    A parse is keyed by the file (its real path and its stat: a file changed during the run is
    read again) and by how it was read (reader, format, window). Probes run concurrently: the
    first to ask reads, the others wait for its result instead of reading the file again.
    Standard input (`-`) is keyed by name alone: it can be read only once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[threading.Lock, list[Any]]] = {}

    @staticmethod
    def identity(path: str) -> Hashable | None:
        """Return what names a file's content (None: it cannot be stat'ed; do not cache)."""
        if path == "-":
            return "-"
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        return (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def get(self, path: str, how: Hashable, read: Callable[[], T]) -> T:
        """Return `read()` for this file read this way, reading it only the first time."""
        who = self.identity(path)
        if who is None:
            return read()  # the reader says why the file cannot be read
        key = (who, how)
        with self._lock:
            lock, slot = self._entries.setdefault(key, (threading.Lock(), []))
        with lock:
            if not slot:
                slot.append(read())  # an exception is not kept: the next asker tries again
            return slot[0]


@dataclass(frozen=True)
class ProbeContext:
    """What a probe may use: its options, the clock, the time it has left, the run's reads."""

    options: Mapping[str, Any]
    now: datetime
    deadline: float  # time.monotonic() value by which the probe must be done
    secrets: tuple[str, ...] = field(default=())
    reads: ReadCache = field(default_factory=ReadCache, compare=False, repr=False)

    def remaining(self, cap: float | None = None) -> float:
        """Return the seconds a probe may still spend (never below a small floor), capped.

        A margin is held back from the run's deadline so that a probe bounded by this finishes,
        and records what it saw as evidence, before the engine stops waiting for it.
        """
        left = max(0.05, self.deadline - PROBE_MARGIN_S - time.monotonic())
        return min(left, cap) if cap is not None else left


class Probe(Protocol):
    """A gatherer of facts for one family of checks."""

    name: ClassVar[str]
    provides: ClassVar[frozenset[str]]

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Gather facts into the sink; raise on a failure of the probe itself."""
        ...


# A probe class may also set `settings_only = True` when it measures nothing and only puts the
# settings rules compare with (budgets): its running makes no rule applicable by itself.
# A probe class may also define `warm_imports` ("module" or "module:function" names): the engine imports them
# before the run's deadline starts, so that heavy imports are not charged to a peer's time.
# A probe class may also define `describe(facts) -> list[str]` (a staticmethod): lines that show
# the shape of what it measured (a sparkline, a per-minute table). The engine adds them to the
# diagnosis' notes from the facts, so a replay shows them too.


class Unfinished:
    """Marks a call that had not finished when its time was up."""


def run_bounded(calls: Mapping[str, Callable[[], T]], timeout: float) -> dict[str, T | Unfinished]:
    """Run calls concurrently in daemon threads; return each result, or Unfinished after `timeout`.

    Daemon threads, not a ThreadPoolExecutor: the interpreter joins an executor's workers at exit,
    so one peer that trickles a byte a second (socket timeouts are per read, not per response)
    would keep the process alive past the user's deadline. An exception in a call is re-raised.
    """
    results: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}

    def run(name: str, fn: Callable[[], T]) -> None:
        try:
            results[name] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
            errors[name] = exc

    threads = [
        threading.Thread(target=run, args=(name, fn), daemon=True, name=f"bounded-{name}")
        for name, fn in calls.items()
    ]
    end = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    for exc in errors.values():
        raise exc
    return {name: results.get(name, Unfinished()) for name in calls}
