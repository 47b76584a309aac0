"""diagnose checklist pre-deploy | post-deploy: the runbook's checklists, one mark per item."""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from diagnose.commands.common import common_options
from diagnose.engine.api import gather_facts
from diagnose.errors import BadInput
from diagnose.output import finish
from diagnose.settings import Common, make_common

Facts = Mapping[str, Any]


@dataclass(frozen=True)
class Item:
    """One checklist line: the rule that fails it, and how to say what it saw."""

    rule: str
    label: str
    needs: str  # what to give when the item could not be checked
    seen: Callable[[Facts], str]  # the evidence of a pass
    unconfirmed: Callable[[Facts], str | None] = lambda f: None  # why a quiet rule proves nothing


def _say(f: Facts, *parts: tuple[str, str]) -> str:
    """Return 'label value, ...' for the facts that are set (never 'None'); rates as percents."""

    def shown(name: str) -> str:
        value = f[name]
        if name.endswith("error_rate") and isinstance(value, int | float):
            return f"{value * 100:.2f} %"
        return str(value)

    return ", ".join(f"{label} {shown(name)}" for label, name in parts if f.get(name) is not None)


def _n(f: Facts, name: str) -> Any:
    value = f.get(name)
    return 0 if value is None else value


PRE_ITEMS = (
    Item(
        "checklist.env-configured",
        "Environment variables configured (production set)",
        "--convex-env FILE, --env-file FILE or --project DIR",
        lambda f: f"{len(f.get('env.present') or [])} required names set in {f.get('env.sources')}",
    ),
    Item(
        "checklist.build-config",
        "Build configuration: Node 20, lockfile committed, pnpm set up first",
        "--project DIR",
        lambda f: (
            f"Node {f.get('project.expected_node_major')}, lockfiles {f.get('project.lockfiles')}"
        ),
        lambda f: None if f.get("project.checked") else "no --project DIR to read",
    ),
    Item(
        "checklist.convex-deploy-prod",
        "Convex deploy command will work (npx convex deploy, no --prod)",
        "--project DIR",
        lambda f: (
            f"{len(f.get('checklist.convex.deploy_commands') or [])} convex deploy command(s), none with --prod"
        ),
        lambda f: None if f.get("checklist.convex.checked") else "no --project DIR to read",
    ),
    Item(
        "checklist.convex-deploy-key",
        "CI deploys Convex with CONVEX_DEPLOY_KEY",
        "--project DIR",
        lambda f: "every workflow that deploys Convex names CONVEX_DEPLOY_KEY",
        lambda f: None if f.get("checklist.convex.checked") else "no --project DIR to read",
    ),
    Item(
        "checklist.deploy-window",
        "Deployment window (best Tuesday-Thursday 10:00-14:00 local time)",
        "",
        lambda f: (
            f"{f.get('checklist.window.weekday')} {f.get('checklist.window.local_time')} "
            f"({f.get('checklist.window.tz')}): {f.get('checklist.window.verdict')}"
        ),
    ),
)

