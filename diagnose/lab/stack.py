"""The whole lab for one scenario: DNS, TLS, the HTTP app, the webhook receiver, logs, a project.

`start(scenario, folder)` starts every piece on 127.0.0.1, plays the scenario's incident, and
writes a diagnose.toml that points `diagnose all` at it. Used by `diagnose demo`, `diagnose lab
up` and the tests.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from diagnose.lab import dns_server, http_app, tls_server, vendors, webhook_receiver
from diagnose.lab.certs import DOMAIN
from diagnose.paths import builtin_projects_dir

# A lab secret, made up for the lab: it signs the lab's deliveries and nothing else.
LAB_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRET_ENV = "DODO_PAYMENTS_WEBHOOK_KEY"  # what the sample project's convex/http.ts reads


@dataclass(frozen=True)
class Scenario:
    """What the lab plays: each piece's behaviour."""

    summary: str
    tls_case: str = "good"  # a case of diagnose.lab.certs.CASES, or "missing" for NXDOMAIN
    http: str = "healthy"  # a scenario of diagnose.lab.http_app
    http_delay_s: float = 0.0
    webhook_fault: str = "healthy"  # a fault of diagnose.lab.webhook_receiver
    project: str | None = None  # None: no project checks; else a mutation of the sample project
    vendors: bool = False  # the vendors' stand-ins too (diagnose/lab/vendors.py): no log files
    expect: tuple[str, ...] = field(default=())  # rule ids the diagnosis must show


SCENARIOS: dict[str, Scenario] = {
    "incident": Scenario(
        "several causes at once: the webhook secret was rotated but not copied to Convex, the "
        "certificate expires in 5 days, and p95 is over the 2 s budget",
        tls_case="expiring",
        http_delay_s=2.1,
        webhook_fault="wrong-secret",
        expect=("webhook.secret-mismatch", "tls.cert-expiring", "latency.p95-over-budget"),
    ),
    "healthy": Scenario("everything healthy: the diagnosis is ok, exit 0"),
    "dns": Scenario(
        "the domain does not resolve: NXDOMAIN explains the failed TLS and HTTPS checks",
        tls_case="missing",
        expect=("dns.nxdomain",),
    ),
    "tls": Scenario(
        "the certificate has expired", tls_case="expired", expect=("tls.cert-expired",)
    ),
    "http": Scenario(
        "Cloudflare answers 522 on every endpoint (custom domain not added to Pages)",
        http="cf-522",
        expect=("http.cloudflare-522",),
    ),
    "webhooks": Scenario(
        "the webhook handler verifies, then throws: DodoPayments gets 500s",
        webhook_fault="errors",
        expect=("webhook.handler-errors",),
    ),
    "latency": Scenario(
        "every request takes 2.1 s: p95 over the runbook's 2 s budget",
        http_delay_s=2.1,
        expect=("latency.p95-over-budget",),
    ),
    "deploy": Scenario(
        "the project pins Node 18 and the production Convex env lacks a variable the code reads",
        project="old-node-missing-env",
        expect=("env.missing", "build.node-version"),
    ),
    "sources": Scenario(
        "no file at all: the vendors' stand-ins (Convex, DodoPayments, GitHub, Cloudflare) hold "
        "the evidence; the webhook secret was rotated at Dodo only, the last build failed, the "
        "Pages custom domain is pending and the zone is on Flexible",
        vendors=True,
        expect=("env.github-secret-missing", "webhook.dodo-rejected", "tls.pages-custom-domain"),
    ),
}


@dataclass(frozen=True)
class RunningLab:
    """A started lab: where everything is, and the config that points diagnose at it."""

    scenario: str
    config: Path
    endpoints: dict[str, str]
    env: dict[str, str]


@contextmanager
def start(scenario: str, folder: Path) -> Iterator[RunningLab]:
    """Start every lab piece for the scenario; write folder/diagnose.toml; stop all on exit."""
    plan = SCENARIOS[scenario]
    with ExitStack() as stack:
        dns = stack.enter_context(dns_server.serve_dns(dns_server.Mode.GOOD))
        tls = stack.enter_context(tls_server.serve_tls())
        app = stack.enter_context(http_app.serve(plan.http))
        app.state.delay_s = plan.http_delay_s
        log, cap = folder / "convex.jsonl", folder / "deliveries.jsonl"
        receiver = stack.enter_context(
            webhook_receiver.serve(LAB_SECRET, plan.webhook_fault, log, cap)
        )
        for n in range(4):
            body = webhook_receiver.event_body(n=n)
            webhook_receiver.deliver(receiver.url, LAB_SECRET, body)
        case = plan.tls_case
        domain = f"{case}.{DOMAIN}"
        port = tls.ports.get(case, tls.ports["good"])
        root = folder / "lab-root.pem"
        shutil.copyfile(tls.root_file, root)
        config = [
            "# Written by diagnose for the lab scenario '" + scenario + "'.",
            "[service]",
            f'url = "{app.url}"',
            f'convex_url = "{app.url}"',
            f'domain = "{domain}"',
            f'webhook_url = "{receiver.url}"',
            "",
            "[dns]",
            f'resolvers = ["{dns.address}"]',
            "",
            "[ssl]",
            f"port = {port}",
            'ca_file = "lab-root.pem"',
            "",
            "[webhooks]",
            *(
                ()
                if plan.vendors  # the Convex CLI and DodoPayments are the webhooks' evidence
                else ('logs = ["convex.jsonl"]', 'captures = ["deliveries.jsonl"]')
            ),
            "# The variable the lab's handler reads (the sample project's convex/http.ts), so a",
            "# DODO_PAYMENTS_WEBHOOK_SECRET set in the shell is not taken for the lab's secret.",
            f'secret_env = "{SECRET_ENV}"',
            "",
            "[latency]",
            f'urls = ["{app.url}/"]',
            "n = 4",
            "concurrency = 4",
            "",
            "[run]",
            # The Convex CLI (Node) takes 2 to 6 s to start on a loaded machine, twice a run.
            f"timeout = {20 if plan.vendors else 8}",
            "request_timeout = 5",
        ]
        if plan.project:
            project = _project(folder / "project", plan.project)
            config += [
                "",
                "[project]",
                f'dir = "{project.name}"',
                'convex_env = "project/convex.env"',
            ]
        endpoints = {
            "http": app.url,
            "dns": dns.address,
            "tls": f"127.0.0.1:{port} ({domain})",
            "webhook receiver": receiver.url,
            "convex log": str(log),
            "captured deliveries": str(cap),
        }
        env = {SECRET_ENV: LAB_SECRET}
        if plan.vendors:
            found = vendors.start(stack, folder, datetime.now(UTC), domain, receiver.url)
            config += found.config
            endpoints.update(found.endpoints)
            env.update(found.env)
        path = folder / "diagnose.toml"
        path.write_text("\n".join(config) + "\n", encoding="utf-8")
        yield RunningLab(scenario, path, endpoints, env)


def _project(target: Path, mutation: str) -> Path:
    """Copy the sample project and break it the way the scenario says."""
    shutil.copytree(builtin_projects_dir() / "complete", target)
    if mutation == "old-node-missing-env":
        package = json.loads((target / "package.json").read_text())
        package["engines"] = {"node": ">=18 <20"}
        (target / "package.json").write_text(json.dumps(package, indent=2))
        (target / ".nvmrc").write_text("18\n")
        env = target / "convex.env"
        kept = [
            ln
            for ln in env.read_text().splitlines()
            if not ln.startswith("DODO_PAYMENTS_WEBHOOK_KEY")
        ]
        env.write_text("\n".join(kept) + "\n")
    return target
