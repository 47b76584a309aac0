"""The examples at the end of every command's --help, in one table (a test checks none is missing).

Each is a command a user can paste: real options, the runbook's names, no placeholder that
the shell would misread.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

EXAMPLES: dict[str, tuple[str, ...]] = {
    "all": (
        "diagnose all",
        "diagnose all --since 1h --brief",
        "diagnose all --format json --output report.json --junit junit.xml",
    ),
    "build": (
        "gh run view --log-failed > build.log && diagnose build build.log --project .",
        "gh run view --log-failed | diagnose build - --format markdown",
    ),
    "checklist": (
        "diagnose checklist pre-deploy --project .",
        "diagnose checklist post-deploy --url https://dashtray.com --since 30m",
    ),
    "checklist pre-deploy": (
        "diagnose checklist pre-deploy --project .",
        "npx convex env list --prod | diagnose checklist pre-deploy --convex-env - --env-file .env",
    ),
    "checklist post-deploy": (
        "diagnose checklist post-deploy --url https://dashtray.com --since 30m",
        "timeout 20 npx convex logs --prod --jsonl --history 500 > convex.jsonl\n"
        "  diagnose checklist post-deploy --log convex.jsonl --sample 10",
    ),
    "demo": (
        "diagnose demo",
        "diagnose demo --list",
        "diagnose demo webhooks --format markdown",
    ),
    "deploy": (
        'diagnose deploy record --version v1.2.0 --notes "Webhook secret rotated"',
        "diagnose deploy list",
    ),
    "deploy record": (
        'diagnose deploy record --version v1.2.0 --notes "Webhook secret rotated"',
        "diagnose deploy record   # in GitHub Actions: version, commit and actor from the job",
    ),
    "deploy list": ("diagnose deploy list --limit 5",),
    "dns": (
        "diagnose dns dashtray.com",
        "diagnose dns dashtray.com --expect-cname dashtray.pages.dev",
        "diagnose dns dashtray.com --resolver 1.1.1.1 --resolver 8.8.8.8",
        "diagnose dns --targets domains.txt --format json | jq -c 'select(.status != \"ok\")'",
    ),
    "env": (
        "diagnose env --project .",
        "npx convex env list --prod | diagnose env --project . --convex-env -",
        "diagnose env --project . --env-file .env.production",
    ),
    "incident": (
        'diagnose incident open "Checkout returns 522" --severity critical',
        "diagnose smoke --url https://dashtray.com --attach INC-1",
        "diagnose incident show INC-1",
        'diagnose incident close INC-1 --note "custom domain re-added"',
    ),
    "incident open": (
        'diagnose incident open "Checkout returns 522" --severity critical',
        'INC=$(diagnose incident open "Payments not processing") && diagnose all --attach "$INC"',
    ),
    "incident list": (
        "diagnose incident list --status open",
        "diagnose incident list --format json | jq -r '.[] | select(.unsent > 0) | .id'",
    ),
    "incident show": (
        "diagnose incident show INC-3",
        "diagnose incident show INC-3 --format markdown > postmortem.md",
    ),
    "incident attach": (
        "diagnose incident attach INC-3 saved.json",
        "diagnose webhooks --format json | diagnose incident attach github:acme/dashtray#12 -",
    ),
    "incident note": ('diagnose incident note INC-3 "rolled back the Convex deploy to v41"',),
    "incident close": (
        'diagnose incident close INC-3 --note "custom domain re-added in Cloudflare Pages"',
    ),
    "incident reopen": (
        'diagnose incident reopen INC-3 --note "522s are back after the DNS change"',
    ),
    "incident retry": ("diagnose incident retry", "diagnose incident retry INC-3"),
    "init": (
        "diagnose init",
        "diagnose init --project ../dashtray --force",
    ),
    "lab": (
        "diagnose lab up webhooks",
        "diagnose lab status",
        "diagnose lab down",
    ),
    "lab up": ("diagnose lab up", "diagnose lab up tls"),
    "lab status": ("diagnose lab status",),
    "lab down": ("diagnose lab down",),
    "latency": (
        "diagnose latency https://dashtray.com/ -n 20",
        "diagnose latency https://dashtray.com/ https://dashtray.com/api/health --concurrency 4",
        "diagnose latency --log logpush.jsonl --since 1h",
    ),
    "replay": (
        "diagnose webhooks --log convex.jsonl --save-facts facts.json",
        "diagnose replay facts.json --format markdown",
    ),
    "rules": (
        "diagnose rules list",
        "diagnose rules show webhook.secret-mismatch",
        "diagnose rules lint my-rules/ && diagnose rules test my-rules/",
    ),
    "rules list": ("diagnose rules list", "diagnose rules list --rules my-rules/"),
    "rules show": ("diagnose rules show tls.cert-expired",),
    "rules lint": ("diagnose rules lint", "diagnose rules lint my-rules/"),
    "rules test": ("diagnose rules test", "diagnose rules test my-rules/ -v"),
    "rules docs": ("diagnose rules docs --check docs/rules.md", "diagnose rules docs -o rules.md"),
    "smoke": (
        "diagnose smoke --url https://dashtray.com --convex-url https://dashtray.convex.site",
        "diagnose smoke --brief   # service.url and service.convex_url from diagnose.toml",
    ),
    "ssl": (
        "diagnose ssl dashtray.com",
        "diagnose ssl dashtray.com --warn-days 30",
        "diagnose ssl dashtray.com --connect-to 203.0.113.7   # one origin, behind the CDN",
    ),
    "webhooks": (
        "timeout 20 npx convex logs --prod --jsonl --history 500 | diagnose webhooks --log -",
        "diagnose webhooks --log convex.jsonl --capture deliveries.har --since 2h",
        "diagnose webhooks --endpoint https://dashtray.convex.site/webhooks/dodo",
    ),
    "webhooks replay": (
        'diagnose webhooks replay "$WEBHOOK_ID" --capture deliveries.har',
        'diagnose webhooks replay "$WEBHOOK_ID" --capture deliveries.har \\\n'
        "    --to https://dashtray.convex.site/webhooks/dodo --send",
    ),
}


def epilog(lines: Sequence[str]) -> str:
    """Return a click epilog of examples, kept as written (\\b stops click rewrapping them)."""
    body = "\n".join(f"  {line}" for line in lines)
    return "\b\nExamples:\n" + body


def add_examples(command: click.Command, path: str) -> None:
    """Give a command (and its subcommands) the examples of the table, unless it has its own."""
    if command.epilog is None and path in EXAMPLES:
        command.epilog = epilog(EXAMPLES[path])
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            add_examples(sub, f"{path} {name}")
