"""What each checklist runs: its probes and their options, and the rules that mark its items."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput
from diagnose.families.checklist.options import ChecklistOptions
from diagnose.families.latency.options import LatencyOptions
from diagnose.families.webhooks.options import WebhooksOptions
from diagnose.family import Plan
from diagnose.inputs import check_url
from diagnose.model import ChecklistPlan
from diagnose.options import resolve as resolve_options
from diagnose.settings import Common

# The runbook's order. Each item is the rule that fails it; its wording is the rule's
# `checklist:` block (rules/checklist/*.yaml), so `rules lint` checks every fact it names.
PRE_DEPLOY = ChecklistPlan(
    "Pre-deploy checklist (runbook)",
    (
        "checklist.env-configured",
        "checklist.build-config",
        "checklist.convex-deploy-prod",
        "checklist.convex-deploy-key",
        "checklist.deploy-window",
    ),
)
POST_DEPLOY = ChecklistPlan(
    "Post-deploy checklist (runbook)",
    (
        "checklist.smoke-tests",
        "checklist.error-rate",
        "checklist.p95",
        "checklist.webhooks-processing",
        "checklist.crons",
        "checklist.integration-syncs",
        "checklist.email",
        "checklist.rate-limiting",
    ),
)


def pre_deploy(common: Common, opts: ChecklistOptions, sources: Sequence[Any]) -> Plan:
    """Env (when there are sources), build settings (with --project), window, deploy command."""
    from diagnose.families.build.options import BuildOptions

    build = resolve_options(BuildOptions, common.config)
    project = opts.project
    probes = ("checklist_pre", *(["envvars"] if sources else []), *(["project"] if project else []))
    options: dict[str, Any] = {
        "project_dir": project,
        "sources": list(sources),
        "extra_required": {},
        "tz": opts.tz,
        "node_major": build.node_major,
    }
    target = project or "(no project: window and deploy command only)"
    return Plan("checklist", target, probes, options)


def post_deploy(
    common: Common, opts: ChecklistOptions, logs: Sequence[str], since: datetime | None
) -> Plan:
    """Smoke and a live sample (with --url), the request and Convex logs, the project's crons."""
    from diagnose.budgets import resolve

    check_post_deploy(opts, logs)
    configured = dict(common.config.data.get("budgets", {}))
    latency = resolve_options(LatencyOptions, common.config)
    webhooks = resolve_options(WebhooksOptions, common.config)
    url, project = opts.url, opts.project
    sample = latency.n if opts.sample is None else opts.sample
    convex_logs = [p for p in logs if is_convex(p)]
    probes = [
        "checklist_post",
        "latency_budget",
        *(["smoke"] if url else []),
        *(["latency_sample"] if url and sample else []),
        *(["latency_logs"] if logs else []),
        *(["webhook_logs"] if convex_logs else []),
    ]
    options = {
        "url": url,
        "convex_url": opts.convex_url,
        "request_timeout": common.request_timeout,
        "latency_urls": [url] if url and sample else [],
        "latency_n": sample,
        "latency_concurrency": latency.concurrency,
        "latency_warmup": latency.warmup,
        "latency_logs": list(logs),
        "logs": convex_logs,  # the webhook and checklist readers take Convex logs only
        "function_match": webhooks.function_match,
        "log_format": webhooks.log_format,
        "since": since,
        "until": common.now,
        "budgets": resolve(configured),
        "budget_source": str(common.config.path) if configured else "runbook",
        "ca_file": latency.ca_file,
        "project_dir": project,
    }
    target = " ".join([*([url] if url else []), *logs])
    return Plan("checklist", target, tuple(probes), options)


def check_pre_deploy(opts: ChecklistOptions) -> None:
    """Refuse a --project that is no folder and a --tz that names no zone, before anything runs."""
    from diagnose.families.deploy.window import zone

    zone(opts.tz)
    if opts.project is not None and not Path(opts.project).is_dir():
        raise BadInput(f"--project {opts.project}: not a folder")


def check_post_deploy(opts: ChecklistOptions, logs: Sequence[str]) -> None:
    """Refuse bad URLs, unreadable logs, stdin, a missing project, or nothing to check."""
    from diagnose.readers.window import read_path_check

    if opts.project is not None and not Path(opts.project).is_dir():
        raise BadInput(f"--project {opts.project}: not a folder")
    if opts.url:
        check_url(opts.url, "--url")
    if opts.convex_url:
        check_url(opts.convex_url, "--convex-url")
    for path in logs:
        if problem := read_path_check(path):
            raise BadInput(f"--log {path}: {problem}")
    if "-" in logs:
        raise BadInput("--log -: the checklist reads each log several times; give a file")
    if not opts.url and not logs:
        raise BadInput(
            "nothing to check: give --url https://dashtray.com (smoke tests, p95) and/or "
            "--log PATH (Convex logs: crons, syncs, email, webhooks; request logs: error rate)"
        )


def is_convex(path: str) -> bool:
    """Return True when the file's first record is a Convex log line (not Logpush or CLF)."""
    from diagnose.readers.logs import detect, first_line
    from diagnose.readers.requests import RequestFormat

    try:
        line = first_line(path)
    except (EOFError, OSError, zlib.error) as exc:  # a cut-off or fake .gz (BadGzipFile)
        raise BadInput(f"--log {path}: cannot read: {exc}") from None
    return line is not None and not isinstance(detect(line), RequestFormat)
