"""diagnose webhooks: why payment webhooks are not being processed; and `replay` of one delivery.

`webhooks` is a click group invoked without a subcommand to diagnose (its options are the
diagnosing options) and with `replay` to re-send one captured delivery.
"""

from __future__ import annotations

import ipaddress
import shlex
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from diagnose.commands.common import common_options, given
from diagnose.engine.api import run_plans
from diagnose.errors import BadInput
from diagnose.families.webhooks.options import WebhooksOptions
from diagnose.families.webhooks.signature import SecretError, sign
from diagnose.inputs import check_url
from diagnose.options import help_for, resolve
from diagnose.output import finish, write_text
from diagnose.probe import Unfinished, run_bounded
from diagnose.settings import Common, RunOptions, make_common
from diagnose.strictjson import loads
from diagnose.timeparse import parse_when

WEBHOOK_OPTIONS = (
    "logs",
    "captures",
    "secret_env",
    "previous_secret_env",
    "other_secret_env",
    "log_format",
    "function_match",
    "endpoint",
)


def run_webhooks(since_text: str | None, until_text: str | None, params: dict[str, Any]) -> int:
    """Gather the webhook facts, judge them, write the report; return the exit code."""
    from diagnose.families.webhooks.plan import command_plan, secret_envs

    mine = given(params, *WEBHOOK_OPTIONS)
    pre = make_common(params)
    opts = resolve(WebhooksOptions, pre.config, mine)
    common: Common = make_common(params, secret_env=secret_envs(opts))
    since = parse_when(since_text, common.now) if since_text is not None else None
    until = parse_when(until_text, common.now) if until_text is not None else common.now
    plan = command_plan(opts, since, until, common=common)
    assert plan is not None  # required: nothing to read is BadInput
    # An empty window is judged by a rule too (webhook.no-data), not here.
    return finish(run_plans(common, "webhooks", [plan], common.rules()), common)


@click.group("webhooks", invoke_without_command=True)
@click.option(
    "--log",
    "logs",
    multiple=True,
    metavar="PATH|-",
    help="A Convex log: `npx convex logs --jsonl` output, log-stream JSON or text; gzip ok; - is stdin (repeatable).",
)
@click.option(
    "--capture",
    "captures",
    multiple=True,
    metavar="PATH",
    help="Captured deliveries: HAR 1.2 or JSON lines (repeatable).",
)
@click.option(
    "--since", "since_text", metavar="WHEN", help="Start of the window: 1h, 30m, RFC 3339, epoch."
)
@click.option("--until", "until_text", metavar="WHEN", help="End of the window [default: now].")
@click.option(
    "--secret-env",
    multiple=True,
    metavar="VAR",
    help=help_for(
        WebhooksOptions,
        "secret_env",
        "Env var holding the webhook secret; repeat to look in several, the first set wins.",
    ),
)
@click.option(
    "--previous-secret-env",
    metavar="VAR",
    help="Env var holding the secret before the last rotation.",
)
@click.option(
    "--other-secret-env",
    metavar="VAR",
    help="Env var holding the other environment's secret (test vs live).",
)
@click.option(
    "--log-format",
    type=click.Choice(["auto", "jsonl", "stream", "text"]),
    default=None,
    help=help_for(WebhooksOptions, "log_format", "Force the log format."),
)
@click.option(
    "--function",
    "function_match",
    metavar="REGEX",
    help=help_for(WebhooksOptions, "function_match", "Which Convex functions handle webhooks."),
)
@click.option(
    "--endpoint",
    metavar="URL",
    help="Also POST an unsigned request to the webhook URL [default: service.webhook_url].",
)
@common_options
@click.pass_context
def command(
    ctx: click.Context, since_text: str | None, until_text: str | None, **params: Any
) -> None:
    """Why payment webhooks are not being processed: logs, captures, signatures, endpoint.

    Without a subcommand, diagnose. `diagnose webhooks replay EVENT_ID ...` re-sends one
    captured delivery (see `diagnose webhooks replay --help`).
    """
    if ctx.invoked_subcommand is not None:
        return
    sys.exit(run_webhooks(since_text, until_text, params))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _strings_in(body: bytes) -> set[str]:
    """Every string value of a JSON body (an id in the payload matches whole, never by substring)."""

    try:
        doc = loads(body)
    except (ValueError, RecursionError):
        return set()
    found: set[str] = set()
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def run_replay(
    event_id: str,
    capture: tuple[str, ...],
    to: str,
    send: bool,
    insecure: bool,
    secret_env: tuple[str, ...],
    params: dict[str, Any],
) -> int:
    """Re-sign one captured delivery with a fresh timestamp; print it as curl, or send it."""
    from diagnose.families.webhooks.plan import pick_secret, readable, secret_env_names
    from diagnose.readers.captures import read_capture

    pre = make_common(params)
    names = secret_env_names(
        resolve(WebhooksOptions, pre.config, {"secret_env": secret_env}).secret_env
    )
    used_env, secret = pick_secret(names)
    common = make_common(params, secret_env=names)
    to = check_url(to, "--to")
    parts = urlsplit(to)
    if parts.scheme == "http" and not _loopback(parts.hostname or "") and not insecure:
        raise BadInput(f"--to {to}: plain http to a non-loopback host; use https, or --insecure")
    found = None
    for name in readable(list(capture), "--capture"):
        for d in read_capture(name).deliveries:
            # Exact ids only: evt_1 must never pick (and send) evt_12.
            named = event_id in _strings_in(d.body)
            if d.webhook_id == event_id or (d.webhook_id is None and named):
                found = d  # the last one wins: the most recent attempt
            elif named and found is None:
                found = d
    if found is None:
        raise BadInput(
            f"no delivery with webhook-id (or body containing) {event_id!r} in {', '.join(capture)}"
        )
    msg_id = found.webhook_id or event_id
    if not send:
        text = curl_script(found, msg_id, to, used_env)
        write_text(text, common.output, common.redactor())
        return 0
    if not secret:
        looked = " and ".join(f"${n}" for n in names)
        raise BadInput(f"{looked} not set: export the webhook secret (whsec_...) to re-sign")
    ts = str(int(common.now.timestamp()))
    try:
        signature = sign(secret, msg_id, ts, found.body)
    except SecretError as exc:
        raise BadInput(f"${used_env}: not a webhook secret: {exc}") from None
    headers = {
        "content-type": found.headers.get("content-type", "application/json"),
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": signature,
    }
    redactor = common.redactor().with_secrets([secret, signature])

    t0 = time.monotonic()
    # One request, bounded as a whole (a receiver that trickles its answer never trips a
    # per-read timeout) and read up to 64 KB (a receiver may answer with anything).
    outcome = run_bounded(
        {"post": lambda: _post_once(to, found.body, headers, common.timeout)}, common.timeout
    )["post"]
    elapsed = (time.monotonic() - t0) * 1000
    if isinstance(outcome, Unfinished):
        text = (
            f"POST {to}: no complete answer within {common.timeout:g} s (sent once, not retried)\n"
        )
        code = 2
    elif isinstance(outcome, str):
        text = f"POST {to}: no answer after {elapsed:.0f} ms: {outcome}\n"
        code = 2
    else:
        status, body = outcome
        text = f"POST {to}: {status} in {elapsed:.0f} ms (webhook-id {msg_id})\n{body}\n"
        code = 0 if 200 <= status < 300 else 2
    write_text(text, common.output, redactor)
    return code


