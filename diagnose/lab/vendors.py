"""The vendors' stand-ins for one lab run: Convex, DodoPayments, GitHub and Cloudflare together.

`diagnose lab up sources` starts them beside the lab's DNS, TLS and HTTP pieces, holding one
incident a real on-call engineer meets: the webhook signing secret was rotated at DodoPayments and
not copied to Convex (Dodo gets 401, the handler logs signature failures), the last deploy failed
on an unresolved import with a GitHub secret the workflow needs unset, and Cloudflare has the
zone on SSL mode Flexible with the Pages custom domain still pending. It prints the environment
variables that turn the sources on (the stand-ins' own made-up credentials), so that every
command runs with no file: `diagnose webhooks --since 1h`, `diagnose env`, `diagnose build`,
`diagnose ssl <domain>`, `diagnose latency`, `diagnose all --since 1h`.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import diagnose
from diagnose.lab import convex_logs, vendor_apis
from diagnose.paths import builtin_projects_dir

BUILD_LOG = "fixtures/build/module-not-found.gha.log"  # a real GitHub Actions log (its README)


@dataclass(frozen=True)
class Vendors:
    """The started stand-ins: the config lines and environment that point diagnose at them."""

    config: list[str]
    env: dict[str, str]
    endpoints: dict[str, str]


def convex_cli() -> str | None:
    """The npm convex CLI to run: $DIAGNOSE_CONVEX_CLI, the one scripts/ci/convex.sh installs in
    a checkout, or `convex` on PATH; None when there is none (the source then says so)."""
    if given := os.environ.get("DIAGNOSE_CONVEX_CLI"):
        return given
    checkout = Path(diagnose.__file__).resolve().parents[1]
    local = checkout / ".ci-cache/convex/node_modules/.bin/convex"
    if local.is_file():
        return str(local)
    return shutil.which("convex")


def project(target: Path) -> Path:
    """The sample project as a Convex project (`convex` in package.json, as `env list` needs)."""
    shutil.copytree(builtin_projects_dir() / "complete", target)
    package = target / "package.json"
    doc = json.loads(package.read_text())
    doc["dependencies"] = {"convex": "1.48.0"}
    package.write_text(json.dumps(doc, indent=2))
    (target / "convex.env").unlink()  # the deployment answers `env list` itself
    return target


def start(stack: ExitStack, folder: Path, now: datetime, domain: str, webhook_url: str) -> Vendors:
    """Start the four stand-ins with the incident on the stack (they stop when it closes)."""
    proj = project(folder / "project")
    saved = (builtin_projects_dir() / "complete" / "convex.env").read_text().splitlines()
    convex = vendor_apis.ConvexBackendState(
        entries=[
            convex_logs.completion(e)
            for e in convex_logs.scenario_executions("signature-failures", now, minutes=90)
        ],
        env_vars=dict(line.split("=", 1) for line in saved if "=" in line),
    )
    dodo = vendor_apis.DodoState(
        endpoints=[vendor_apis.dodo_endpoint(webhook_url)],
        events=[
            vendor_apis.dodo_event(now - timedelta(minutes=m), f"msg_2xYz{m:04d}", 401)
            for m in range(1, 15)
        ],
    )
    github = vendor_apis.GitHubState(secrets=[], variables={"VITE_CONVEX_URL": "set"})
    run, job = vendor_apis.github_failed_run(29679449, 399444496)
    github.runs, github.jobs = [run], {run["id"]: [job]}
    log = Path(diagnose.__file__).resolve().parents[1] / BUILD_LOG
    github.logs = {job["id"]: log.read_text(encoding="utf-8-sig") if log.is_file() else ""}
    zone = domain.split(".", 1)[1] if domain.count(".") > 1 else domain
    cloudflare = vendor_apis.CloudflareState(
        zones={zone: "023e105f4ecef8ad9ca31a8372d0c353"},
        ssl="flexible",
        projects={"dashtray": [vendor_apis.pages_domain(domain, "pending", "pending")]},
        analytics=vendor_apis.analytics_minutes(now.replace(second=0, microsecond=0), [90] * 60),
    )
    convex_url = stack.enter_context(vendor_apis.convex_backend(convex))
    dodo_url = stack.enter_context(vendor_apis.dodo_api(dodo))
    github_url = stack.enter_context(vendor_apis.github_api(github))
    cf_url = stack.enter_context(vendor_apis.cloudflare_api(cloudflare))
    cli = convex_cli()
    config = [
        "",
        "[sources]",
        f'convex_project = "{proj.name}"',
        f'convex_cli = "{cli}"' if cli else "# convex_cli = <npm install convex, then its path>",
        f'dodo_base_url = "{dodo_url}"',
        f'github_api_url = "{github_url}"',
        f'github_repo = "{github.repo}"',
        f'cloudflare_api_url = "{cf_url}"',
        f'cloudflare_account_id = "{cloudflare.account_id}"',
        'cloudflare_pages_project = "dashtray"',
        "",
        "[project]",
        f'dir = "{proj.name}"',
    ]
    env = {
        "CONVEX_SELF_HOSTED_URL": convex_url,
        "CONVEX_SELF_HOSTED_ADMIN_KEY": convex.admin_key,
        "DODO_PAYMENTS_API_KEY": dodo.api_key,
        "GITHUB_TOKEN": github.token,
        "CLOUDFLARE_API_TOKEN": cloudflare.token,
    }
    endpoints = {
        "convex backend": convex_url,
        "dodopayments api": dodo_url,
        "github api": github_url,
        "cloudflare api": cf_url,
    }
    return Vendors(config, env, endpoints)
