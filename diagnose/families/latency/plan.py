"""What `diagnose latency` runs: live samples of URLs, request and function logs, the budgets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from diagnose.budgets import Budgets, from_config
from diagnose.errors import BadInput
from diagnose.families.latency.options import LatencyOptions
from diagnose.family import Plan
from diagnose.inputs import check_pem, check_url
from diagnose.options import resolve
from diagnose.readers.window import read_path_check
from diagnose.settings import Common
from diagnose.sources import plans as live_sources

PROBES = ("latency_budget", "latency_sample", "latency_logs")


def command_plan(
    opts: LatencyOptions,
    common: Common,
    since: datetime | None,
    until: datetime | None,
    *,
    required: bool = True,
) -> Plan | None:
    """Sample the URLs and read the logs against the budgets; None (or BadInput) for nothing."""
    for path in opts.logs:
        if problem := read_path_check(path):
            raise BadInput(f"--log {path}: {problem}")
    urls = list(opts.urls)
    if required and not urls and not opts.logs and (url := common.config.get("service", "url")):
        urls = [url]
    urls = [check_url(u, "URL") for u in urls]
    live = live_sources.latency(common, bool(opts.logs), urls)  # Cloudflare Analytics, if set
    if not urls and not opts.logs and not live.any():
        if not required:
            return None
        raise BadInput(
            "nothing to measure: give URLs (diagnose latency https://dashtray.com), "
            "--log PATH, or set service.url in diagnose.toml"
        )
    if opts.ca_file:
        check_pem(opts.ca_file)  # before the run: the TLS library would read a FIFO forever
    if since and until and since > until:
        raise BadInput(f"--since {since.isoformat()} is after --until {until.isoformat()}")
    configured = any(
        common.config.get("budgets", f) is not None for f in Budgets.__dataclass_fields__
    )
    options: dict[str, Any] = {
        "latency_urls": urls,
        "latency_n": opts.n,
        "latency_concurrency": opts.concurrency,
        "latency_warmup": opts.warmup,
        "latency_logs": list(opts.logs),
        "since": since,
        "until": until,
        "budgets": from_config(common.config),
        "budget_source": str(common.config.path) if configured else "runbook",
        "ca_file": opts.ca_file,
    }
    # The log probe runs only for logs given: it warms pandas before the deadline, which a run
    # that only samples URLs should not pay for.
    probes = PROBES if opts.logs else tuple(p for p in PROBES if p != "latency_logs")
    options.update(live.options)
    target = " ".join([*urls, *opts.logs]) or live.target
    return Plan("latency", target, probes + live.probes, options, live.secrets)


def plan(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """Live sampling of latency.urls and reading latency.logs, against [budgets]."""
    opts = resolve(LatencyOptions, common.config)
    until = window.get("until") or common.now
    return command_plan(opts, common, window.get("since"), until, required=False)
