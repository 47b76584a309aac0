"""diagnose checklist pre-deploy | post-deploy: the runbook's checklists, one mark per item."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from diagnose.commands.common import common_options
from diagnose.engine.api import run_plans
from diagnose.errors import BadInput
from diagnose.families.checklist import plan as plans
from diagnose.inputs import check_url
from diagnose.output import finish
from diagnose.settings import make_common
from diagnose.timeparse import parse_when


def run_pre(
    project: str | None,
    convex_env: str | None,
    env_files: tuple[str, ...],
    tz: str | None,
    params: dict[str, Any],
) -> int:
    """Check the options, run the pre-deploy plan, judge, write the report with its checklist."""
    from diagnose.families.deploy.window import zone
    from diagnose.families.env.plan import env_sources, file_values

    make_common(params)  # bad options are bad input before anything runs
    zone(tz)  # a bad --tz too
    root = Path(project) if project else None
    if root is not None and not root.is_dir():
        raise BadInput(f"--project {project}: not a folder")
    sources = env_sources(root, convex_env, env_files)
    common = make_common(params, secret_values=file_values(sources))
    plan = plans.pre_deploy(common, project, sources, tz)
    return finish(
        run_plans(common, "checklist pre-deploy", [plan], common.rules(), plans.PRE_DEPLOY),
        common,
    )


def run_post(
    url: str | None,
    convex_url: str | None,
    logs: tuple[str, ...],
    since: str | None,
    project: str | None,
    sample: int,
    params: dict[str, Any],
) -> int:
    """Check the options, run the post-deploy plan, judge, write the report with its checklist."""
    from diagnose.families.build.plan import project_dir
    from diagnose.readers.window import read_path_check

    common = make_common(params)
    project = project_dir(project)
    url = url or common.config.get("service", "url")
    convex_url = convex_url or common.config.get("service", "convex_url")
    url = check_url(url, "--url") if url else None
    convex_url = check_url(convex_url, "--convex-url") if convex_url else None
    for path in logs:
        if problem := read_path_check(path):
            raise BadInput(f"--log {path}: {problem}")
    if "-" in logs:
        raise BadInput("--log -: the checklist reads each log several times; give a file")
    if not 0 <= sample <= 1000:
        raise BadInput(f"bad --sample {sample}: give a whole number from 0 to 1000")
    lo = parse_when(since, common.now) if since is not None else None
    if not url and not logs:
        raise BadInput(
            "nothing to check: give --url https://dashtray.com (smoke tests, p95) and/or "
            "--log PATH (Convex logs: crons, syncs, email, webhooks; request logs: error rate)"
        )
    plan = plans.post_deploy(common, url, convex_url, logs, lo, project, sample)
    return finish(
        run_plans(common, "checklist post-deploy", [plan], common.rules(), plans.POST_DEPLOY),
        common,
    )


@click.group("checklist")
def command() -> None:
    """The runbook's checklists: pre-deploy prerequisites, post-deploy monitoring and success."""


@command.command("pre-deploy")
@click.option(
    "--project", type=click.Path(), help="Project folder: .env files, workflows, package.json."
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
    "--tz", metavar="ZONE", help="Judge the window in this IANA zone [default: this machine's]."
)
@common_options
def pre_deploy(
    project: str | None,
    convex_env: str | None,
    env_files: tuple[str, ...],
    tz: str | None,
    **params: Any,
) -> None:
    """Env, build configuration, the deploy command, and the deployment window (--now honoured)."""
    sys.exit(run_pre(project, convex_env, env_files, tz, params))


@command.command("post-deploy")
@click.option("--url", help="Frontend URL: smoke tests and a live p95 sample.")
@click.option("--convex-url", help="Convex site URL for GET /api/health.")
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
@click.option("--project", type=click.Path(), help="Project folder: convex/crons.ts, rate limiter.")
@click.option(
    "--sample",
    type=int,
    default=10,
    show_default=True,
    help="Live requests to --url for p95 (0: none).",
)
@common_options
def post_deploy(
    url: str | None,
    convex_url: str | None,
    logs: tuple[str, ...],
    since: str | None,
    project: str | None,
    sample: int,
    **params: Any,
) -> None:
    """Smoke tests, error rate, p95, webhooks, crons, syncs, email, rate limiting."""
    sys.exit(run_post(url, convex_url, logs, since, project, sample, params))
