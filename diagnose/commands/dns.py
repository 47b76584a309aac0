"""diagnose dns: resolve a domain everywhere and explain what is wrong with its DNS."""

from __future__ import annotations

import ipaddress
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from diagnose.commands.common import common_options
from diagnose.engine.api import gather_facts
from diagnose.errors import BadInput
from diagnose.output import finish, write_text
from diagnose.settings import Common, invocation, make_common

if TYPE_CHECKING:
    from diagnose.model import Diagnosis
    from diagnose.rules.load import Rule

_LABEL_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_CONCURRENCY = 16  # targets at once: enough to hide network waits, few enough for the GIL
# --targets: the worst status wins; a known critical outranks an unknown, which outranks a warning.
_WORST = {"ok": 0, "warning": 1, "unknown": 2, "critical": 3}


def check_domain(value: str) -> str:
    """Return the domain lower-cased without a trailing dot; raise BadInput when it is not one."""
    name = value.strip().rstrip(".").lower()
    if "://" in name or "/" in name:
        raise BadInput(f"bad DOMAIN {value!r}: give a host name such as dashtray.com, not a URL")
    labels = name.split(".")
    if not name or len(name) > 253 or any(not 0 < len(x) <= 63 for x in labels):
        raise BadInput(f"bad DOMAIN {value!r}: not a DNS name")
    if any(set(x) - _LABEL_OK for x in labels):
        raise BadInput(f"bad DOMAIN {value!r}: a DNS name has letters, digits and '-' only")
    return name


def parse_address(value: str, option: str, default_port: int) -> tuple[str, int]:
    """Parse ADDR[:PORT] (IPv6 as [ADDR]:PORT); raise BadInput naming the option and value."""
    text = value.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise BadInput(
            f"bad {option} {value!r}: give an IP address, e.g. 1.1.1.1 or 127.0.0.1:5353"
        ) from None
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadInput(f"bad {option} {value!r}: the port is not a number from 1 to 65535")
    return host, int(port_text)


def network_options(given: Sequence[tuple[str, int]], params: dict[str, Any]) -> dict[str, Any]:
    """Return whether to also ask public resolvers and the zone's nameservers.

    Taken out of params (they are not common options). By default both are asked when no
    resolver is given or configured: on the user's own network the comparison is the point;
    with resolvers given (a lab, a test) nothing else is asked unless said so.
    """
    public = params.pop("public", None)
    authoritative = params.pop("authoritative", None)
    port = params.pop("authoritative_port", None)
    if port is not None and not 0 < port < 65536:
        raise BadInput(f"bad --authoritative-port {port}: give a number from 1 to 65535")
    default = not given
    return {
        "public_resolvers": default if public is None else public,
        "authoritative": default if authoritative is None else authoritative,
        "authoritative_port": port or 53,
    }


NETWORK_OPTIONS = [
    click.option(
        "--public/--no-public",
        default=None,
        help="Also ask 1.1.1.1, 8.8.8.8 and 9.9.9.9 [default: only when no resolver is given].",
    ),
    click.option(
        "--authoritative/--no-authoritative",
        default=None,
        help="Also ask the zone's own nameservers [default: only when no resolver is given].",
    ),
    click.option(
        "--authoritative-port",
        type=int,
        default=None,
        metavar="N",
        help="Port of the nameservers (a lab or a non-standard setup) [default: 53].",
    ),
]


def with_network_options(fn: Any) -> Any:
    """Add --public, --authoritative and --authoritative-port to a command."""
    for option in reversed(NETWORK_OPTIONS):
        fn = option(fn)
    return fn


def resolver_options(given: Sequence[str], common: Common) -> list[tuple[str, int]]:
    """Return the resolvers from --resolver, else from dns.resolvers in the config."""
    raw = list(given) or [str(r) for r in common.config.get("dns", "resolvers", [])]
    return [parse_address(r, "--resolver", 53) for r in raw]


def read_targets(path: str) -> list[str]:
    """Read a --targets file (or `-`): one domain per line; blank lines and `#` comments skipped."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise BadInput(f"--targets {path}: cannot read: {reason}") from None
    names: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        try:
            names.append(check_domain(value))
        except BadInput as exc:
            raise BadInput(f"--targets {path}:{number}: {exc}") from None
    if not names:
        raise BadInput(f"--targets {path}: no domain in it (one per line)")
    return names


def one_target(domain: str | None, targets: str | None, common: Common) -> list[str] | None:
    """Check DOMAIN xor --targets; return the batch's names (None for one DOMAIN)."""
    if bool(domain) == bool(targets):
        raise BadInput("give one DOMAIN, or --targets FILE (one domain per line), not both")
    if targets is None:
        return None
    if common.attach or common.save_facts is not None:
        raise BadInput("--attach and --save-facts take one diagnosis: run without --targets")
    return read_targets(targets)


