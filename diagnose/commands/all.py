"""diagnose all: every check the config enables, in one run, merged into one ranked list.

Each family contributes a Plan (its probes and their options) built from diagnose.toml. All
probes then run concurrently under the one deadline, and every rule judges the merged facts, so
a root cause in one family absorbs its consequences in another (an expired certificate explains
the failed smoke test).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from diagnose.commands.common import common_options
from diagnose.engine.api import gather_facts
from diagnose.errors import BadInput
from diagnose.output import finish
from diagnose.settings import Common, make_common


@dataclass(frozen=True)
class Plan:
    """What one family runs: its probes, their options, and the secret values it reads."""

    family: str
    target: str
    probes: tuple[str, ...]
    options: Mapping[str, Any]
    secrets: tuple[str, ...] = field(default=())


def _base(config: Any) -> Path:
    return config.path.parent if config.path else Path.cwd()


def plan_smoke(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """Smoke tests when service.url is set."""
    from diagnose.commands.smoke import check_url

    url = common.config.get("service", "url")
    if not url:
        return None
    convex = common.config.get("service", "convex_url")
    options = {
        "url": check_url(url, "service.url"),
        "convex_url": check_url(convex, "service.convex_url") if convex else None,
    }
    return Plan("smoke", url, ("smoke",), options)


def plan_ssl(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """DNS, TLS and HTTPS when service.domain is set."""
    from diagnose.commands.dns import check_domain, network_options, resolver_options

    domain = common.config.get("service", "domain")
    if not domain:
        return None
    cfg = common.config
    expect = cfg.get("dns", "expect_cname")
    if not expect and cfg.get("service", "pages_project"):
        expect = f"{cfg.get('service', 'pages_project')}.pages.dev"
    ca_file = cfg.get("ssl", "ca_file")
    options = {
        "name": check_domain(domain),
        "port": int(cfg.get("ssl", "port", 443)),
        "resolvers": (resolvers := resolver_options((), common)),
        **network_options(resolvers, {}),
        "connect_to": [],
        "ca_file": str(_base(cfg) / ca_file) if ca_file else None,
        "warn_days": int(cfg.get("ssl", "warn_days", 14)),
        "critical_days": int(cfg.get("ssl", "critical_days", 3)),
        "expect_cname": check_domain(expect) if expect else None,
    }
    return Plan("ssl", domain, ("dns", "tls", "https"), options)


def plan_webhooks(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """Webhook logs, captures and the endpoint, when any of them is configured."""
    from diagnose.commands.smoke import check_url
    from diagnose.commands.webhooks import DEFAULT_SECRET_ENV

    cfg = common.config
    base = _base(cfg)
    logs = [str(base / p) for p in cfg.get("webhooks", "logs", [])]
    captures = [str(base / p) for p in cfg.get("webhooks", "captures", [])]
    endpoint = cfg.get("service", "webhook_url")
    if not (logs or captures or endpoint):
        return None
    for path in [*logs, *captures]:
        if not Path(path).is_file():
            raise BadInput(f"config {cfg.path}: webhooks file {path}: no such file")
    secret_env = cfg.get("webhooks", "secret_env") or DEFAULT_SECRET_ENV
    previous_env = cfg.get("webhooks", "previous_secret_env")
    other_env = cfg.get("webhooks", "other_secret_env")
    secrets = {
        "secret": os.environ.get(secret_env),
        "previous_secret": os.environ.get(previous_env) if previous_env else None,
        "other_secret": os.environ.get(other_env) if other_env else None,
    }
    options = {
        "logs": logs,
        "captures": captures,
        "since": window.get("since"),
        "until": window.get("until") or common.now,
        "log_format": "auto",
        "function_match": None,
        "secret_env": secret_env,
        **secrets,
        "tolerance_s": cfg.get("webhooks", "tolerance_s"),
        "endpoint": check_url(endpoint, "service.webhook_url") if endpoint else None,
    }
    probes = ("webhook_logs", "webhook_captures") + (("webhook_endpoint",) if endpoint else ())
    values = tuple(v for v in secrets.values() if v)
    return Plan("webhooks", endpoint or "webhook logs", probes, options, values)


def plan_latency(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """Live sampling of latency.urls and reading latency.logs, against [budgets]."""
    from diagnose.commands.smoke import check_url
    from diagnose.families.latency.budgets import resolve

    cfg = common.config
    urls = [check_url(u, "latency.urls") for u in cfg.get("latency", "urls", [])]
    logs = [str(_base(cfg) / p) for p in cfg.get("latency", "logs", [])]
    if not (urls or logs):
        return None
    since, until = window.get("since"), window.get("until")
    options = {
        "latency_urls": urls,
        "latency_n": int(cfg.get("latency", "n", 10)),
        "latency_concurrency": int(cfg.get("latency", "concurrency", 5)),
        "latency_warmup": 1,
        "latency_logs": logs,
        # The same window as the webhook probes read: datetimes, shared under one key.
        "since": since,
        "until": until or common.now,
        "budgets": resolve(dict(cfg.data.get("budgets", {}))),
        "budget_source": str(cfg.path) if cfg.data.get("budgets") else "runbook",
    }
    return Plan(
        "latency",
        " ".join(urls + logs),
        ("latency_budget", "latency_sample", "latency_logs"),
        options,
    )


def plan_project(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """Env and build configuration when project.dir is set."""
    from diagnose.commands.env import env_sources, file_values

    cfg = common.config
    folder = cfg.get("project", "dir")
    if not folder:
        return None
    root = _base(cfg) / folder
    if not root.is_dir():
        raise BadInput(f"config {cfg.path}: project.dir {root}: not a folder")
    convex_env = cfg.get("project", "convex_env")
    sources = env_sources(root, str(_base(cfg) / convex_env) if convex_env else None, ())
    values = file_values(sources)
    options: dict[str, Any] = {
        "project_dir": str(root),
        "sources": sources,
        "extra_required": {},
        "log_text": None,
    }
    probes = ("project",) + (("envvars",) if sources else ())
    return Plan("project", str(root), probes, options, values)


PLANNERS: dict[str, Callable[[Common, Mapping[str, Any]], Plan | None]] = {
    "smoke": plan_smoke,
    "ssl": plan_ssl,
    "webhooks": plan_webhooks,
    "latency": plan_latency,
    "project": plan_project,
}


def plans(common: Common, window: Mapping[str, Any]) -> list[Plan]:
    """Return the plan of every family the config enables."""
    return [p for planner in PLANNERS.values() if (p := planner(common, window)) is not None]


def run_all(since: str | None, until: str | None, params: dict[str, Any]) -> int:
    """Run every enabled family at once and judge the merged facts."""
    from diagnose.engine.api import judge
    from diagnose.timeparse import parse_when

    pre = make_common(params)
    window = {
        "since": parse_when(since, pre.now) if since is not None else None,
        "until": parse_when(until, pre.now) if until is not None else None,
    }
    found = plans(pre, window)
    if not found:
        raise BadInput(
            "nothing to check: diagnose.toml enables no check (run 'diagnose init' to write one)"
        )
    secrets = tuple(v for p in found for v in p.secrets)
    common = make_common(params, secret_values=secrets)
    options: dict[str, Any] = {"request_timeout": common.config.get("run", "request_timeout", 5.0)}
    for plan in found:
        options.update(plan.options)
    probes = list(dict.fromkeys(name for p in found for name in p.probes))
    rules = common.rules()
    started = datetime.now(UTC)
    factset = gather_facts(
        common,
        "all",
        ", ".join(f"{p.family}: {p.target}" for p in found),
        probes,
        options,
        secrets=secrets,
    )
    return finish(judge(factset, rules, started), common)


@click.command("all")
@click.option("--since", metavar="WHEN", help="Start of the log window (1h, RFC 3339, epoch).")
@click.option("--until", metavar="WHEN", help="End of the log window [default: now].")
@common_options
def command(since: str | None, until: str | None, **params: Any) -> None:
    """Every check diagnose.toml enables, concurrently, merged into one ranked list."""
    sys.exit(run_all(since, until, params))
