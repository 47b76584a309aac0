"""What `diagnose webhooks` runs: the Convex logs, the captured deliveries, the endpoint."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput
from diagnose.families.webhooks.options import WebhooksOptions
from diagnose.family import Plan
from diagnose.inputs import check_url
from diagnose.options import resolve
from diagnose.safefiles import regular_file_problem
from diagnose.settings import Common
from diagnose.sources import plans as live_sources
from diagnose.sources.plans import Live
from diagnose.timeparse import iso

NOTHING_TO_READ = (
    "nothing to read: give --log FILE (timeout 20 npx convex logs --prod --history 500 --jsonl > convex.jsonl), "
    "--capture FILE (HAR or JSON lines) or --endpoint URL"
)


def readable(paths: Sequence[str], option: str) -> list[str]:
    """Check that every file exists and is readable ('-' is stdin, once)."""
    for p in paths:
        if p == "-":
            continue
        path = Path(p)
        if problem := regular_file_problem(path):
            raise BadInput(f"{option} {p}: {problem}")
        if not os.access(path, os.R_OK):
            raise BadInput(f"{option} {p}: not readable")
    if list(paths).count("-") > 1:
        raise BadInput(f"{option} -: stdin can be read only once")
    return list(paths)


def env_name(value: str | None, option: str) -> str | None:
    """Return the name of an environment variable; raise BadInput when it is not one."""
    if value and not value.replace("_", "").isalnum():
        raise BadInput(f"bad {option} {value!r}: give the NAME of an environment variable")
    return value


def secret_env_names(value: str | Sequence[str]) -> tuple[str, ...]:
    """The env vars the secret may be in, in order (a config may give one name or a list)."""
    names = (value,) if isinstance(value, str) else tuple(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise BadInput(f"bad --secret-env {name!r}: give the NAME of an environment variable")
        env_name(name, "--secret-env")
    if not names:
        raise BadInput("bad --secret-env: give the NAME of an environment variable")
    return names


def pick_secret(
    names: Sequence[str], environ: Mapping[str, str] = os.environ
) -> tuple[str, str | None]:
    """The first of `names` that is set, with its value; else the first name and None."""
    for name in names:
        if value := environ.get(name):
            return name, value
    return names[0], None


def secret_envs(opts: WebhooksOptions) -> list[str]:
    """The names of the env vars that hold secrets (their values are masked everywhere)."""
    names = [
        *secret_env_names(opts.secret_env),
        env_name(opts.previous_secret_env, "--previous-secret-env"),
        env_name(opts.other_secret_env, "--other-secret-env"),
    ]
    return [n for n in names if n]


def command_plan(
    opts: WebhooksOptions,
    since: datetime | None,
    until: datetime,
    *,
    required: bool = True,
    common: Common | None = None,
) -> Plan | None:
    """The webhook probes for what was given; None (or BadInput when required) for nothing."""
    secret_envs(opts)
    logs = readable(opts.logs, "--log")
    captures = readable(opts.captures, "--capture")
    endpoint = check_url(opts.endpoint, "--endpoint") if opts.endpoint else None
    if "-" in logs and "-" in captures:
        raise BadInput(
            "--log - and --capture -: stdin can be read only once; give one of them as a file"
        )
    # Bad input is refused before any live source is asked (a CLI run can take --timeout).
    if since is not None and since >= until:
        raise BadInput(f"--since {iso(since)} is not before --until ({iso(until)})")
    try:
        re.compile(opts.function_match)
    except re.error as exc:
        raise BadInput(f"bad --function {opts.function_match!r}: {exc}") from None
    # Live sources (diagnose/sources): Convex logs through its CLI when no --log is given, Dodo.
    live = live_sources.webhooks(common, bool(logs), since, until, endpoint) if common else Live()
    given_logs, logs = logs, logs or list(live.files)
    if not (logs or captures or endpoint or live.any()):
        if required:
            raise BadInput(NOTHING_TO_READ)
        return None
    looked_in = secret_env_names(opts.secret_env)
    secret_env, secret = pick_secret(looked_in)
    secrets = {
        "secret": secret,
        "previous_secret": os.environ.get(opts.previous_secret_env or "") or None,
        "other_secret": os.environ.get(opts.other_secret_env or "") or None,
    }
    options: dict[str, Any] = {
        "logs": logs,
        "captures": captures,
        "since": since,
        "until": until,
        "log_format": opts.log_format,
        "function_match": opts.function_match,
        "secret_env": secret_env,  # the variable the secret was found in (else the first)
        "secret_envs": list(looked_in),
        **secrets,
        "tolerance_s": opts.tolerance_s,
        "endpoint": endpoint,
    }
    # Only what was given runs: a probe with nothing to read would make the run "nothing checked".
    probes = (
        (("webhook_logs",) if logs else ())
        + (("webhook_captures",) if captures else ())
        + (("webhook_endpoint",) if endpoint else ())
    )
    probes = probes + tuple(p for p in live.probes if p not in probes)
    options.update(live.options)
    target = endpoint or ", ".join([*given_logs, *captures]) or live.target
    secrets_read = tuple(v for v in secrets.values() if v) + live.secrets
    return Plan("webhooks", target, probes, options, secrets_read)


def plan(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """Webhook logs, captures and the endpoint, when any of them is configured."""
    opts = resolve(WebhooksOptions, common.config)
    for path in [*opts.logs, *opts.captures]:
        if not Path(path).is_file():
            raise BadInput(f"config {common.config.path}: webhooks file {path}: no such file")
    until = window.get("until") or common.now
    return command_plan(opts, window.get("since"), until, required=False, common=common)