def run_targets(
    command: str,
    names: Sequence[str],
    probes: Sequence[str],
    options: Mapping[str, Any],
    common: Common,
    rules: Sequence[Rule],
) -> int:
    """Judge every name (at most MAX_CONCURRENCY at once) under the one deadline; write all.

    Output: one diagnosis per target in input order; with --format json, one JSON document per
    line (JSON lines). A target not started before the deadline is judged with its probes timed
    out (status unknown). The exit code is that of the worst status.
    """
    from diagnose.engine.api import judge

    deadline = time.monotonic() + common.timeout
    results: list[Diagnosis | None] = [None] * len(names)
    queue = list(range(len(names)))
    lock = threading.Lock()
    how = invocation()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop(0)
            left = deadline - time.monotonic()
            if left <= 0:
                continue
            started = datetime.now(UTC)
            opts = {**options, "name": names[index]}
            factset = gather_facts(
                common, command, names[index], probes, opts, timeout=left, how=how
            )
            results[index] = judge(factset, rules, started)

    # Daemon threads (not an executor, whose workers the interpreter joins at exit): a target
    # that outlives the deadline is reported as timed out and never holds the process.
    threads = [
        threading.Thread(target=worker, daemon=True, name=f"target-{n}")
        for n in range(min(MAX_CONCURRENCY, len(names)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline + 0.5 - time.monotonic()))
    done = [
        found if (found := results[i]) is not None else _not_started(command, name, probes, common)
        for i, name in enumerate(names)
    ]
    _write_all(done, common)
    worst = max(done, key=lambda d: _WORST[d.status.value])
    return worst.status.exit_code


def _not_started(command: str, name: str, probes: Sequence[str], common: Common) -> Diagnosis:
    """The diagnosis of a target the deadline left no time for: every probe timed out."""
    from diagnose.engine.api import judge
    from diagnose.model import FactSet, ProbeOutcome, ProbeStatus
    from diagnose.timeparse import iso

    why = f"not started: the {common.timeout} s deadline of the whole --targets run passed"
    outcomes = tuple(ProbeOutcome(p, ProbeStatus.TIMEOUT, 0.0, why) for p in probes)
    return judge(FactSet(command, name, iso(common.now), outcomes, {}, invocation()), [])


def _write_all(diagnoses: Sequence[Diagnosis], common: Common) -> None:
    """Render every diagnosis: JSON lines for --format json, else one report after another."""
    from diagnose.output import use_color
    from diagnose.render import OutputFormat, renderer

    redactor = common.redactor()
    fmt = OutputFormat(common.fmt)
    if fmt is OutputFormat.JSON:
        text = "".join(redactor.json(d.to_json()) + "\n" for d in diagnoses)
    else:
        color = common.output is None and fmt is OutputFormat.TEXT and use_color(sys.stdout)
        render = renderer(fmt, color=color, verbose=common.verbose)
        text = "\n".join(render(d).rstrip("\n") + "\n" for d in diagnoses)
    write_text(text, common.output, redactor)


def domain_run(
    domain: str | None, resolvers: Sequence[str], targets: str | None, params: dict[str, Any]
) -> tuple[Common, list[str] | None, dict[str, Any]]:
    """What dns and ssl share: the common options, the --targets batch, and the name options."""
    common = make_common(params)
    chosen = resolver_options(resolvers, common)
    network = network_options(chosen, params)
    batch = one_target(domain, targets, common)
    name = check_domain(domain) if domain else ""
    return common, batch, {"name": name, "resolvers": chosen, **network}


def run_dns(
    domain: str | None,
    resolvers: Sequence[str],
    expect_cname: str | None,
    params: dict[str, Any],
    targets: str | None = None,
) -> int:
    """Gather the DNS facts, judge them, write the report; return the exit code."""
    from diagnose.engine.api import judge

    common, batch, base = domain_run(domain, resolvers, targets, params)
    name = base["name"]
    expect = expect_cname or common.config.get("dns", "expect_cname")
    options = {**base, "expect_cname": check_domain(expect) if expect else None}
    rules = common.rules()
    if batch is not None:
        return run_targets("dns", batch, ["dns"], options, common, rules)
    started = datetime.now(UTC)
    factset = gather_facts(
        common,
        "dns",
        name,
        ["dns"],
        options,
    )
    return finish(judge(factset, rules, started), common)


@click.command("dns")
@click.argument("domain", required=False)
@click.option(
    "--resolver",
    "resolvers",
    multiple=True,
    metavar="ADDR[:PORT]",
    help="Ask this resolver (repeatable) [default: dns.resolvers, else the system's].",
)
@click.option(
    "--expect-cname",
    metavar="TARGET",
    help="The CNAME the name must point at, e.g. <project>.pages.dev [default: dns.expect_cname].",
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
    resolvers: tuple[str, ...],
    expect_cname: str | None,
    targets: str | None,
    **params: Any,
) -> None:
    """Resolve DOMAIN (or every domain of --targets FILE) and explain what is wrong with its DNS."""
    sys.exit(run_dns(domain, resolvers, expect_cname, params, targets))
