"""diagnose checklist pre-deploy | post-deploy: the runbook's checklists, one mark per item."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from diagnose.commands.common import common_options, given
from diagnose.engine.api import run_plans
from diagnose.families.checklist import plan as plans
from diagnose.families.checklist.options import ChecklistOptions
from diagnose.families.latency.options import LatencyOptions
from diagnose.options import default_text, help_for, resolve
from diagnose.output import finish
from diagnose.settings import make_common
from diagnose.timeparse import parse_when


def run_pre(
    convex_env: str | None, env_files: tuple[str, ...], mine: dict[str, Any], params: dict[str, Any]
) -> int:
    """Resolve the options, run the pre-deploy plan, judge, write the report with its checklist."""
    from diagnose.families.env.plan import env_sources, file_values

    opts = resolve(ChecklistOptions, make_common(params).config, mine)
    plans.check_pre_deploy(opts)
    sources = env_sources(Path(opts.project) if opts.project else None, convex_env, env_files)
    common = make_common(params, secret_values=file_values(sources))
    plan = plans.pre_deploy(common, opts, sources)
    return finish(
        run_plans(common, "checklist pre-deploy", [plan], common.rules(), plans.PRE_DEPLOY),
        common,
    )


def run_post(
    logs: tuple[str, ...], since: str | None, mine: dict[str, Any], params: dict[str, Any]
) -> int:
    """Resolve the options, run the post-deploy plan, judge, write the report with its checklist."""
    common = make_common(params)
    opts = resolve(ChecklistOptions, common.config, mine)
    lo = parse_when(since, common.now) if since is not None else None
    plan = plans.post_deploy(common, opts, logs, lo)
    return finish(
        run_plans(common, "checklist post-deploy", [plan], common.rules(), plans.POST_DEPLOY),
        common,
    )


@click.group("checklist")
def command() -> None:
    """The runbook's checklists: pre-deploy prerequisites, post-deploy monitoring and success."""


@command.command("pre-deploy")
@click.option(
    "--project",
    type=click.Path(),
    help=help_for(
        ChecklistOptions, "project", "Project folder: .env files, workflows, package.json."
    ),
)
@click.option("--convex-env", metavar="FILE|-", help="Output of 'npx convex env list --prod'.")
@click.option(
    "--env-file",
    "env_files",
    multiple=True,
    metavar="FILE",
    help="A .env file of the build (repeatable).",
)
@click.option(
    "--tz",
    metavar="ZONE",
    help=help_for(
        ChecklistOptions, "tz", "Judge the window in this IANA zone.", unset="this machine's"
    ),
)
@common_options
def pre_deploy(convex_env: str | None, env_files: tuple[str, ...], **params: Any) -> None:
    """Env, build configuration, the deploy command, and the deployment window (--now honoured)."""
    sys.exit(run_pre(convex_env, env_files, given(params, "project", "tz"), params))


@command.command("post-deploy")
@click.option(
    "--url",
    help=help_for(ChecklistOptions, "url", "Frontend URL: smoke tests and a live p95 sample."),
)
@click.option(
    "--convex-url",
    help=help_for(ChecklistOptions, "convex_url", "Convex site URL for GET /api/health."),
)
@click.option(
    "--log",
    "logs",
    multiple=True,
    metavar="PATH",
    help="Convex logs (npx convex logs --jsonl, log stream) and/or request logs (Logpush, CLF). Repeatable.",
)
@click.option(
    "--since", metavar="WHEN", help="Only log lines from WHEN (30m, 2h, RFC 3339, epoch)."
)
@click.option(
    "--project",
    type=click.Path(),
    help=help_for(ChecklistOptions, "project", "Project folder: convex/crons.ts, rate limiter."),
)
@click.option(
    "--sample",
    type=int,
    default=None,
    help=help_for(
        ChecklistOptions,
        "sample",
        "Live requests to --url for p95 (0: none).",
        unset=default_text(LatencyOptions, "n"),
    ),
)
@common_options
def post_deploy(logs: tuple[str, ...], since: str | None, **params: Any) -> None:
    """Smoke tests, error rate, p95, webhooks, crons, syncs, email, rate limiting."""
    mine = given(params, "url", "convex_url", "project", "sample")
    sys.exit(run_post(logs, since, mine, params))
