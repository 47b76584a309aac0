"""The live sources' options: the only place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.options import setting


@dataclass(frozen=True)
class SourcesOptions:
    """Which live sources may run, where they are, and how much each may read."""

    offline: bool = setting(
        False, "files only: no live source is asked", config="sources.offline", flag="--offline"
    )
    convex_cli: str | None = setting(
        None,
        "the convex CLI to run [default: the project's node_modules/.bin/convex, then PATH]",
        config="sources.convex_cli",
        path=True,
    )
    convex_project: str = setting(
        ".",
        "the Convex project folder (its package.json and node_modules)",
        config="sources.convex_project",
        path=True,
    )
    convex_history: int = setting(
        1000,
        "log entries `convex logs --history` asks for",
        config="sources.convex_history",
        low=1,
        high=100_000,
    )
    convex_env_values: bool = setting(
        True,
        "`convex env list` reads the values too (empty, placeholder and test-mode checks; kept "
        "in memory, masked in output); false: names only (--names-only)",
        config="sources.convex_env_values",
    )
    dodo_base_url: str = setting(
        "https://live.dodopayments.com",
        "DodoPayments API base URL (test mode: https://test.dodopayments.com)",
        config="sources.dodo_base_url",
    )
    dodo_key_env: str = setting(
        "DODO_PAYMENTS_API_KEY",
        "env var holding the DodoPayments API key",
        config="sources.dodo_key_env",
    )
    github_api_url: str = setting(
        "https://api.github.com", "GitHub REST API base URL", config="sources.github_api_url"
    )
    github_repo: str | None = setting(
        None,
        "owner/name [default: the project's git remote origin]",
        config="sources.github_repo",
    )
    github_branch: str | None = setting(
        "main",
        "the branch whose latest failed run `diagnose build` reads (the runbook deploys main)",
        config="sources.github_branch",
    )
    cloudflare_api_url: str = setting(
        "https://api.cloudflare.com/client/v4",
        "Cloudflare API v4 base URL",
        config="sources.cloudflare_api_url",
    )
    cloudflare_account_id: str | None = setting(
        None,
        "the Cloudflare account id (for the Pages project's custom domains)",
        config="sources.cloudflare_account_id",
    )
    cloudflare_pages_project: str | None = setting(
        None,
        "the Pages project whose custom domains are read [default: service.pages_project]",
        config="sources.cloudflare_pages_project",
    )
    cloudflare_zone: str | None = setting(
        None,
        "the zone name [default: the domain, then its parents]",
        config="sources.cloudflare_zone",
    )
    max_bytes: int = setting(
        4_000_000,
        "most bytes read from one API response or one CLI run",
        config="sources.max_bytes",
        low=1000,
        high=1_000_000_000,
    )
    max_pages: int = setting(
        20, "most pages followed per API listing", config="sources.max_pages", low=1, high=1000
    )
