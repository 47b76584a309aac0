"""Local stand-ins for the vendors' APIs, answering as the real ones do (paths, auth, pages, errors).

Each answer is shaped from the vendor's published material, named beside it:

- Convex backend, `GET /api/stream_function_logs?cursor=MS` (what `convex logs` polls: npm
  `convex` 1.48, src/cli/lib/logs.ts `pollUdfLog`): `{"entries": [FunctionExecution...],
  "newCursor": MS}`, `Authorization: Convex <admin key>`. A bad key is 401 with the backend's
  own body (convex-backend, `ErrorMetadata::unauthenticated("BadAdminKey", "The provided admin
  key was invalid for this instance")`). A poll with nothing new is held open (a long poll).
  `convex env list` reads the deployment's variables over the sync WebSocket
  (`/api/<version>/sync`, diagnose/lab/convex_sync.py names its sources).
- DodoPayments, `GET /webhooks` (dodopayments-python `WebhookDetails`, cursor pages
  `{"data", "iterator", "done"}`) and `GET /webhook_events` (API reference "Get webhook events":
  `{"items": [{business_id, created_at, event_id, event_type, latest_attempted_at, object_id,
  request, response}]}`, `page_number` from 0, `page_size` <= 100, `created_at_gte/lte`), Bearer
  auth. The text of `request` and `response` is not published ("<string>" in the reference):
  the fixtures use a JSON object with the status code, which the reader documents as assumed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from diagnose.lab import convex_sync
from diagnose.lab.serving import serve_http

CONVEX_BAD_KEY = {
    "code": "BadAdminKey",
    "message": "The provided admin key was invalid for this instance",
}
LONG_POLL_S = 30.0


@dataclass
class ConvexBackendState:
    """What the stand-in deployment holds: its admin key and its log entries (Completion records)."""

    admin_key: str = "self-hosted-admin-key-for-tests"
    entries: list[dict[str, Any]] = field(default_factory=list)
    first_poll_delay_s: float = 0.0  # hold the first poll this long (a slow or stuck backend)
    env_vars: dict[str, str] = field(default_factory=dict)  # the deployment's variables
    env_forbidden: bool = False  # the key's role lacks the env permission (a scoped deploy key)
    requests: list[str] = field(default_factory=list)
    sync: list[str] = field(default_factory=list)  # sync messages and query paths received
    stop: threading.Event = field(default_factory=threading.Event)

    def answer(self, path: str, args: list[Any]) -> Any:
        """A query's value: the env list and env get system queries; null for anything else."""
        docs = convex_sync.env_documents(self.env_vars, 1764000000000.0)
        if path == convex_sync.ENV_QUERY:
            return docs
        if path == convex_sync.ENV_GET:
            name = (args[0] if args and isinstance(args[0], dict) else {}).get("name")
            return next((d for d in docs if d["name"] == name), None)
        return None


@dataclass
class DodoState:
    """What the stand-in DodoPayments account holds, and how the API misbehaves."""

    api_key: str = "dodo-test-api-key-for-tests"
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    fail: int | None = None  # answer every request with this status (401, 403, 429, 500)
    retry_after: str = "30"
    hang: bool = False  # accept and never answer (a timeout)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path+query, auth)
    stop: threading.Event = field(default_factory=threading.Event)


