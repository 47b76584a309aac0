"""One HTTP GET for every API source: its own host only, under the deadline, capped, classified.

The token goes in the header the vendor documents and only to the host of the API's base URL:
a pagination link or redirect to any other host is refused, never followed with the token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from diagnose.sources.base import FailureKind, SourceFailure

USER_AGENT = "diagnose (incident diagnostics; https://github.com/dashtray/diagnose)"


@dataclass(frozen=True)
class Api:
    """One vendor API: its base URL, the auth header, and the fixes for its failures."""

    source: str  # "dodopayments", "github", "cloudflare"
    base_url: str
    headers: Mapping[str, str]  # the auth header(s); never printed
    fixes: Mapping[FailureKind, str]  # the vendor's own fix for each kind of failure
    max_bytes: int
    deadline: float  # time.monotonic() by which every request must be done
    request_timeout: float = 10.0

    @property
    def host(self) -> str:
        """The one host the token may go to."""
        return urlsplit(self.base_url).netloc

    def fail(self, kind: FailureKind, what: str) -> SourceFailure:
        """A failure of this API with its fix."""
        return SourceFailure(self.source, kind, what, self.fixes.get(kind, GENERIC_FIX[kind]))


GENERIC_FIX: dict[FailureKind, str] = {
    FailureKind.AUTH: "check the token's value (expired or revoked?)",
    FailureKind.FORBIDDEN: "give the token the read permission this call needs",
    FailureKind.RATE_LIMITED: "wait for the rate limit to reset, then run again",
    FailureKind.TIMEOUT: "run again with a longer --timeout",
    FailureKind.UNREACHABLE: "check the network path to the API (proxy, DNS, firewall)",
    FailureKind.MISSING_TOOL: "install the tool",
    FailureKind.NOT_LOGGED_IN: "log the tool in",
    FailureKind.BAD_ANSWER: "run again; if it persists, the API changed: report it",
    FailureKind.NOT_FOUND: "check the account, project or zone named in diagnose.toml",
}


def url_for(api: Api, path_or_url: str) -> str:
    """An absolute URL on the API's host; a URL on any other host is refused."""
    if "://" not in path_or_url:
        return api.base_url.rstrip("/") + "/" + path_or_url.lstrip("/")
    if urlsplit(path_or_url).netloc != api.host:
        raise api.fail(
            FailureKind.BAD_ANSWER,
            f"the API pointed at another host ({urlsplit(path_or_url).netloc}); not followed",
        )
    return path_or_url


@dataclass(frozen=True)
class Answer:
    """One response: status, headers and the JSON body."""

    status: int
    headers: Mapping[str, str]
    body: Any
    url: str


def get_json(
    api: Api, path_or_url: str, params: Mapping[str, Any] | None = None, *, accept_404: bool = False
) -> Answer:
    """GET one JSON document, within the deadline and the size cap; raise SourceFailure."""
    return _decoded(api, get_bytes(api, path_or_url, params, accept_404=accept_404))


def post_json(api: Api, path: str, document: Any) -> Answer:
    """POST a JSON document (a GraphQL query) and read the JSON answer, like get_json."""
    return _decoded(api, get_bytes(api, path, method="POST", content=json.dumps(document).encode()))


def _decoded(api: Api, answer: Answer) -> Answer:
    """The answer with its body parsed as JSON; a body that is not JSON is a bad answer."""
    try:
        body = json.loads(answer.body) if answer.body else None
    except ValueError:
        raise api.fail(
            FailureKind.BAD_ANSWER, f"{_path(answer.url)} answered {answer.status} with no JSON"
        ) from None
    return Answer(answer.status, answer.headers, body, answer.url)


