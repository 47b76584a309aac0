"""GitHub's REST API: the latest failed workflow run's failed job log, and secret/variable names.

Auth: `GITHUB_TOKEN` (or `GH_TOKEN`), else `gh auth token`. The token goes to the API host only:
the job log's download is a 302 to a signed URL on another host, fetched without the token.
Values of variables are dropped as they arrive: only names are kept.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.probe import FactSink, ProbeContext
from diagnose.sources.base import FailureKind, Fetched, SourceFailure
from diagnose.sources.http import Answer, Api, get_bytes, get_json, paginate

SOURCE = "github"
API_VERSION = "2022-11-28"
PER_PAGE = 100
FIXES = {
    FailureKind.AUTH: "set GITHUB_TOKEN to a valid token (or run `gh auth login`)",
    FailureKind.FORBIDDEN: "give the token read access: fine-grained 'Actions: read' for runs and "
    "logs, 'Secrets: read' and 'Variables: read' for names (classic: the repo scope)",
    FailureKind.NOT_FOUND: "check sources.github_repo (owner/name); a private repository answers "
    "404 to a token that cannot see it",
    FailureKind.RATE_LIMITED: "wait for the reset time GitHub gives, or use an authenticated token",
}
_REMOTE = re.compile(r"github\.com[:/](?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")


def token(env: Mapping[str, str] | None = None) -> str | None:
    """The token: GITHUB_TOKEN, GH_TOKEN, or what `gh auth token` prints; None when none."""
    env = os.environ if env is None else env
    if value := env.get("GITHUB_TOKEN") or env.get("GH_TOKEN"):
        return value
    gh = shutil.which("gh")
    if gh is None:
        return None
    try:
        out = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [gh, "auth", "token"], capture_output=True, text=True, timeout=5, check=False
        )
    except Exception:  # noqa: BLE001 - a gh that cannot run means no token, never a crash
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def repo_of(project: Path) -> str | None:
    """owner/name from the project's git remote "origin" (read from .git/config, no git run)."""
    try:
        text = (project / ".git" / "config").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == '[remote "origin"]' and line.startswith("url"):
            if m := _REMOTE.search(line.partition("=")[2].strip()):
                return m.group("repo")
    return None


def api(base_url: str, secret: str, max_bytes: int, deadline: float, request_timeout: float) -> Api:
    """GitHub's REST API with the headers its docs give."""
    return Api(
        SOURCE,
        base_url,
        {
            "authorization": f"Bearer {secret}",
            "accept": "application/vnd.github+json",
            "x-github-api-version": API_VERSION,
        },
        FIXES,
        max_bytes,
        deadline,
        request_timeout,
    )


@dataclass(frozen=True)
class FailedJob:
    """The failed job of the latest failed run, with its log."""

    run_id: int
    run_url: str
    workflow: str
    branch: str
    job: str
    log: str


def latest_failed_job(
    client: Api, repo: str, branch: str | None
) -> tuple[FailedJob | None, Fetched]:
    """GET the latest failed run, its jobs, and the first failed job's log."""
    t0 = time.monotonic()
    params: dict[str, Any] = {"status": "failure", "per_page": 1}
    if branch:
        params["branch"] = branch
    runs = get_json(client, f"/repos/{repo}/actions/runs", params).body
    found = (runs or {}).get("workflow_runs") or []
    if not found:
        where = f" on {branch}" if branch else ""
        return None, Fetched(
            SOURCE, client.host, f"failed workflow runs{where}", 0, seconds=time.monotonic() - t0
        )
    run = found[0]
    jobs = get_json(
        client,
        f"/repos/{repo}/actions/runs/{run['id']}/jobs",
        {"filter": "latest", "per_page": PER_PAGE},
    ).body
    failed = [j for j in (jobs or {}).get("jobs") or [] if j.get("conclusion") == "failure"]
    if not failed:
        raise client.fail(FailureKind.NOT_FOUND, f"run {run['id']} has no failed job to read")
    job = failed[0]
    text = _job_log(client, repo, int(job["id"]))
    result = FailedJob(
        int(run["id"]),
        str(run.get("html_url", "")),
        str(run.get("name", "")),
        str(run.get("head_branch", "")),
        str(job.get("name", "")),
        text,
    )
    fetched = Fetched(
        SOURCE,
        client.host,
        "log lines",
        text.count("\n"),
        window=f"run {result.run_id} ({result.workflow}, {result.branch}), job {result.job!r}",
        seconds=time.monotonic() - t0,
        notes=(result.run_url,),
    )
    return result, fetched


def _job_log(client: Api, repo: str, job_id: int) -> str:
    """The job's log: the API answers 302 to a signed URL, fetched without the token."""
    first = get_bytes(client, f"/repos/{repo}/actions/jobs/{job_id}/logs")
    if first.status not in (301, 302, 303, 307, 308):
        return first.body.decode("utf-8", "replace")
    location = first.url
    if not location.startswith(("https://", "http://")):
        raise client.fail(FailureKind.BAD_ANSWER, "the job log's redirect has no URL")
    from urllib.parse import urlsplit

    parts = urlsplit(location)
    signed = Api(
        SOURCE,
        f"{parts.scheme}://{parts.netloc}",
        {},
        client.fixes,
        client.max_bytes,
        client.deadline,
        client.request_timeout,
    )
    return get_bytes(signed, location).body.decode("utf-8", "replace")


