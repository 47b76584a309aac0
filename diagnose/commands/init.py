"""diagnose init: write a commented diagnose.toml, filled in from a project folder where it can."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from diagnose.errors import BadInput
from diagnose.families.latency.options import LatencyOptions
from diagnose.families.webhooks.options import DEFAULT_SECRET_ENV, WebhooksOptions
from diagnose.options import default_of, fields
from diagnose.runoptions import RunOptions

_CONVEX_URL = re.compile(
    r"^\s*(?:VITE_|NEXT_PUBLIC_|PUBLIC_)?CONVEX_URL\s*=\s*[\"']?(https://[a-z0-9-]+\.convex\.(?:cloud|site))"
)
_SITE_URL = re.compile(
    r"^\s*(?:VITE_)?(?:SITE|PUBLIC|APP)_URL\s*=\s*[\"']?https?://([a-z0-9.-]+)", re.I
)


@dataclass(frozen=True)
class Detected:
    """What a project folder tells about the service (None where it says nothing)."""

    pages_project: str | None = None
    convex_site: str | None = None
    domain: str | None = None
    secret_env: str | None = None  # the webhook secret's variable, as the project reads it
    secret_used_at: str | None = None


def detect(root: Path) -> Detected:
    """Read package.json, wrangler.toml and .env files for names and URLs; never values of secrets."""
    name = None
    package = root / "package.json"
    if package.is_file():
        try:
            data = json.loads(package.read_text(encoding="utf-8"))
            name = str(data.get("name") or "") or None if isinstance(data, dict) else None
        except (OSError, ValueError, RecursionError):
            name = None
    wrangler = root / "wrangler.toml"
    if wrangler.is_file():
        match = re.search(r'^name\s*=\s*"([^"]+)"', wrangler.read_text(errors="replace"), re.M)
        name = match.group(1) if match else name
    convex = domain = None
    for env in sorted(root.glob(".env*")):
        for line in env.read_text(encoding="utf-8", errors="replace").splitlines():
            if (m := _CONVEX_URL.match(line)) and not convex:
                # HTTP actions (and /api/health) live on .convex.site, the client URL on .convex.cloud.
                convex = m.group(1).replace(".convex.cloud", ".convex.site")
            if (m := _SITE_URL.match(line)) and not domain and "localhost" not in m.group(1):
                domain = m.group(1)
    if name:
        name = re.sub(r"[^a-z0-9-]", "-", name.split("/")[-1].lower()).strip("-") or None
    return Detected(name, convex, domain, *_secret_env(root))


def _secret_env(root: Path) -> tuple[str | None, str | None]:
    """The one webhook-secret variable the project's Convex code reads, and where; else None."""
    from diagnose.families.env.scan import required_names

    found = required_names(root)
    used = [n for n in DEFAULT_SECRET_ENV if n in found and found[n].used_at]
    if len(used) == 1:
        return used[0], found[used[0]].used_at[0]
    return None, None


def _defaults() -> dict[str, Any]:
    """Return "section.key" -> default, from the options classes (the one place defaults live)."""
    from diagnose.budgets import Budgets

    return {
        s.config: default_of(f)
        for cls in (RunOptions, WebhooksOptions, LatencyOptions, Budgets)
        for f, s in fields(cls)
        if s.config
    }


def _toml(value: Any) -> str:
    """Return a default as TOML (whole floats as integers: 10, not 10.0)."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render(found: Detected, project: str | None) -> str:
    """Return the commented config text; every number is the options' own default, so what
    init writes and what reports suggest (`diagnose latency ... --timeout N`) agree."""

    def line(key: str, value: str | None, example: str) -> str:
        return f'{key} = "{value}"' if value else f'# {key} = "{example}"'

    d = {k: _toml(v) for k, v in _defaults().items()}

    domain = found.domain
    pages = found.pages_project
    return "\n".join(
        [
            "# diagnose.toml: what `diagnose all` checks, and the budgets it judges against.",
            "# Every key is optional; unknown keys are errors. Reference: docs/configuration.md",
            "",
            "[service]",
            "# The site users open; smoke tests and latency sampling use it.",
            line("url", f"https://{domain}" if domain else None, "https://dashtray.com"),
            "# The domain for `diagnose ssl` / `diagnose dns` (DNS records, certificate chain).",
            line("domain", domain, "dashtray.com"),
            "# Convex HTTP actions (.convex.site): the smoke test's GET /api/health.",
            line("convex_url", found.convex_site, "https://your-project.convex.site"),
            "# The Cloudflare Pages project: the custom domain must CNAME to <project>.pages.dev.",
            line("pages_project", pages, "dashtray"),
            "# The endpoint DodoPayments posts to (an unsigned POST must be refused with 400/401).",
            '# webhook_url = "https://your-project.convex.site/webhooks/dodo"',
            "",
            "[run]",
            f"timeout = {d['run.timeout']}          # seconds for the whole run",
            "",
            "[webhooks]",
            "# Convex logs: timeout 20 npx convex logs --prod --history 500 --jsonl > convex.jsonl",
            '# logs = ["convex.jsonl"]',
            '# captures = ["deliveries.har"]',
            *(
                [f'secret_env = "{found.secret_env}"   # what {found.secret_used_at} reads']
                if found.secret_env
                else [
                    "# Where the webhook secret is, in order: the first variable set is used.",
                    f"secret_env = {d['webhooks.secret_env']}",
                ]
            ),
            '# previous_secret_env = "DODO_PAYMENTS_WEBHOOK_SECRET_PREVIOUS"   # after a rotation',
            "",
            "[latency]",
            '# urls = ["https://dashtray.com/"]',
            "# Requests per URL and how many at once; a slow page needs a longer run.timeout for",
            "# the whole sample (the report says when the sample was cut to fit, and by how much).",
            f"n = {d['latency.n']}",
            f"concurrency = {d['latency.concurrency']}",
            "",
            "[budgets]",
            "# The runbook's success criteria.",
            f"p95_ms = {d['budgets.p95_ms']}",
            f"error_rate = {d['budgets.error_rate']}",
            "",
            "[project]",
            "# The project folder: env names from the code, Node version, workflows.",
            line("dir", project, "."),
            '# convex_env = "convex.env"   # npx convex env list --prod > convex.env',
            "",
            "[secrets]",
            "# Values of these env vars are masked in everything diagnose writes.",
            '# env = ["MY_API_TOKEN"]',
            "",
        ]
    )


def run_init(project: str | None, output: str, force: bool) -> int:
    """Detect, render, write; refuse to overwrite unless forced."""
    root = Path(project) if project else Path.cwd()
    if not root.is_dir():
        raise BadInput(f"--project {project}: not a folder")
    target = Path(output)
    if target.exists() and not force:
        raise BadInput(f"{target} exists: use --force to overwrite it")
    found = detect(root)
    text = render(found, project or ".")
    from diagnose.sources.detect import section  # which live sources the project can use

    text += "\n".join(section(root)) + "\n"
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {target}: {exc.strerror or exc}") from None
    filled = [k for k, v in vars(found).items() if v and k != "secret_used_at"]
    click.echo(f"wrote {target}" + (f" (detected: {', '.join(filled)})" if filled else ""))
    click.echo("next: edit it, then run: diagnose all")
    return 0


@click.command("init")
@click.option("--project", type=click.Path(), help="Project folder to detect from [default: .].")
@click.option("--output", "-o", default="diagnose.toml", show_default=True, help="Where to write.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def command(project: str | None, output: str, force: bool, **_: Any) -> None:
    """Write a commented diagnose.toml for a Dashtray-like project, detected where it can be."""
    sys.exit(run_init(project, output, force))
