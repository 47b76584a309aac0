"""diagnose smoke: the runbook's smoke tests as a deploy gate."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from diagnose.commands.common import common_options
from diagnose.engine.api import gather_facts
from diagnose.errors import BadInput
from diagnose.output import finish
from diagnose.settings import Common, make_common


def check_url(value: str, option: str) -> str:
    """Return the URL if it is an absolute http(s) URL; raise BadInput otherwise."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        why = "the port is not a number from 1 to 65535" if "ort" in str(exc) else str(exc)
        raise BadInput(f"bad {option} {value!r}: {why}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"bad {option} {value!r}: give an absolute http(s) URL, e.g. https://dashtray.com"
        )
    if port == 0:
        raise BadInput(f"bad {option} {value!r}: port 0 is not a port to connect to")
    return value


def run_smoke(
    url: str | None, convex_url: str | None, junit: str | None, params: dict[str, Any]
) -> int:
    """Gather the smoke facts, judge them, write the report; return the exit code."""
    from diagnose.engine.api import judge

    common: Common = make_common(params)
    url = url or common.config.get("service", "url")
    if not url:
        raise BadInput(
            "no URL: give --url https://dashtray.com or set service.url in diagnose.toml"
        )
    url = check_url(url, "--url")
    convex_url = convex_url or common.config.get("service", "convex_url")
    if convex_url:
        convex_url = check_url(convex_url, "--convex-url")
    rules = common.rules()
    started = datetime.now(UTC)
    options = {
        "url": url,
        "convex_url": convex_url,
        "request_timeout": common.config.get("run", "request_timeout", 10.0),
    }
    factset = gather_facts(
        common,
        "smoke",
        url,
        ["smoke"],
        options,
    )
    diagnosis = judge(factset, rules, started)
    code = finish(diagnosis, common)
    if junit:
        from diagnose.output import write_text
        from diagnose.render.junit import render_junit

        write_text(render_junit(diagnosis, rules), Path(junit), common.redactor())
    return code


@click.command("smoke")
@click.option("--url", help="Frontend base URL [default: service.url from the config].")
@click.option(
    "--convex-url", help="Convex site URL for GET /api/health [default: service.convex_url]."
)
@click.option(
    "--junit", type=click.Path(dir_okay=False), help="Also write a JUnit XML report to FILE."
)
@common_options
def command(url: str | None, convex_url: str | None, junit: str | None, **params: Any) -> None:
    """Run the runbook's smoke tests: homepage, sign-in, Convex health."""
    sys.exit(run_smoke(url, convex_url, junit, params))