def names(
    client: Api, repo: str, environments: tuple[str, ...], max_pages: int
) -> tuple[dict[str, list[str]], Fetched]:
    """The names of repository (and environment) secrets and variables; values are dropped."""
    t0 = time.monotonic()
    out: dict[str, list[str]] = {}
    cut = False
    paths = {
        "secrets": f"/repos/{repo}/actions/secrets",
        "variables": f"/repos/{repo}/actions/variables",
    }
    for env in environments:
        paths[f"{env} secrets"] = f"/repos/{repo}/environments/{env}/secrets"
        paths[f"{env} variables"] = f"/repos/{repo}/environments/{env}/variables"
    for label, path in paths.items():
        key = "secrets" if label.endswith("secrets") else "variables"

        def following(_a: Answer, got: list[Any], page: int) -> Mapping[str, Any] | None:
            return {"page": page + 2} if len(got) >= PER_PAGE else None

        def named(body: Any, key: str = key) -> list[Any]:
            found = body.get(key) if isinstance(body, dict) else None
            return [i.get("name") for i in found or [] if isinstance(i, dict)]

        items, more = paginate(
            client, path, {"per_page": PER_PAGE, "page": 1}, named, following, max_pages
        )
        out[label] = sorted(str(n) for n in items if n)
        cut = cut or more
    count = sum(len(v) for v in out.values())
    return out, Fetched(
        SOURCE,
        client.host,
        "secret and variable names",
        count,
        window=repo,
        seconds=time.monotonic() - t0,
        truncated=cut,
    )


def unavailable(what: str) -> SourceFailure:
    """The source is configured but cannot name its repository."""
    return SourceFailure(
        SOURCE,
        FailureKind.NOT_FOUND,
        f"no repository for {what}",
        'set sources.github_repo = "owner/name" in diagnose.toml',
    )


_SECRET_REF = re.compile(r"\$\{\{[^}]*?\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)")
_VAR_REF = re.compile(r"\$\{\{[^}]*?\bvars\.([A-Za-z_][A-Za-z0-9_]*)")
AUTOMATIC = {"GITHUB_TOKEN"}  # GitHub provides it to every run; never set by hand


def workflow_refs(project: Path) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """What the workflows use: secret names, variable names (each -> files), job environments."""
    import yaml

    secrets: dict[str, list[str]] = {}
    variables: dict[str, list[str]] = {}
    environments: set[str] = set()
    folder = project / ".github" / "workflows"
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8")
            doc = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        rel = path.relative_to(project).as_posix()
        for rx, into in ((_SECRET_REF, secrets), (_VAR_REF, variables)):
            for name in sorted(set(rx.findall(text))):
                into.setdefault(name, []).append(rel)
        jobs = doc.get("jobs") if isinstance(doc, dict) else None
        for job in (jobs or {}).values() if isinstance(jobs, dict) else []:
            env = job.get("environment") if isinstance(job, dict) else None
            name = env.get("name") if isinstance(env, dict) else env
            if isinstance(name, str) and "${{" not in name:
                environments.add(name)
    return secrets, variables, sorted(environments)


NAME_FACTS = (
    "repo",
    "environments",
    "secret_names",
    "variable_names",
    "referenced_secrets",
    "referenced_variables",
    "missing_secrets",
    "missing_variables",
    "first_missing",
    "missing_summary",
    "fetched",
)


class GitHubNamesProbe:
    """The repository's (and its environments') secret and variable names against the workflows."""

    name: ClassVar[str] = "github_names"
    provides: ClassVar[frozenset[str]] = frozenset(
        {*(f"github.{f}" for f in NAME_FACTS), fact_name("github_names")}
    )

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Read the names (never the values) and compare them with what the workflows use."""

        def put(name: str, value: Any) -> None:
            sink.put(f"github.{name}", value)

        repo = ctx.options.get("github_repo")
        if not repo:
            raise unavailable("secret and variable names")
        project = Path(str(ctx.options.get("project_dir") or "."))
        used_secrets, used_vars, environments = workflow_refs(project)
        client = api(
            str(ctx.options["github_api_url"]),
            str(ctx.options.get("github_token") or ""),
            int(ctx.options["sources_max_bytes"]),
            time.monotonic() + ctx.remaining(),
            float(ctx.options["request_timeout"]),
        )
        put("repo", repo)
        put("environments", environments)
        found, fetched = names(
            client, str(repo), tuple(environments), int(ctx.options["sources_max_pages"])
        )
        secret_names = sorted({n for k, v in found.items() if k.endswith("secrets") for n in v})
        variable_names = sorted({n for k, v in found.items() if k.endswith("variables") for n in v})
        put("secret_names", secret_names)
        put("variable_names", variable_names)
        put("referenced_secrets", dict(sorted(used_secrets.items())))
        put("referenced_variables", dict(sorted(used_vars.items())))
        missing_s = [
            f"secrets.{n} ({', '.join(used_secrets[n])})"
            for n in sorted(used_secrets)
            if n not in secret_names and n not in AUTOMATIC
        ]
        missing_v = [
            f"vars.{n} ({', '.join(used_vars[n])})"
            for n in sorted(used_vars)
            if n not in variable_names
        ]
        put("missing_secrets", missing_s)
        put("missing_variables", missing_v)
        first = next(
            (n for n in sorted(used_secrets) if n not in secret_names and n not in AUTOMATIC), None
        ) or next((n for n in sorted(used_vars) if n not in variable_names), None)
        put("first_missing", first)
        put("missing_summary", ", ".join([*missing_s, *missing_v]) or None)
        put("fetched", [fetched.line()])
        sink.put(
            fact_name("github_names"),
            Checked(
                len(used_secrets) + len(used_vars),
                "workflow references",
                f"{len(used_secrets)} secrets and {len(used_vars)} variables the workflows use, "
                f"against {fetched.count} names set in {repo}",
                "the project has no .github/workflows using secrets or vars: give --project DIR",
            ).to_json(),
        )
