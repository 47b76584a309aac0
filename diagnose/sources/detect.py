"""`diagnose init`: which live sources a project can use, as a commented [sources] section."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from diagnose.sources import convex_cli, github


def section(root: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """The [sources] lines: what is detected (names of credentials, never values), commented."""
    env = dict(os.environ) if env is None else dict(env)
    where = convex_cli.deployment(root, env)
    has_cli = (root / "node_modules" / ".bin" / "convex").is_file() or shutil.which("convex")
    convex = (
        f"on ({where.mode}: {where.origin})"
        if where
        else "off (no CONVEX_DEPLOY_KEY, "
        "CONVEX_SELF_HOSTED_URL + CONVEX_SELF_HOSTED_ADMIN_KEY, or logged-in CLI)"
    ) + ("" if has_cli else "; the convex CLI is not installed: npm install convex")
    repo = github.repo_of(root)
    gh = "GITHUB_TOKEN" if env.get("GITHUB_TOKEN") else "GH_TOKEN" if env.get("GH_TOKEN") else None
    if gh is None and shutil.which("gh"):
        gh = "gh auth token"
    lines = [
        "",
        "[sources]",
        "# Live sources (docs/sources.md): each turns on when its credentials are set; a file on",
        "# the command line always wins, and --offline (or offline = true) reads files only.",
        f"# Convex logs and env list (diagnose webhooks, diagnose env): {convex}",
        "# DodoPayments (webhook endpoints and events): "
        + (
            "on (DODO_PAYMENTS_API_KEY is set)"
            if env.get("DODO_PAYMENTS_API_KEY")
            else "off (set DODO_PAYMENTS_API_KEY)"
        ),
        "# GitHub (failed runs for diagnose build, secret names for diagnose env): "
        + (f"on ({gh})" if gh else "off (set GITHUB_TOKEN or run gh auth login)")
        + (f", repository {repo}" if repo else ", no github.com remote: set github_repo"),
        "# Cloudflare (SSL mode and Pages domains for diagnose ssl, Pages env and builds, "
        "Analytics for diagnose latency): "
        + (
            "on (CLOUDFLARE_API_TOKEN is set)"
            if env.get("CLOUDFLARE_API_TOKEN")
            else "off (set CLOUDFLARE_API_TOKEN)"
        ),
        "# offline = true",
        f'# github_repo = "{repo or "owner/name"}"',
        '# cloudflare_account_id = "<the account id: dashboard > Workers & Pages, right column>"',
        '# dodo_base_url = "https://test.dodopayments.com"   # a test-mode API key',
    ]
    return lines
