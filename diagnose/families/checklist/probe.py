"""Facts for the runbook's checklists: the deployment window, the Convex deploy command, and the
monitoring checklist items that live in Convex logs (crons, syncs, email, rate limiting)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from diagnose.families.deploy.activity import ACTIVITY_FACTS, read, summarise
from diagnose.families.deploy.window import WINDOW_FACTS, assess, zone
from diagnose.probe import FactSink, ProbeContext
from diagnose.timeparse import parse_instant

CONVEX = ("deploy_commands", "prod_flag", "deploy_key_missing")


def _pre_names() -> frozenset[str]:
    return frozenset(
        {"checklist.pre_deploy", "checklist.convex.checked"}
        | {f"checklist.window.{n}" for n in WINDOW_FACTS}
        | {f"checklist.convex.{n}" for n in CONVEX}
    )


def _post_names() -> frozenset[str]:
    return frozenset(
        {"checklist.post_deploy", "checklist.project.checked", "checklist.logs.given"}
        | {"checklist.rate_limit.configured", "checklist.rate_limit.where"}
        | {f"checklist.{n}" for n in ACTIVITY_FACTS}
    )


def _project(ctx: ProbeContext) -> Path | None:
    folder = ctx.options.get("project_dir")
    return Path(str(folder)) if folder else None


class PreDeployProbe:
    """The deployment window at --now, and how the project runs `convex deploy`."""

    name: ClassVar[str] = "checklist_pre"
    provides: ClassVar[frozenset[str]] = _pre_names()

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Assess the window in the zone given (or the local one); scan the project's commands."""
        from diagnose.families.deploy.project_scan import deploy_commands

        sink.put("checklist.pre_deploy", True)
        facts = assess(ctx.now, zone(ctx.options.get("tz")))
        sink.update({f"checklist.window.{k}": v for k, v in facts.items()})
        root = _project(ctx)
        sink.put("checklist.convex.checked", root is not None)
        if root is not None:
            sink.update({f"checklist.convex.{k}": v for k, v in deploy_commands(root).items()})


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_instant(str(value))


class PostDeployProbe:
    """Crons against their schedule, integration syncs, email and 429s, from the --log files."""

    name: ClassVar[str] = "checklist_post"
    provides: ClassVar[frozenset[str]] = _post_names()

    @staticmethod
    def describe(facts: Mapping[str, Any]) -> list[str]:
        """Name the last recorded deployment, or say how to record one (shown as a note)."""
        if not facts.get("deploy.recorded"):
            return ["no deployment recorded: run 'diagnose deploy record --version V --commit SHA'"]
        return [
            f"last deployment: {facts.get('deploy.last.version')} (commit "
            f"{facts.get('deploy.last.commit')}) at {facts.get('deploy.last.at')}, "
            f"{facts.get('deploy.last.ago')} ago"
        ]

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Read the logs inside --since..--now; read convex/crons.ts and the limiter from --project."""
        from diagnose.families.deploy.project_scan import declared_crons, rate_limiter

        sink.put("checklist.post_deploy", True)
        root = _project(ctx)
        sink.put("checklist.project.checked", root is not None)
        declared = declared_crons(root) if root is not None else []
        if root is not None:
            where = rate_limiter(root)
            sink.put("checklist.rate_limit.configured", bool(where))
            sink.put("checklist.rate_limit.where", where)
        # Request logs count toward the 429s; Convex logs toward everything.
        paths = list(dict.fromkeys(str(p) for p in ctx.options.get("latency_logs") or ()))
        sink.put("checklist.logs.given", bool(paths))
        if not paths:
            return
        since = _instant(ctx.options.get("since"))
        until = _instant(ctx.options.get("until")) or ctx.now
        facts = summarise(
            read(paths, ctx.reads),
            since.timestamp() if since else None,
            until.timestamp(),
            declared,
        )
        sink.update({f"checklist.{k}": v for k, v in facts.items()})
