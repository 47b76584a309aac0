"""Facts about the last recorded deployment, and whether the symptoms in the logs began after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from diagnose.families.deploy.onset import ONSET_FACTS, delay_text, scannable, split
from diagnose.probe import FactSink, ProbeContext
from diagnose.timeparse import iso, parse_instant

LAST = ("version", "commit", "at", "by", "changes", "source", "minutes_ago", "ago")
PREVIOUS = ("version", "commit", "at")
LOG_OPTIONS = ("latency_logs", "logs")  # the --log paths of latency, webhooks, checklist


def _names() -> frozenset[str]:
    return frozenset(
        {"deploy.recorded", "deploy.rollback.target", "deploy.rollback.commit"}
        | {f"deploy.last.{n}" for n in LAST}
        | {f"deploy.previous.{n}" for n in PREVIOUS}
        | {"deploy.onset.logs", "deploy.onset.skipped"}
        | {f"deploy.onset.{n}" for n in ONSET_FACTS}
    )


def _instant(value: Any, default: datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return parse_instant(str(value)) if value else default


class DeploysProbe:
    """Read the deployment log (as of --now) and split the run's log files at the last deployment."""

    name: ClassVar[str] = "deploys"
    provides: ClassVar[frozenset[str]] = _names()

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Put the last and previous deployments, then the onset facts when logs were given."""
        from diagnose.families.deploy.records import lookup_path, read_only_recent

        found = read_only_recent(lookup_path(ctx.options), iso(ctx.now), 2) or []
        sink.put("deploy.recorded", bool(found))
        if not found:
            return
        last = found[0]
        deployed = parse_instant(last.deployed_at)
        age = (ctx.now - deployed).total_seconds()
        sink.update(
            {
                "deploy.last.version": last.version,
                "deploy.last.commit": last.commit,
                "deploy.last.at": last.deployed_at,
                "deploy.last.by": last.deployed_by,
                "deploy.last.changes": last.changes,
                "deploy.last.source": last.source,
                "deploy.last.minutes_ago": round(age / 60, 1),
                "deploy.last.ago": delay_text(age),
            }
        )
        prev = found[1] if len(found) > 1 else None
        if prev is not None:
            sink.update(
                {
                    "deploy.previous.version": prev.version,
                    "deploy.previous.commit": prev.commit,
                    "deploy.previous.at": prev.deployed_at,
                }
            )
        # Rollback commands read whole even when no earlier deployment was recorded.
        sink.put(
            "deploy.rollback.target",
            f"{prev.version} (commit {prev.commit[:12]})"
            if prev
            else f"the deployment before {last.version} (none recorded)",
        )
        sink.put("deploy.rollback.commit", prev.commit if prev else f"{last.commit[:12]}~1")
        paths: list[str] = []
        for key in LOG_OPTIONS:
            paths.extend(str(p) for p in ctx.options.get(key) or () if str(p) not in paths)
        ok, skipped = scannable(paths)
        sink.put("deploy.onset.logs", ok)
        sink.put("deploy.onset.skipped", skipped)
        if not ok:
            return
        until = _instant(ctx.options.get("until"), ctx.now)
        budgets = ctx.options.get("budgets") or {}
        facts = split(ok, deployed, until, float(budgets.get("p95_ms", 2000.0)), reads=ctx.reads)
        sink.update({f"deploy.onset.{k}": v for k, v in facts.items()})
