"""diagnose ssl: from a domain name to the broken link (DNS, TLS chain, HTTPS), ranked."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from diagnose.commands.common import common_options
from diagnose.commands.dns import (
    domain_run,
    parse_address,
    run_targets,
    with_network_options,
)
from diagnose.engine.api import gather_facts
from diagnose.errors import BadInput
from diagnose.output import finish


def run_ssl(
    domain: str | None,
    port: int | None,
    resolvers: tuple[str, ...],
    connect_to: tuple[str, ...],
    ca_file: str | None,
    warn_days: int | None,
    params: dict[str, Any],
    targets: str | None = None,
) -> int:
    """Run the dns, tls and https probes together, judge, write; return the exit code."""
    from diagnose.engine.api import judge

    common, batch, base = domain_run(domain, resolvers, targets, params)
    name = base["name"]
    port = port if port is not None else int(common.config.get("ssl", "port", 443))
    if not 0 < port < 65536:
        raise BadInput(f"bad --port {port}: give a number from 1 to 65535")
    ca_file = ca_file or common.config.get("ssl", "ca_file")
    if ca_file:
        _check_pem(Path(ca_file))
    warn = warn_days if warn_days is not None else int(common.config.get("ssl", "warn_days", 14))
    if warn < 0:
        raise BadInput(f"bad --warn-days {warn}: give a number of days, 0 or more")
    options = {
        **base,
        "port": port,
        "connect_to": [parse_address(c, "--connect-to", port) for c in connect_to],
        "ca_file": str(ca_file) if ca_file else None,
        "warn_days": warn,
        "critical_days": int(common.config.get("ssl", "critical_days", 3)),
        "expect_cname": common.config.get("dns", "expect_cname"),
        "request_timeout": common.config.get("run", "request_timeout", 5.0),
    }
    rules = common.rules()
    if batch is not None:
        return run_targets("ssl", batch, ["dns", "tls", "https"], options, common, rules)
    started = datetime.now(UTC)
    factset = gather_facts(
        common,
        "ssl",
        name,
        ["dns", "tls", "https"],
        options,
    )
    return finish(judge(factset, rules, started), common)


def _check_pem(path: Path) -> None:
    """Raise BadInput unless the file holds at least one PEM certificate."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"--ca-file {path}: cannot read: {exc.strerror or exc}") from None
    if b"-----BEGIN CERTIFICATE-----" not in text:
        raise BadInput(f"--ca-file {path}: no PEM certificate in it (BEGIN CERTIFICATE)")


@click.command("ssl")
@click.argument("domain", required=False)
@click.option("--port", type=int, default=None, help="TLS port [default: ssl.port, else 443].")
@click.option(
    "--resolver",
    "resolvers",
    multiple=True,
    metavar="ADDR[:PORT]",
    help="Resolve with this resolver (repeatable) [default: dns.resolvers, else the system's].",
)
@click.option(
    "--connect-to",
    "connect_to",
    multiple=True,
    metavar="ADDR[:PORT]",
    help="Connect here instead of the resolved addresses, SNI and Host unchanged (repeatable).",
)
@click.option(
    "--ca-file", type=click.Path(dir_okay=False), help="Also trust the roots in this PEM file."
)
@click.option(
    "--warn-days",
    type=int,
    default=None,
    help="Warn when the certificate expires within N days [default: 14].",
)
@click.option(
    "--targets",
    metavar="FILE",
    help="Check every domain in FILE (one per line, '-' for stdin) instead of DOMAIN.",
)
@with_network_options
@common_options
def command(
    domain: str | None,
    port: int | None,
    resolvers: tuple[str, ...],
    connect_to: tuple[str, ...],
    ca_file: str | None,
    warn_days: int | None,
    targets: str | None,
    **params: Any,
) -> None:
    """Check DOMAIN (or every domain of --targets FILE) end to end: DNS, TLS chain, HTTPS."""
    sys.exit(run_ssl(domain, port, resolvers, connect_to, ca_file, warn_days, params, targets))