POST_ITEMS = (
    Item(
        "checklist.smoke-tests",
        "All smoke tests pass (homepage, sign-in, Convex health)",
        "--url URL (and --convex-url URL)",
        lambda f: (
            f"homepage {f.get('smoke.homepage.outcome')}, sign-in {f.get('smoke.auth.outcome')}, "
            f"health {f.get('smoke.health.outcome')}"
        ),
        lambda f: None if f.get("smoke.url") else "no --url to test",
    ),
    Item(
        "checklist.error-rate",
        "Error rate < 1 %",
        "--log PATH (request logs or Convex logs)",
        lambda f: _say(
            f,
            ("requests", "latency.logs.error_rate"),
            ("Convex functions", "checklist.functions.error_rate"),
        ),
        lambda f: (
            None
            if _n(f, "latency.logs.requests") or _n(f, "checklist.functions.calls")
            else "no requests or function runs in the logs"
        ),
    ),
    Item(
        "checklist.p95",
        "Response time < 2 s (p95)",
        "--url URL or --log PATH (request logs)",
        lambda f: _say(
            f,
            ("p95 in the logs (ms)", "latency.logs.p95_ms"),
            ("live p95 (ms)", "latency.sample.p95_ms"),
        ),
        lambda f: (
            None
            if _n(f, "latency.logs.requests") or _n(f, "latency.sample.count")
            else "no request timings (request logs or --url)"
        ),
    ),
    Item(
        "checklist.webhooks-processing",
        "Webhooks processing",
        "--log PATH (Convex logs)",
        lambda f: (
            f"{f.get('webhook.logs.deliveries')} executions, {f.get('webhook.logs.handler_errors')} "
            "handler errors"
        ),
        lambda f: None if _n(f, "webhook.logs.deliveries") else "no webhook execution in the logs",
    ),
    Item(
        "checklist.crons",
        "Cron jobs executing on schedule",
        "--log PATH (Convex logs)",
        lambda f: "; ".join(f.get("checklist.crons.jobs") or []),
        lambda f: None if _n(f, "checklist.crons.seen") else "no cron run in the logs",
    ),
    Item(
        "checklist.integration-syncs",
        "Integration syncs running and succeeding",
        "--log PATH (Convex logs)",
        lambda f: (
            f"{f.get('checklist.syncs.runs')} runs, last success {f.get('checklist.syncs.last_success_at')}"
        ),
        lambda f: None if _n(f, "checklist.syncs.runs") else "no sync ran in the logs",
    ),
    Item(
        "checklist.email",
        "Email sending without errors",
        "--log PATH (Convex logs)",
        lambda f: f"{f.get('checklist.email.sends')} email function runs, no error",
        lambda f: None if _n(f, "checklist.email.sends") else "no email sent in the logs",
    ),
    Item(
        "checklist.rate-limiting",
        "Rate limiting active (429s under load, or configured)",
        "--log PATH or --project DIR",
        lambda f: (
            f"{f.get('checklist.rate_limit.responses_429')} rate-limited answers; configured: "
            f"{f.get('checklist.rate_limit.where') or 'not checked'}"
        ),
        lambda f: (
            None
            if _n(f, "checklist.rate_limit.responses_429")
            or f.get("checklist.rate_limit.configured")
            else "no 429 in the logs and no --project DIR to find a limiter"
        ),
    ),
)

MARK = {"pass": "[x]", "fail": "[ ]", "inconclusive": "[?]"}


def item_states(diagnosis: Any, items: Sequence[Item]) -> list[dict[str, Any]]:
    """Return each item's state (pass, fail, inconclusive) and evidence, from the Diagnosis."""
    facts = diagnosis.factset.facts
    fired: dict[str, str] = {}
    for f in diagnosis.findings:
        for one in (f, *f.explains):
            fired.setdefault(one.id, one.message)
    unsure = {i.id: i.reason for i in diagnosis.inconclusive}
    quiet = set(diagnosis.quiet)
    out: list[dict[str, Any]] = []
    for item in items:
        if item.rule in fired:
            state, evidence = "fail", fired[item.rule]
        elif item.rule in unsure:
            state, evidence = "inconclusive", unsure[item.rule]
        elif item.rule in quiet and (why := item.unconfirmed(facts)) is None:
            state, evidence = "pass", item.seen(facts)
        elif item.rule in quiet:
            state, evidence = "inconclusive", f"not confirmed: {why}"
        else:
            state, evidence = "inconclusive", f"not checked: give {item.needs}"
        out.append({"id": item.rule, "item": item.label, "state": state, "evidence": evidence})
    return out


