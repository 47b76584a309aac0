"""What the live sources add to a family's plan when no file is given (the families' hooks)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from diagnose.options import resolve
from diagnose.settings import Common
from diagnose.sources import cloudflare, convex_cli, github
from diagnose.sources.base import SourceFailure
from diagnose.sources.options import SourcesOptions
from diagnose.sources.record import read_options


@dataclass(frozen=True)
class EnvSet:
    """Variables a source found set: where, on which side, and the dotenv text when it has values."""

    label: str
    deployment: bool  # the Convex deployment's variables; False: the frontend build's
    names: tuple[str, ...] = ()
    text: str | None = None  # NAME=value lines, as a saved `npx convex env list` holds


@dataclass(frozen=True)
class Live:
    """What the sources contribute: files they wrote, probes to run, their options and secrets."""

    files: tuple[str, ...] = ()
    probes: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    target: str = "live sources"
    env_sets: tuple[EnvSet, ...] = ()  # variables a source found set (diagnose env)

    def any(self) -> bool:
        """Whether any source will be read."""
        return bool(self.files or self.probes)


def merge(*parts: Live) -> Live:
    """Several sources' contributions as one: probes once each, the fetch records joined."""
    probes: list[str] = []
    options: dict[str, Any] = {}
    for part in parts:
        probes.extend(p for p in part.probes if p not in probes)
        options.update(part.options)  # each fetch record is its own key (record.read_options)
    targets = [p.target for p in parts if p.any() or p.env_sets]
    return Live(
        tuple(f for p in parts for f in p.files),
        tuple(probes),
        options,
        tuple(s for p in parts for s in p.secrets),
        ", ".join(targets) or "live sources",
        tuple(e for p in parts for e in p.env_sets),
    )


def options(common: Common) -> SourcesOptions:
    """The sources' options: CLI (--offline) over config over default."""
    return resolve(SourcesOptions, common.config, {"offline": True if common.offline else None})


