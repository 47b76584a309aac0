"""One read per file per run: the ReadCache the probes share through their ProbeContext."""

from __future__ import annotations

import builtins
import gzip
import io
import pathlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from diagnose.families import make_probe
from diagnose.probe import FactSink, ProbeContext, ReadCache
from tests.support.cli import ROOT

CONVEX = ROOT / "fixtures" / "checklist" / "convex-healthy.jsonl"
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Count every open of a file by its resolved path (open, Path.open, gzip.open)."""
    seen: Counter[str] = Counter()
    real_open, real_path_open, real_gzip = builtins.open, pathlib.Path.open, gzip.open

    def note(file: Any) -> None:
        if isinstance(file, str | Path):
            seen[str(Path(file).resolve())] += 1

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        note(file)
        return real_open(file, *args, **kwargs)

    def counting_path_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        note(self)
        return real_path_open(self, *args, **kwargs)

    def counting_gzip(file: Any, *args: Any, **kwargs: Any) -> Any:
        note(file)
        return real_gzip(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(pathlib.Path, "open", counting_path_open)
    monkeypatch.setattr(gzip, "open", counting_gzip)
    yield seen


def _collect(names: list[str], ctx: ProbeContext) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name in names:
        probe = make_probe(name)
        sink = FactSink(probe.name, probe.provides)
        probe.collect(ctx, sink)
        facts.update(sink.close())
    return facts


def _ctx(log: Path) -> ProbeContext:
    # What `checklist post-deploy --log F` gives its probes (the log under both option names).
    options = {"latency_logs": [str(log)], "logs": [str(log)], "since": None, "until": NOW}
    return ProbeContext(options, NOW, time.monotonic() + 60)


def test_probes_of_one_run_read_a_file_once(opens: Counter[str]) -> None:
    """latency_logs, checklist_post and the deployment onset open the file as often as one does."""
    from diagnose.families.deploy.onset import split

    alone = _ctx(CONVEX)
    one = _collect(["latency_logs"], alone)
    once = opens[str(CONVEX.resolve())]
    assert once > 0
    opens.clear()
    shared = _ctx(CONVEX)
    facts = _collect(["latency_logs", "checklist_post"], shared)
    onset = split([str(CONVEX)], datetime(2026, 3, 11, 9, 0, tzinfo=UTC), NOW, reads=shared.reads)
    assert opens[str(CONVEX.resolve())] == once
    # The shared parse gives each probe what its own read gave it.
    mine = {k: v for k, v in one.items() if k.startswith("latency.")}
    assert {k: v for k, v in facts.items() if k.startswith("latency.")} == mine
    assert facts["checklist.functions.calls"] > 0 and onset["errors.after_events"] > 0


def test_each_run_reads_again(opens: Counter[str]) -> None:
    """The cache lives in one run's context: the next run reads the file afresh."""
    _collect(["latency_logs"], _ctx(CONVEX))
    first = opens[str(CONVEX.resolve())]
    _collect(["latency_logs"], _ctx(CONVEX))
    assert opens[str(CONVEX.resolve())] == 2 * first


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    """The key is the file's stat: a file rewritten during the run is not served stale."""
    log = tmp_path / "a.log"
    log.write_text("one\n", encoding="utf-8")
    cache = ReadCache()
    calls: list[str] = []

    def read() -> str:
        calls.append(log.read_text(encoding="utf-8"))
        return calls[-1]

    assert cache.get(str(log), "text", read) == cache.get(str(log), "text", read) == "one\n"
    log.write_text("one\ntwo\n", encoding="utf-8")
    assert cache.get(str(log), "text", read) == "one\ntwo\n"
    assert cache.get(str(log), "other reader", read) == "one\ntwo\n"
    assert len(calls) == 3


def test_concurrent_probes_wait_for_the_first_read() -> None:
    """Probes run in threads: the second asker waits for the first read instead of reading."""
    cache = ReadCache()
    started = threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return len(calls)

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(cache.get(str(CONVEX), "k", slow)))
    first.start()
    started.wait(5)
    results.append(cache.get(str(CONVEX), "k", slow))
    first.join(5)
    assert results == [1, 1] and calls == [1]


def test_a_failed_read_is_not_kept(tmp_path: Path) -> None:
    """An error reaches every asker; nothing half-read is cached."""
    cache = ReadCache()

    def broken() -> str:
        raise OSError("cannot read")

    with pytest.raises(OSError):
        cache.get(str(CONVEX), "k", broken)
    assert cache.get(str(CONVEX), "k", lambda: "ok") == "ok"
    missing = str(tmp_path / "missing.log")
    assert cache.get(missing, "k", lambda: "read") == "read"  # no stat: the reader says why