def get_bytes(
    api: Api,
    path_or_url: str,
    params: Mapping[str, Any] | None = None,
    *,
    accept_404: bool = False,
    method: str = "GET",
    content: bytes | None = None,
) -> Answer:
    """GET (or send content with method) and read raw bytes within the deadline and the size cap;
    raise SourceFailure."""
    import httpx

    url = url_for(api, path_or_url)
    left = api.deadline - time.monotonic()
    if left <= 0.05:
        raise api.fail(FailureKind.TIMEOUT, f"no time left for {_path(url)}")
    bound = min(left, api.request_timeout)
    timeout = httpx.Timeout(bound, connect=min(bound, 5.0))
    headers = {"user-agent": USER_AGENT, "accept": "application/json", **api.headers}
    if content is not None:
        headers["content-type"] = "application/json"
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream(
                method, url, params=dict(params or {}), headers=headers, content=content
            ) as resp,
        ):
            if resp.is_redirect:
                location = resp.headers.get("location", "")
                # A redirect on the same host is followed once (GitHub sends job logs this way
                # to another host: those are fetched without the token, by the caller).
                return Answer(resp.status_code, dict(resp.headers), b"", location)
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > api.max_bytes:
                    raise api.fail(
                        FailureKind.BAD_ANSWER,
                        f"{_path(url)} sent more than {api.max_bytes} bytes (sources.max_bytes); not read",
                    )
                if time.monotonic() > api.deadline:
                    raise api.fail(FailureKind.TIMEOUT, f"{_path(url)} did not finish in time")
                chunks.append(chunk)
            body = b"".join(chunks)
            status = resp.status_code
            resp_headers = {k.lower(): v for k, v in resp.headers.items()}
    except httpx.TimeoutException:
        raise api.fail(
            FailureKind.TIMEOUT, f"{_path(url)} did not answer within {bound:.1f} s"
        ) from None
    except httpx.HTTPError as exc:
        raise api.fail(
            FailureKind.UNREACHABLE, f"{api.host}: {type(exc).__name__}: {_first_line(exc)}"
        ) from None
    if status >= 400 and not (status == 404 and accept_404):
        raise classify(api, status, resp_headers, body, url)
    return Answer(status, resp_headers, body, url)


def classify(
    api: Api, status: int, headers: Mapping[str, str], body: bytes, url: str
) -> SourceFailure:
    """Turn an error answer into a SourceFailure with the vendor's fix."""
    said = _said(body)
    where = f"{_path(url)} answered {status}" + (f" ({said})" if said else "")
    limited = status == 429 or (
        status == 403 and headers.get("x-ratelimit-remaining") == "0"
    )  # GitHub signals its primary rate limit with 403 and a zero remaining count
    if limited:
        wait = headers.get("retry-after") or headers.get("x-ratelimit-reset")
        return api.fail(FailureKind.RATE_LIMITED, where + (f"; retry after {wait}" if wait else ""))
    kind = {401: FailureKind.AUTH, 403: FailureKind.FORBIDDEN, 404: FailureKind.NOT_FOUND}.get(
        status, FailureKind.BAD_ANSWER
    )
    return api.fail(kind, where)


def paginate(
    api: Api,
    path: str,
    params: Mapping[str, Any],
    items: Callable[[Any], list[Any]],
    next_params: Callable[[Answer, list[Any], int], Mapping[str, Any] | str | None],
    max_pages: int,
) -> tuple[list[Any], bool]:
    """Follow a listing page by page on the API's own host; return (items, stopped at a cap)."""
    out: list[Any] = []
    target: str = path
    query: Mapping[str, Any] | None = params
    for page in range(max_pages):
        answer = get_json(api, target, query)
        got = items(answer.body)
        out.extend(got)
        following = next_params(answer, got, page)
        if following is None:
            return out, False
        if isinstance(following, str):  # a next-page URL (GitHub's Link header): same host only
            target, query = url_for(api, following), None
        else:
            query = {**params, **following}
        if time.monotonic() > api.deadline:
            return out, True
    return out, True


def _said(body: bytes) -> str:
    """The error message an API put in its body (JSON message fields, or the first text line)."""
    try:
        data = json.loads(body)
    except ValueError:
        return _first_line(body.decode("utf-8", "replace"))[:160]
    if isinstance(data, dict):
        if isinstance(data.get("message"), str):
            return data["message"][:160]
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return f"{first.get('code', '')} {first.get('message', '')}".strip()[:160]
        for key in ("error", "code"):
            if isinstance(data.get(key), str):
                return data[key][:160]
    return ""


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path or "/"


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else ""
