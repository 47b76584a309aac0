"""Write Convex logs of a Dashtray around a deployment: crons, integration syncs, email, 429s,
webhook deliveries, and Cloudflare Logpush request lines, for the checklist and deploy tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from diagnose.lab.convex_logs import WEBHOOK_FUNCTION, Execution, completion
from diagnose.lab.log_writers import Request, write_logpush

MINUTES = 120
DEPLOY_AGO_MIN = 30  # the deployment happens this long before `now`
ONSET_MIN = 4  # a regression starts this long after the deployment

SCENARIOS: dict[str, str] = {
    "healthy": "crons on schedule, syncs and email succeed, sign-in answers 429 under load",
    "cron-stopped": "integrations:syncAll (every 15 min) stops at the deployment",
    "cron-failing": "sessions:cleanup (every 5 min) fails on every run after the deployment",
    "sync-failing": "the integration sync fails with 'GitHub API 401' after the deployment",
    "email-errors": "emails:sendWelcome fails with 'Resend API error 401' after the deployment",
    "no-rate-limit": "no 429 anywhere (and no limiter in the project)",
    "regression": "4 minutes after the deployment, a quarter of the queries, webhooks and requests fail and requests slow to 3 s",
}


def _runs(scenario: str, now: datetime) -> Iterator[Execution]:
    end = now.timestamp()
    start = end - MINUTES * 60
    deployed = end - DEPLOY_AGO_MIN * 60
    broken = deployed + ONSET_MIN * 60
    for i in range(MINUTES * 2):  # every 30 s
        ts = start + i * 30 + 3
        after = ts >= deployed
        bad = scenario == "regression" and ts >= broken
        yield Execution(
            ts,
            "messages:list",
            udf="Query",
            seconds=0.012,
            error="Uncaught TypeError: Cannot read properties of undefined (reading 'userId')"
            if bad and i % 4 == 0
            else None,
        )
        minute = i // 2
        if i % 2:
            continue
        if minute % 2 == 0:
            msg = f"msg_{minute:04d}abcdefghij"
            yield Execution(
                ts + 5,
                WEBHOOK_FUNCTION,
                seconds=0.2,
                lines=[("LOG", f"'webhook received payment.succeeded {msg}'")],
                error="Uncaught Error: Cannot find module './billing'"
                if bad and minute % 4 == 0
                else None,
            )
        if minute % 5 == 0:
            failing = scenario == "cron-failing" and after
            yield Execution(
                ts + 10,
                "sessions:cleanup",
                udf="Mutation",
                seconds=0.05,
                error="Uncaught Error: Index sessions.by_expiry not found" if failing else None,
            )
        if minute % 15 == 0 and not (scenario == "cron-stopped" and after):
            failing = scenario == "sync-failing" and after
            yield Execution(
                ts + 12,
                "integrations:syncAll",
                udf="Action",
                seconds=0.6,
                lines=[("LOG", "'synced 12 repositories'")] if not failing else [],
                error="Uncaught Error: GitHub API 401 Bad credentials" if failing else None,
            )
        if minute % 10 == 3:
            failing = scenario == "email-errors" and after
            yield Execution(
                ts + 7,
                "emails:sendWelcome",
                udf="Action",
                seconds=0.3,
                error="Uncaught Error: Resend API error 401: API key is invalid"
                if failing
                else None,
            )
        if minute % 20 == 7 and scenario != "no-rate-limit":
            yield Execution(
                ts + 8,
                "auth:signIn",
                udf="Mutation",
                seconds=0.01,
                error="Uncaught ConvexError: Rate limit exceeded for signIn (429), retry in 30 s",
            )


CRON_FUNCTIONS = ("sessions:cleanup", "integrations:syncAll")


def write_convex(path: Path, scenario: str, now: datetime) -> Path:
    """Write the scenario's `npx convex logs --jsonl` records (crons with caller Cron)."""
    if scenario not in SCENARIOS:
        raise KeyError(scenario)
    with path.open("w", encoding="utf-8") as out:
        for e in sorted(_runs(scenario, now), key=lambda x: x.ts):
            record = completion(e)
            if e.identifier in CRON_FUNCTIONS:
                record["caller"] = "Cron"
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    return path


def write_requests(path: Path, scenario: str, now: datetime) -> Path:
    """Write Logpush lines: 20 requests a minute; in `regression`, slow and failing after onset."""
    start = now - timedelta(minutes=MINUTES)
    broken = now - timedelta(minutes=DEPLOY_AGO_MIN - ONSET_MIN)

    def requests() -> Iterator[Request]:
        for minute in range(MINUTES):
            for k in range(20):
                at = start + timedelta(minutes=minute, seconds=k * 3)
                bad = scenario == "regression" and at >= broken
                status = 502 if bad and k % 4 == 0 else 200
                ms = 3000.0 + k if bad else 120.0 + k * 5
                yield Request(at, "/" if k % 2 else "/api/data", status, ms, ms * 0.8, "dynamic")

    return write_logpush(path, requests())


def deployed_at(now: datetime) -> datetime:
    """Return when the scenarios' deployment happened."""
    return now - timedelta(minutes=DEPLOY_AGO_MIN)


CRONS_TS = """import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();
crons.interval("cleanupSessions", { minutes: 5 }, internal.sessions.cleanup);
crons.interval("syncIntegrations", { minutes: 15 }, internal.integrations.syncAll);
export default crons;
"""


def write_project(folder: Path, rate_limiter: bool = True) -> Path:
    """Write a minimal project: convex/crons.ts and package.json (with or without the limiter)."""
    (folder / "convex").mkdir(parents=True, exist_ok=True)
    (folder / "convex" / "crons.ts").write_text(CRONS_TS, encoding="utf-8")
    deps = {"convex": "^1.17.0"}
    if rate_limiter:
        deps["@convex-dev/rate-limiter"] = "^0.2.0"
    pkg = {"name": "dashtray", "scripts": {"deploy": "npx convex deploy"}, "dependencies": deps}
    (folder / "package.json").write_text(json.dumps(pkg, indent=2), encoding="utf-8")
    return folder