def _send(
    handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    data = b"" if body is None else json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.end_headers()
    try:
        handler.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client stopped listening (the CLI is stopped once its history is out)


class _Quiet(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive like the vendors' APIs, and no access log (tests read state.requests)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Quiet."""


class ConvexHandler(_Quiet):
    """The endpoints `convex logs` and `convex env list` call, as a self-hosted backend answers."""

    def do_GET(self) -> None:
        """Answer /api/stream_function_logs and the sync socket; everything else is 404."""
        state: ConvexBackendState = self.server.state  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        state.requests.append(self.path)
        if parts.path.endswith("/sync") and convex_sync.is_upgrade(self):
            # The sync socket authenticates in its first messages, not with a header.
            convex_sync.accept(self)
            self.close_connection = True
            try:
                convex_sync.SyncSession(
                    self, state.admin_key, state.answer, state.sync, state.env_forbidden
                ).run()
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass  # the CLI closed its socket once it had the answer
            return
        if self.headers.get("authorization") != f"Convex {state.admin_key}":
            _send(self, 401, CONVEX_BAD_KEY)
            return
        if parts.path == "/api/check_admin_key":
            _send(self, 200, {})  # the CLI's history poll is the one answer with a body read
            return
        if parts.path != "/api/stream_function_logs":
            _send(self, 404, {"code": "NotFound", "message": "Not found"})
            return
        cursor = float(parse_qs(parts.query).get("cursor", ["0"])[0])
        if cursor == 0 and state.first_poll_delay_s:
            state.stop.wait(state.first_poll_delay_s)
        newer = [e for e in state.entries if e["timestamp"] * 1000 > cursor]
        if not newer and cursor > 0:
            state.stop.wait(LONG_POLL_S)  # the backend holds a poll with nothing new
        head = max([cursor, *(e["timestamp"] * 1000 for e in newer)])
        _send(self, 200, {"entries": newer, "newCursor": head})


@contextmanager
def convex_backend(state: ConvexBackendState) -> Iterator[str]:
    """Serve the stand-in deployment; yield its URL (CONVEX_SELF_HOSTED_URL)."""
    with serve_http(ConvexHandler, state) as url:
        yield url


class DodoHandler(_Quiet):
    """GET /webhooks and GET /webhook_events, as the DodoPayments API answers them."""

    def do_GET(self) -> None:
        """Check the bearer token, then answer the listing with its pagination."""
        state: DodoState = self.server.state  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        state.requests.append((self.path, self.headers.get("authorization")))
        if state.hang:
            state.stop.wait(LONG_POLL_S)
            return
        if state.fail is not None:
            extra = {"retry-after": state.retry_after} if state.fail == 429 else {}
            _send(self, state.fail, None, extra)
            return
        if self.headers.get("authorization") != f"Bearer {state.api_key}":
            _send(self, 401, None)
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/webhooks":
            _send(self, 200, _cursor_page(state.endpoints, query))
        elif parts.path == "/webhook_events":
            _send(self, 200, {"items": _number_page(state.events, query)})
        else:
            _send(self, 404, None)


def _cursor_page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """CursorPagePagination: `iterator` is where the next page starts; `done` on the last."""
    start = int(query.get("iterator") or 0)
    size = min(int(query.get("limit") or 10), 100)
    page = items[start : start + size]
    more = start + size < len(items)
    return {"data": page, "iterator": str(start + size) if more else None, "done": not more}


def _number_page(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """DefaultPageNumberPagination: pages from 0; an empty page ends the listing."""
    lo, hi = query.get("created_at_gte"), query.get("created_at_lte")
    chosen = [
        e
        for e in items
        if (lo is None or _ts(e["created_at"]) >= _ts(lo))
        and (hi is None or _ts(e["created_at"]) <= _ts(hi))
    ]
    size = min(int(query.get("page_size") or 10), 100)
    number = int(query.get("page_number") or 0)
    return chosen[number * size : (number + 1) * size]


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@contextmanager
def dodo_api(state: DodoState) -> Iterator[str]:
    """Serve the stand-in DodoPayments API; yield its base URL (sources.dodo_base_url)."""
    with serve_http(DodoHandler, state) as url:
        yield url


def dodo_endpoint(url: str, *, disabled: bool = False, wid: str = "wh_01") -> dict[str, Any]:
    """One webhook endpoint, with the fields of dodopayments-python's WebhookDetails."""
    return {
        "id": wid,
        "created_at": "2026-11-01T09:00:00Z",
        "description": "Dashtray production",
        "metadata": {},
        "updated_at": "2026-11-01T09:00:00Z",
        "url": url,
        "disabled": disabled,
        "filter_types": [],
        "rate_limit": None,
    }


def dodo_event(
    at: datetime, event_id: str, status: int | None, *, kind: str = "payment.succeeded"
) -> dict[str, Any]:
    """One webhook event with its latest attempt; status None is an attempt that timed out."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = {"status": status} if status is not None else {"error": "request timed out"}
    return {
        "business_id": "bus_dashtray",
        "created_at": stamp,
        "event_id": event_id,
        "event_type": kind,
        "latest_attempted_at": stamp,
        "object_id": "pay_" + event_id[-8:],
        "request": json.dumps({"webhook-id": event_id, "type": kind}),
        "response": json.dumps(response),
    }


# GitHub REST API (docs.github.com/rest, X-GitHub-Api-Version 2022-11-28): workflow runs
# `{"total_count", "workflow_runs": [...]}`, jobs `{"total_count", "jobs": [...]}`, a job's logs
# as 302 to a signed URL (served here under /_signed/, which takes no token), secrets
# `{"total_count", "secrets": [{name, created_at, updated_at}]}`, variables with values.
# A bad token is 401 {"message": "Bad credentials"}; the primary rate limit is 403 with
# x-ratelimit-remaining: 0.


@dataclass
class GitHubState:
    """What the stand-in repository holds."""

    token: str = "ghp_standInTokenForTests0000000000000000"
    repo: str = "dashtray/dashtray"
    runs: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # run id -> jobs
    logs: dict[int, str] = field(default_factory=dict)  # job id -> log text
    secrets: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    environment_secrets: dict[str, list[str]] = field(default_factory=dict)  # environment -> names
    fail: int | None = None
    rate_limited: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


class GitHubHandler(_Quiet):
    """The REST endpoints the GitHub source calls."""

    def do_GET(self) -> None:
        """Route by path, as api.github.com does."""
        state: GitHubState = self.server.state  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        auth = self.headers.get("authorization")
        state.requests.append((self.path, auth))
        if parts.path.startswith("/_signed/job-logs/"):
            text = state.logs.get(int(parts.path.rsplit("/", 1)[1]), "").encode()
            self.send_response(200)
            self.send_header("content-type", "text/plain; charset=utf-8")
            self.send_header("content-length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
            return
        if state.rate_limited:
            _send(
                self,
                403,
                {"message": "API rate limit exceeded"},
                {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1795000000"},
            )
            return
        if state.fail is not None:
            _send(self, state.fail, {"message": "Resource not accessible by personal access token"})
            return
        if auth != f"Bearer {state.token}":
            _send(
                self,
                401,
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
            )
            return
        prefix = f"/repos/{state.repo}/"
        if not parts.path.startswith(prefix):
            _send(self, 404, {"message": "Not Found"})
            return
        rest = parts.path[len(prefix) :].split("/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if rest == ["actions", "runs"]:
            runs = [
                r
                for r in state.runs
                if (query.get("status") in (None, r["conclusion"], r["status"]))
                and query.get("branch") in (None, r["head_branch"])
            ]
            per = int(query.get("per_page") or 30)
            _send(self, 200, {"total_count": len(runs), "workflow_runs": runs[:per]})
        elif len(rest) == 4 and rest[:2] == ["actions", "runs"] and rest[3] == "jobs":
            jobs = state.jobs.get(int(rest[2]), [])
            _send(self, 200, {"total_count": len(jobs), "jobs": jobs})
        elif len(rest) == 4 and rest[:2] == ["actions", "jobs"] and rest[3] == "logs":
            host, port = self.server.server_address[:2]  # type: ignore[index, str-unpack]
            self.send_response(302)
            self.send_header(
                "location", f"http://{host}:{port}/_signed/job-logs/{rest[2]}?sig=stand-in"
            )
            self.send_header("content-length", "0")
            self.end_headers()
        elif rest == ["actions", "secrets"]:
            items = [
                {
                    "name": n,
                    "created_at": "2026-11-01T09:00:00Z",
                    "updated_at": "2026-11-01T09:00:00Z",
                }
                for n in state.secrets
            ]
            _send(self, 200, {"total_count": len(items), "secrets": _gh_page(items, query)})
        elif len(rest) == 3 and rest[0] == "environments" and rest[1] in state.environment_secrets:
            names = state.environment_secrets[rest[1]] if rest[2] == "secrets" else []
            items = [
                {
                    "name": n,
                    "created_at": "2026-11-01T09:00:00Z",
                    "updated_at": "2026-11-01T09:00:00Z",
                }
                for n in names
            ]
            _send(self, 200, {"total_count": len(items), rest[2]: _gh_page(items, query)})
        elif rest == ["actions", "variables"]:
            items = [
                {
                    "name": k,
                    "value": v,
                    "created_at": "2026-11-01T09:00:00Z",
                    "updated_at": "2026-11-01T09:00:00Z",
                }
                for k, v in state.variables.items()
            ]
            _send(self, 200, {"total_count": len(items), "variables": _gh_page(items, query)})
        else:
            _send(self, 404, {"message": "Not Found"})


def _gh_page(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """GitHub's page/per_page pagination (pages from 1)."""
    per = min(int(query.get("per_page") or 30), 100)
    page = int(query.get("page") or 1)
    return items[(page - 1) * per : page * per]


@contextmanager
def github_api(state: GitHubState) -> Iterator[str]:
    """Serve the stand-in GitHub API; yield its base URL (sources.github_api_url)."""
    with serve_http(GitHubHandler, state) as url:
        yield url


def github_failed_run(
    run_id: int, job_id: int, *, branch: str = "main"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A failed run and its failed job, with the fields of the docs' examples that are read."""
    run = {
        "id": run_id,
        "name": "Deploy to Cloudflare Pages",
        "head_branch": branch,
        "head_sha": "f83a356604ae3c5d03e1b46ef4d1ca77d64a90b0",
        "status": "completed",
        "conclusion": "failure",
        "html_url": f"https://github.com/dashtray/dashtray/actions/runs/{run_id}",
        "created_at": "2026-11-27T14:32:00Z",
    }
    job = {
        "id": job_id,
        "run_id": run_id,
        "name": "build",
        "status": "completed",
        "conclusion": "failure",
        "steps": [{"name": "Build", "status": "completed", "conclusion": "failure", "number": 5}],
    }
    return run, job


# Cloudflare API v4 (developers.cloudflare.com/api; cloudflare-typescript types): the envelope
# `{"success", "errors", "messages", "result", "result_info"}`; GET /zones?name=, GET
# /zones/{id}/settings/{ssl,always_use_https} -> {"id", "value", "editable", "modified_on"}, GET
# /accounts/{id}/pages/projects/{name}/domains -> [{name, status, validation_data,
# verification_data, ...}]. A token without the permission a call needs gets 403 with
# {"code": 10000, "message": "Authentication error"}; the rate limit is 429 with Retry-After.
# POST /client/v4/graphql (developers.cloudflare.com/analytics/graphql-api): the aliases diagnose
# asks of httpRequestsAdaptiveGroups (count per dimensions.datetimeMinute, quantiles
# edgeTimeToFirstByteMsP95/originResponseDurationMsP95, avg.sampleInterval), `{"data", "errors":
# null}`; what the token or plan does not allow is a 200 with `{"data": null, "errors":
# [{"message", "path", "extensions": {"timestamp"}}]}` ("Error responses" page).

CF_AUTH_ERROR = {"code": 10000, "message": "Authentication error"}
CF_PROJECT_NOT_FOUND = {
    "success": False,
    "errors": [
        {
            "code": 8000007,
            "message": "Project not found. The specified project name does not match any of "
            "your existing projects.",
        }
    ],
    "messages": [],
    "result": None,
}


@dataclass
class CloudflareState:
    """What the stand-in Cloudflare account holds."""

    token: str = "cf-stand-in-token-for-tests-0000000000"
    account_id: str = "01a7362d577a6c3019a474fd6f485823"
    zones: dict[str, str] = field(
        default_factory=lambda: {"dashtray.com": "023e105f4ecef8ad9ca31a8372d0c353"}
    )
    ssl: str = "strict"
    always_use_https: str = "on"
    projects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # name -> domains
    env_vars: dict[str, dict[str, str]] = field(default_factory=dict)  # environment -> name: value
    deployments: list[dict[str, Any]] = field(default_factory=list)  # newest first
    build_logs: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # id -> [{ts, line}]
    forbidden: tuple[str, ...] = ()  # path parts the token lacks the permission for
    rate_limited: bool = False
    # GraphQL Analytics: one row a minute {"minute", "count", "errors"} and the window's p95s.
    analytics: list[dict[str, Any]] = field(default_factory=list)
    edge_p95_ms: float = 180.0
    origin_p95_ms: float = 60.0
    sample_interval: float = 1.0
    graphql_errors: list[str] = field(default_factory=list)  # a 200 with these errors
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    graphql: list[dict[str, Any]] = field(default_factory=list)  # the documents POSTed
    stop: threading.Event = field(default_factory=threading.Event)


def _envelope(result: Any, *, count: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if count is not None:
        body["result_info"] = {"page": 1, "per_page": 20, "count": count, "total_count": count}
    return body


class CloudflareHandler(_Quiet):
    """The v4 endpoints the Cloudflare source calls."""

    def do_GET(self) -> None:
        """Check the token and its permissions, then answer in the v4 envelope."""
        state: CloudflareState = self.server.state  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        auth = self.headers.get("authorization")
        state.requests.append((self.path, auth))
        failed = {"success": False, "errors": [CF_AUTH_ERROR], "messages": [], "result": None}
        if state.rate_limited:
            _send(
                self,
                429,
                {"success": False, "errors": [], "messages": [], "result": None},
                {"retry-after": "60"},
            )
            return
        if auth != f"Bearer {state.token}" or any(f in parts.path for f in state.forbidden):
            _send(self, 403, failed)
            return
        path = parts.path.removeprefix("/client/v4")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        segs = path.strip("/").split("/")
        if segs == ["zones"]:
            found = [
                {"id": zid, "name": name, "status": "active"}
                for name, zid in state.zones.items()
                if query.get("name") in (None, name)
            ]
            _send(self, 200, _envelope(found, count=len(found)))
        elif len(segs) == 4 and segs[0] == "zones" and segs[2] == "settings":
            value = {"ssl": state.ssl, "always_use_https": state.always_use_https}.get(segs[3])
            setting = {
                "id": segs[3],
                "value": value,
                "editable": True,
                "modified_on": "2026-11-01T09:00:00.000000Z",
            }
            _send(self, 200, _envelope(setting))
        elif len(segs) >= 6 and segs[0] == "accounts" and segs[5] == "deployments":
            if len(segs) == 6:
                found = [
                    d for d in state.deployments if query.get("env") in (None, d["environment"])
                ]
                _send(self, 200, _envelope(found, count=len(found)))
            else:  # .../deployments/ID/history/logs
                data = state.build_logs.get(segs[6], [])
                body = {"total": len(data), "includes_container_logs": True, "data": data}
                _send(self, 200, _envelope(body))
        elif len(segs) == 5 and segs[0] == "accounts" and segs[2:4] == ["pages", "projects"]:
            if segs[1] != state.account_id or segs[4] not in state.projects:
                _send(self, 404, CF_PROJECT_NOT_FOUND)
                return
            configs = {
                env: {"env_vars": {k: {"type": "plain_text", "value": v} for k, v in names.items()}}
                for env, names in state.env_vars.items()
            }
            _send(self, 200, _envelope({"name": segs[4], "deployment_configs": configs}))
        elif (
            len(segs) == 6
            and segs[0] == "accounts"
            and segs[2:4] == ["pages", "projects"]
            and segs[5] == "domains"
        ):
            if segs[1] != state.account_id or segs[4] not in state.projects:
                _send(self, 404, CF_PROJECT_NOT_FOUND)
                return
            domains = state.projects[segs[4]]
            _send(self, 200, _envelope(domains, count=len(domains)))
        else:
            _send(
                self,
                404,
                {
                    "success": False,
                    "errors": [
                        {
                            "code": 7003,
                            "message": "Could not route to /"
                            + "/".join(segs)
                            + ", perhaps your object identifier is invalid?",
                        }
                    ],
                    "messages": [],
                    "result": None,
                },
            )

    def do_POST(self) -> None:
        """POST /client/v4/graphql: the GraphQL Analytics API over httpRequestsAdaptiveGroups."""
        state: CloudflareState = self.server.state  # type: ignore[attr-defined]
        auth = self.headers.get("authorization")
        state.requests.append((self.path, auth))
        size = min(int(self.headers.get("content-length") or 0), 1 << 20)
        document = json.loads(self.rfile.read(size) or b"{}")
        state.graphql.append(document)
        if state.rate_limited:
            _send(self, 429, {"success": False, "errors": [], "messages": [], "result": None},
                  {"retry-after": "60"})  # fmt: skip
            return
        if auth != f"Bearer {state.token}":
            _send(self, 403, {"success": False, "errors": [CF_AUTH_ERROR], "messages": [],
                              "result": None})  # fmt: skip
            return
        if urlsplit(self.path).path != "/client/v4/graphql":
            _send(self, 404, None)
            return
        query = str(document.get("query", ""))
        variables = document.get("variables") or {}
        zone = str(variables.get("zoneTag"))
        messages = list(state.graphql_errors)
        if "graphql" in state.forbidden:
            # Seen in the field for a token without Zone > Analytics > Read on the zone.
            messages.append(f"zones [{zone}] are not authorized")
        if "httpRequestsAdaptiveGroups" not in query:
            messages.append("unknown field")
        if messages:
            _send(self, 200, graphql_errors(messages))
            return
        body = {"data": {"viewer": {"zones": [analytics_zone(state, variables)]}}, "errors": None}
        _send(self, 200, body)


def graphql_errors(messages: list[str]) -> dict[str, Any]:
    """A 200 with errors, as the API's "Error responses" page shows it."""
    return {
        "data": None,
        "errors": [
            {
                "message": m,
                "path": ["viewer", "zones", "0", "httpRequestsAdaptiveGroups"],
                "extensions": {"timestamp": "2026-11-27T10:00:00.000000000Z"},
            }
            for m in messages
        ],
    }


def analytics_zone(state: CloudflareState, variables: dict[str, Any]) -> dict[str, Any]:
    """The three aliases diagnose asks for (total, minutes, errors) over the filter's window."""
    window = variables.get("filter") or {}
    lo, hi = (
        _ts(window.get("datetime_geq", "1970-01-01T00:00:00Z")),
        _ts(window.get("datetime_lt", "2100-01-01T00:00:00Z")),
    )
    rows = [r for r in state.analytics if lo <= _ts(r["minute"]) < hi]
    total = sum(int(r["count"]) for r in rows)
    return {
        "total": [
            {
                "count": total,
                "avg": {"sampleInterval": state.sample_interval},
                "quantiles": {
                    "edgeTimeToFirstByteMsP95": state.edge_p95_ms if total else 0,
                    "originResponseDurationMsP95": state.origin_p95_ms if total else 0,
                },
            }
        ],
        "minutes": [
            {"count": r["count"], "dimensions": {"datetimeMinute": r["minute"]}} for r in rows
        ],
        "errors": [
            {"count": r["errors"], "dimensions": {"datetimeMinute": r["minute"]}}
            for r in rows
            if r.get("errors")
        ],
    }


def analytics_minutes(
    end: datetime, counts: list[int], errors: list[int] | None = None
) -> list[dict[str, Any]]:
    """One row a minute ending at `end` (exclusive), oldest first."""
    start = end - timedelta(minutes=len(counts))
    return [
        {
            "minute": (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:00Z"),
            "count": c,
            "errors": (errors or [0] * len(counts))[i],
        }
        for i, c in enumerate(counts)
    ]


@contextmanager
def cloudflare_api(state: CloudflareState) -> Iterator[str]:
    """Serve the stand-in Cloudflare API; yield its base URL (sources.cloudflare_api_url)."""
    with serve_http(CloudflareHandler, state) as url:
        yield url + "/client/v4"


def pages_domain(name: str, status: str = "active", validation: str = "active") -> dict[str, Any]:
    """One Pages custom domain, with the fields of cloudflare-typescript's DomainGetResponse."""
    return {
        "id": "7b6ff44a-2f0d-4c3c-8f3d-1a2b3c4d5e6f",
        "certificate_authority": "google",
        "created_on": "2026-11-01T09:00:00Z",
        "domain_id": "7b6ff44a-2f0d-4c3c-8f3d-1a2b3c4d5e6f",
        "name": name,
        "status": status,
        "validation_data": {"method": "http", "status": validation},
        "verification_data": {"status": "active" if status == "active" else "pending"},
        "zone_tag": "023e105f4ecef8ad9ca31a8372d0c353",
    }


def pages_deployment(dep_id: str, status: str, stage: str = "build") -> dict[str, Any]:
    """One Pages deployment, with the fields of cloudflare-typescript's Deployment that are read."""
    return {
        "id": dep_id,
        "short_id": dep_id[:8],
        "project_name": "dashtray",
        "environment": "production",
        "url": f"https://{dep_id[:8]}.dashtray.pages.dev",
        "created_on": "2026-11-27T14:32:00Z",
        "latest_stage": {"name": stage, "status": status, "started_on": "2026-11-27T14:32:16Z"},
        "deployment_trigger": {"type": "github:push", "metadata": {"branch": "main"}},
    }


def pages_log(text: str) -> list[dict[str, str]]:
    """A Pages build log as the history/logs API gives it, from a `ts<TAB>line` download."""
    out = []
    for raw in text.splitlines():
        ts, _, line = raw.partition("\t")
        out.append({"ts": ts, "line": line})
    return out
