"""The record of what the sources read before the probes ran, as facts (kept by --save-facts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from diagnose.probe import FactSink, ProbeContext

# Each fetch record is its own run option (`sources_read.convex.logs`), so that the plans of a
# `diagnose all` run, merged into one set of options, keep every family's records.
READ_PREFIX = "sources_read."


def read_options(read: Mapping[str, Any]) -> dict[str, Any]:
    """The fetch records as run options."""
    return {READ_PREFIX + k: v for k, v in read.items()}


class SourceUnavailable(Exception):
    """A source could not be read: its rules are inconclusive, with this reason and its fix."""


class SourcesProbe:
    """Put what each live source fetched (or why it could not) into the run's facts."""

    name: ClassVar[str] = "sources"
    provides: ClassVar[frozenset[str]] = frozenset({"source.*"})

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Record every source's outcome; end in error when one failed (its facts are unknown)."""
        records: dict[str, Mapping[str, Any]] = {
            k.removeprefix(READ_PREFIX): v
            for k, v in ctx.options.items()
            if k.startswith(READ_PREFIX)
        }
        for key, record in records.items():
            sink.put(f"source.{key}", dict(record))
        failed = [
            f"{k}: {r['error']}; fix: {r['fix']}"
            for k, r in records.items()
            if r.get("status") == "failed"
        ]
        if failed:
            raise SourceUnavailable(" | ".join(failed))

    @staticmethod
    def describe(facts: Mapping[str, Any]) -> list[str]:
        """One line per source: what it fetched, from where; or why it could not."""
        out = []
        for name, record in sorted(facts.items()):
            if not name.startswith("source.") or not isinstance(record, Mapping):
                continue
            key = name.removeprefix("source.")
            if record.get("status") == "failed":
                out.append(
                    f"could not fetch {key}: {record.get('error')} (fix: {record.get('fix')})"
                )
            else:
                window = f" ({record['window']})" if record.get("window") else ""
                cut = ", partial: stopped at a cap" if record.get("truncated") else ""
                out.append(
                    f"fetched {key}: {record.get('count')} {record.get('what')}{window} "
                    f"from {record.get('origin')} in {record.get('seconds')} s{cut}"
                )
        return out