def checklist_lines(title: str, states: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the checklist as plain lines, one mark per item."""
    counts = {s: sum(1 for x in states if x["state"] == s) for s in MARK}
    head = f"{title}: {counts['pass']} pass, {counts['fail']} fail, {counts['inconclusive']} inconclusive"
    return [head, *(f"{MARK[s['state']]} {s['item']}: {s['evidence']}" for s in states)]


def _finish(diagnosis: Any, common: Common, title: str, items: Sequence[Item]) -> int:
    states = item_states(diagnosis, items)
    factset = replace(
        diagnosis.factset, facts={**diagnosis.factset.facts, "checklist.items": states}
    )
    diagnosis = replace(
        diagnosis,
        factset=factset,
        notes=(*checklist_lines(title, states), *diagnosis.notes),
    )
    # The notes start with "[x] item: evidence" lines: the Markdown renderer turns them into a
    # task list, so the checklist reaches incidents too (--attach).
    return finish(diagnosis, common)


def run_pre(
    project: str | None,
    convex_env: str | None,
    env_files: tuple[str, ...],
    tz: str | None,
    params: dict[str, Any],
) -> int:
    """Gather env, build-config, window and deploy-command facts; judge; print the checklist."""
    from diagnose.engine.api import judge
    from diagnose.families.deploy.window import zone
    from diagnose.families.env.plan import env_sources, file_values

    make_common(params)  # bad options are bad input before anything runs
    zone(tz)  # a bad --tz too
    root = Path(project) if project else None
    if root is not None and not root.is_dir():
        raise BadInput(f"--project {project}: not a folder")
    sources = env_sources(root, convex_env, env_files)
    common = make_common(params, secret_values=file_values(sources))
    probes = ["checklist_pre", *(["envvars"] if sources else []), *(["project"] if root else [])]
    rules = common.rules()
    started = datetime.now(UTC)
    factset = gather_facts(
        common,
        "checklist pre-deploy",
        project or "(no project: window and deploy command only)",
        probes,
        {"project_dir": project, "sources": sources, "extra_required": {}, "tz": tz},
    )
    diagnosis = judge(factset, rules, started)
    return _finish(diagnosis, common, "Pre-deploy checklist (runbook)", PRE_ITEMS)


def run_post(
    url: str | None,
    convex_url: str | None,
    logs: tuple[str, ...],
    since: str | None,
    project: str | None,
    sample: int,
    params: dict[str, Any],
) -> int:
    """Gather smoke, latency, webhook, Convex-log and deployment facts; print the checklist."""
    from diagnose.budgets import resolve
    from diagnose.engine.api import judge
    from diagnose.families.build.plan import project_dir
    from diagnose.families.latency.options import LatencyOptions
    from diagnose.families.webhooks.options import WebhooksOptions
    from diagnose.inputs import check_url
    from diagnose.options import resolve as resolve_options
    from diagnose.readers.window import read_path_check
    from diagnose.timeparse import parse_when

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
    configured = dict(common.config.data.get("budgets", {}))
    latency = resolve_options(LatencyOptions, common.config)
    webhooks = resolve_options(WebhooksOptions, common.config)
    probes = ["checklist_post", "latency_budget"]
    if url:
        probes.append("smoke")
        if sample:
            probes.append("latency_sample")
    if logs:
        probes.append("latency_logs")
    if any(_is_convex(p) for p in logs):
        probes.append("webhook_logs")
    convex_logs = [p for p in logs if _is_convex(p)]
    options = {
        "url": url,
        "convex_url": convex_url,
        "request_timeout": common.config.get("run", "request_timeout", 10.0),
        "latency_urls": [url] if url and sample else [],
        "latency_n": sample,
        "latency_concurrency": latency.concurrency,
        "latency_warmup": latency.warmup,
        "latency_logs": list(logs),
        "logs": convex_logs,  # the webhook and checklist readers take Convex logs only
        "function_match": webhooks.function_match,
        "log_format": webhooks.log_format,
        "since": lo,
        "until": common.now,
        "budgets": resolve(configured),
        "budget_source": str(common.config.path) if configured else "runbook",
        "ca_file": common.config.get("ssl", "ca_file"),
        "project_dir": project,
    }
    rules = common.rules()
    started = datetime.now(UTC)
    factset = gather_facts(
        common,
        "checklist post-deploy",
        " ".join([*([url] if url else []), *logs]),
        probes,
        options,
    )
    diagnosis = judge(factset, rules, started, notes=_deploy_note(factset.facts))
    return _finish(diagnosis, common, "Post-deploy checklist (runbook)", POST_ITEMS)


def _is_convex(path: str) -> bool:
    """Return True when the file's first record is a Convex log line (not Logpush or CLF)."""
    from diagnose.readers.logs import detect, first_line
    from diagnose.readers.requests import RequestFormat

    try:
        line = first_line(path)
    except (EOFError, OSError, zlib.error) as exc:  # a cut-off or fake .gz (BadGzipFile)
        raise BadInput(f"--log {path}: cannot read: {exc}") from None
    return line is not None and not isinstance(detect(line), RequestFormat)


def _deploy_note(facts: Facts) -> list[str]:
    if not facts.get("deploy.recorded"):
        return ["no deployment recorded: run 'diagnose deploy record --version V --commit SHA'"]
    return [
        f"last deployment: {facts.get('deploy.last.version')} (commit {facts.get('deploy.last.commit')}) "
        f"at {facts.get('deploy.last.at')}, {facts.get('deploy.last.ago')} ago"
    ]


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