def curl_script(found: Any, msg_id: str, to: str, secret_env: str) -> str:
    """Return a shell snippet that signs the delivery when it runs (Standard Webhooks: base64
    HMAC-SHA256 of `id.timestamp.body` keyed with the secret's base64 part) and POSTs it with curl.

    The secret is read from its environment variable at run time: neither it nor a signature is
    ever printed, and the timestamp is fresh whenever the snippet is pasted.
    """
    try:
        body = found.body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(
            f"webhook-id {msg_id}: the body is not UTF-8 text, so it cannot be pasted; use --send"
        ) from None
    if "\0" in body:
        raise BadInput(f"webhook-id {msg_id}: the body holds a NUL byte; use --send")
    ctype = found.headers.get("content-type", "application/json")
    q = shlex.quote
    return "\n".join(
        [
            f"# {found.source}: webhook-id {msg_id}, re-signed when run with ${secret_env} (not sent; add --send, or run this)",
            f': "${{{secret_env}:?export {secret_env}=whsec_... (the endpoint signing secret)}}"',
            f"id={q(msg_id)}",
            "ts=$(date +%s)",
            f"body={q(body)}",
            f'key=$(printf %s "${{{secret_env}#whsec_}}" | base64 -d | od -An -v -tx1 | tr -d " \\n")',
            'sig=$(printf \'%s.%s.%s\' "$id" "$ts" "$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64 | tr -d \'\\n\')',
            f"curl -sS -X POST {q(to)} \\",
            f"  -H {q('content-type: ' + ctype)} \\",
            '  -H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" \\',
            '  --data-binary "$body"',
            "",
        ]
    )


def _post_once(
    url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, str] | str:
    """POST once; return (status, the start of the answer) or the error's text."""
    import httpx

    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client:
            with client.stream("POST", url, content=body, headers=headers) as response:
                head = b""
                for chunk in response.iter_bytes():
                    head += chunk
                    if len(head) >= 64 * 1024:
                        break
                text = head[:300].decode("utf-8", "replace").replace("\n", " ")
                return response.status_code, text
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"


@command.command("replay")
@click.argument("event_id")
@click.option(
    "--capture",
    multiple=True,
    required=True,
    metavar="PATH",
    help="Capture file holding the delivery (repeatable).",
)
@click.option(
    "--to",
    required=True,
    metavar="URL",
    help="Where to POST it, e.g. https://<project>.convex.site/webhooks/dodo.",
)
@click.option("--send", is_flag=True, help="Really POST it (once). Without it, print it as curl.")
@click.option("--insecure", is_flag=True, help="Allow plain http to a host other than loopback.")
@click.option(
    "--secret-env",
    multiple=True,
    metavar="VAR",
    help=help_for(
        WebhooksOptions,
        "secret_env",
        "Env var holding the secret to sign with; repeat to look in several, the first set wins.",
    ),
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout."
)
@click.option(
    "--timeout",
    type=float,
    default=None,
    help=help_for(RunOptions, "timeout", "Request timeout in seconds."),
)
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--now", metavar="TIMESTAMP", help="Sign as of this instant (RFC 3339 or epoch).")
def replay(
    event_id: str,
    capture: tuple[str, ...],
    to: str,
    send: bool,
    insecure: bool,
    secret_env: tuple[str, ...],
    **params: Any,
) -> None:
    """Re-sign one captured delivery (fresh timestamp, same webhook-id) and print or send it."""
    sys.exit(run_replay(event_id, capture, to, send, insecure, secret_env, params))