def _scratch() -> Path:
    """A private folder for what the CLIs print, removed when diagnose exits."""
    path = Path(tempfile.mkdtemp(prefix="diagnose-live-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def _secrets(*names: str) -> tuple[str, ...]:
    return tuple(v for n in names if (v := os.environ.get(n)))


def webhooks(
    common: Common,
    logs_given: bool,
    since: datetime | None,
    until: datetime,
    endpoint: str | None,
) -> Live:
    """Convex logs through the CLI (when no --log is given) and the DodoPayments source."""
    opts = options(common)
    if opts.offline:
        return Live()
    files: list[str] = []
    read: dict[str, Any] = {}
    probes: list[str] = []
    origins: list[str] = []
    project = Path(opts.convex_project)
    where = None if logs_given else convex_cli.deployment(project)
    if where is not None:
        dest = _scratch() / "convex-logs.jsonl"
        try:
            fetched = convex_cli.fetch_logs(opts, where, dest, time.monotonic() + common.timeout)
            files.append(str(dest))
            read["convex.logs"] = fetched.as_facts()
        except SourceFailure as exc:
            read["convex.logs"] = exc.as_facts()
        probes.append("sources")
        origins.append(f"convex logs from {where.origin}")
    key_env = opts.dodo_key_env
    if os.environ.get(key_env):
        probes.append("webhook_sender")
        origins.append(f"DodoPayments {opts.dodo_base_url}")
    settings: dict[str, Any] = {
        **read_options(read),
        "dodo_base_url": opts.dodo_base_url,
        "dodo_key_env": key_env,
        "sources_max_bytes": opts.max_bytes,
        "sources_max_pages": opts.max_pages,
        "convex_site": common.config.get("service", "convex_url"),
        "dodo_expected_url": endpoint or common.config.get("service", "webhook_url"),
    }
    return Live(
        tuple(files),
        tuple(probes),
        settings,
        _secrets(key_env, *convex_cli.SECRET_ENV),
        ", ".join(origins) or "live sources",
    )


def _record(live: dict[str, Any], key: str, fetch: Any) -> Any:
    """Run one plan-time fetch: keep its record (or its failure) for the sources probe."""
    try:
        value, fetched = fetch()
    except SourceFailure as exc:
        live[key] = exc.as_facts()
        return None
    live[key] = fetched.as_facts()
    return value


def build(common: Common, project: str | None) -> Live:
    """The latest failed GitHub Actions run's failed job log, when no LOG is given."""
    opts = options(common)
    secret = None if opts.offline else github.token()
    if secret is None:
        return Live() if opts.offline else _pages_build(common, opts)
    read: dict[str, Any] = {}
    repo = opts.github_repo or github.repo_of(Path(project or opts.convex_project))
    client = github.api(
        opts.github_api_url,
        secret,
        opts.max_bytes,
        time.monotonic() + common.timeout,
        common.request_timeout,
    )

    def fetch() -> Any:
        if repo is None:
            raise github.unavailable("the build log")
        return github.latest_failed_job(client, repo, opts.github_branch)

    job = _record(read, "github.build_log", fetch)
    settings: dict[str, Any] = read_options(read)
    target = f"GitHub Actions {repo or '(no repository)'}"
    if job is not None:
        settings["log_text"] = job.log
        settings["log_source"] = f"GitHub Actions run {job.run_id} job {job.job!r} ({job.run_url})"
        target = f"GitHub Actions run {job.run_id} ({job.workflow}, {job.branch}), job {job.job}"
    return Live((), ("sources",), settings, (secret,), target)


def ssl(common: Common, domain: str) -> Live:
    """The Cloudflare zone's SSL/TLS mode and the Pages custom domain, when a token is set."""
    opts = options(common)
    if opts.offline or not domain or not os.environ.get("CLOUDFLARE_API_TOKEN"):
        return Live()
    settings: dict[str, Any] = {
        "cloudflare_api_url": opts.cloudflare_api_url,
        "cloudflare_account_id": opts.cloudflare_account_id
        or os.environ.get("CLOUDFLARE_ACCOUNT_ID"),
        "cloudflare_zone": opts.cloudflare_zone,
        "cloudflare_domain": domain,
        "pages_project": opts.cloudflare_pages_project
        or common.config.get("service", "pages_project"),
        "sources_max_bytes": opts.max_bytes,
    }
    return Live((), ("cloudflare",), settings, _secrets("CLOUDFLARE_API_TOKEN"))


def latency(common: Common, logs_given: bool, urls: list[str]) -> Live:
    """Cloudflare's GraphQL Analytics for the site's zone (requests, 5xx, edge/origin p95 per
    minute), when a token is set and no request log is given (a Logpush file wins)."""
    opts = options(common)
    if opts.offline or logs_given or not os.environ.get("CLOUDFLARE_API_TOKEN"):
        return Live()
    domain = common.config.get("service", "domain") or next(
        (h for u in urls if (h := urlsplit(u).hostname)), None
    )
    if not domain:
        return Live()
    settings: dict[str, Any] = {
        "cloudflare_api_url": opts.cloudflare_api_url,
        "cloudflare_zone": opts.cloudflare_zone,
        "cloudflare_domain": str(domain),
        "sources_max_bytes": opts.max_bytes,
        "analytics_now": common.now,  # the window's end when no --until is given
    }
    return Live(
        (),
        ("cloudflare_analytics",),
        settings,
        _secrets("CLOUDFLARE_API_TOKEN"),
        f"Cloudflare Analytics {domain}",
    )


def env(common: Common, project: str | None, convex_given: bool = False) -> Live:
    """The Convex deployment's variables (`convex env list`, unless --convex-env is given),
    GitHub's secret and variable names against what the workflows use, and the Cloudflare Pages
    project's variable names, for each source that is configured."""
    opts = options(common)
    if opts.offline:
        return Live()
    parts = [
        _convex_env(common, opts, Path(project or opts.convex_project))
        if not convex_given
        else Live(),
        _github_names(opts, project),
        _pages_names(common, opts) or Live(),
    ]
    return merge(*parts)


def _convex_env(common: Common, opts: SourcesOptions, folder: Path) -> Live:
    """`convex env list` through the CLI in the project folder, now (the env family reads it as
    the saved list)."""
    where = convex_cli.deployment(folder)
    if where is None:
        return Live()
    read: dict[str, Any] = {}
    deadline = time.monotonic() + common.timeout
    text = _record(read, "convex.env", lambda: convex_cli.fetch_env(opts, where, folder, deadline))
    sets: tuple[EnvSet, ...] = ()
    if text is not None:
        label = f"convex env list ({where.origin})"
        names = tuple(n for n in (ln.partition("=")[0] for ln in text.splitlines()) if n)
        sets = (EnvSet(label, True, names, text if opts.convex_env_values else None),)
    return Live(
        (),
        ("sources",),
        read_options(read),
        _secrets(*convex_cli.SECRET_ENV),
        f"Convex {where.origin}",
        sets,
    )


def _github_names(opts: SourcesOptions, project: str | None) -> Live:
    """The github_names probe's options, when a GitHub token is there."""
    secret = github.token()
    if secret is None:
        return Live()
    folder = Path(project or opts.convex_project)
    settings: dict[str, Any] = {
        "github_api_url": opts.github_api_url,
        "github_repo": opts.github_repo or github.repo_of(folder),
        "github_token": secret,
        "project_dir": str(folder),
        "sources_max_bytes": opts.max_bytes,
        "sources_max_pages": opts.max_pages,
    }
    return Live((), ("github_names",), settings, (secret,), f"GitHub {settings['github_repo']}")


def _pages_account(common: Common, opts: SourcesOptions) -> cloudflare.Account | None:
    """The Pages project to read, when a token, an account and a project are all configured."""
    token = os.environ.get("CLOUDFLARE_API_TOKEN")
    account = opts.cloudflare_account_id or os.environ.get("CLOUDFLARE_ACCOUNT_ID")
    project = opts.cloudflare_pages_project or common.config.get("service", "pages_project")
    if not (token and account and project):
        return None
    return cloudflare.Account(
        opts.cloudflare_api_url,
        token,
        str(account),
        str(project),
        opts.max_bytes,
        time.monotonic() + common.timeout,
        common.request_timeout,
    )


def _pages_names(common: Common, opts: SourcesOptions) -> Live | None:
    """The Pages project's env var names, fetched now (the env family reads them as a source)."""
    where = _pages_account(common, opts)
    if where is None:
        return None
    read: dict[str, Any] = {}
    found = _record(read, "cloudflare.pages_env", lambda: cloudflare.pages_env_names(where))
    sets = tuple(
        EnvSet(f"Cloudflare Pages {where.project} ({env})", False, tuple(v))
        for env, v in (found or {}).items()
    )
    return Live(
        (), ("sources",), read_options(read), (where.token,), f"Pages {where.project}", sets
    )


def _pages_build(common: Common, opts: SourcesOptions) -> Live:
    """The latest production Pages deployment's build log, when it failed (no GitHub token)."""
    where = _pages_account(common, opts)
    if where is None:
        return Live()
    read: dict[str, Any] = {}
    log = _record(
        read, "cloudflare.pages_build", lambda: cloudflare.latest_failed_pages_build(where)
    )
    settings: dict[str, Any] = read_options(read)
    if log is not None:
        settings["log_text"] = log
        settings["log_source"] = f"Cloudflare Pages {where.project} (latest production deployment)"
    return Live((), ("sources",), settings, (where.token,), f"Cloudflare Pages {where.project}")
