"""Remote sinks: GitHub issue comments, Slack incoming webhooks, PagerDuty notes, JSON webhooks."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from diagnose import __version__
from diagnose.config import Config
from diagnose.errors import BadInput
from diagnose.redact import Redactor

if TYPE_CHECKING:
    import httpx

GITHUB_API_ENV = "DIAGNOSE_GITHUB_API"
PAGERDUTY_API_ENV = "DIAGNOSE_PAGERDUTY_API"
BACKOFF_ENV = "DIAGNOSE_SINK_BACKOFF"
GITHUB_API = "https://api.github.com"
PAGERDUTY_API = "https://api.pagerduty.com"

MAX_ATTEMPTS = 4  # per HTTP request: 1 try + 3 retries
SEND_BUDGET_S = 45.0  # one deadline for a whole send, retries and Retry-After waits included
REQUEST_TIMEOUT_S = 10.0
GITHUB_BODY_LIMIT = 65_536  # characters in an issue comment
PAGERDUTY_NOTE_LIMIT = 25_000  # characters in an incident note
SLACK_SECTION_LIMIT = 3_000  # characters in one section block's text
MAX_ANSWER_BYTES = 1 << 20  # a sink's answer is a small JSON document; an endless one is cut
GITHUB_COMMENT_PAGES = 20  # 100 comments a page: an issue with more than 2000 is not an incident

_GITHUB = re.compile(
    r"^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})#([1-9]\d{0,9})$"
)
_SLACK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_PAGERDUTY = re.compile(r"^[A-Z0-9]{2,32}$", re.I)


class SinkKind(StrEnum):
    """The remote places a diagnosis can be attached to."""

    GITHUB = "github"
    SLACK = "slack"
    PAGERDUTY = "pagerduty"
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class SinkSpec:
    """A parsed `scheme:rest` incident reference."""

    kind: SinkKind
    spec: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Payload:
    """What a sink sends: renderings that have already been through the redactor."""

    key: str
    incident: str
    headline: str
    markdown: str
    plain: str
    diagnosis_json: str


@dataclass(frozen=True)
class Sent:
    """A successful send: the remote object's id (comment id, note id) and attempts used."""

    remote_id: str | None
    attempts: int


class MaybeSent(Exception):
    """A request that may have arrived (a cut answer, a 500): never blindly sent again."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class SendError(Exception):
    """A send that failed after its retries; the attachment stays in the log as unsent, or as
    "may have arrived" when a request may have reached the receiver (`maybe`)."""

    def __init__(self, message: str, attempts: int, maybe: bool = False) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.maybe = maybe


def parse_sink(text: str) -> SinkSpec | None:
    """Parse `github:O/R#N`, `slack:NAME`, `pagerduty:ID`, `webhook:URL`; None for no scheme."""
    scheme, sep, rest = text.partition(":")
    if not sep:
        return None
    if scheme.lower() not in set(SinkKind):
        raise BadInput(
            f"--attach {text!r}: unknown sink {scheme!r} "
            "(use INC-N, github:OWNER/REPO#N, slack:NAME, pagerduty:INCIDENT_ID or webhook:URL)"
        )
    kind = SinkKind(scheme.lower())
    if kind is SinkKind.GITHUB:
        match = _GITHUB.match(rest)
        if not match:
            raise BadInput(f"--attach {text!r}: expected github:OWNER/REPO#NUMBER")
        return SinkSpec(kind, f"github:{rest}", match.groups())
    if kind is SinkKind.SLACK:
        if not _SLACK.match(rest):
            raise BadInput(f"--attach {text!r}: expected slack:NAME (letters, digits, - and _)")
        return SinkSpec(kind, f"slack:{rest}", (rest,))
    if kind is SinkKind.PAGERDUTY:
        if not _PAGERDUTY.match(rest):
            raise BadInput(f"--attach {text!r}: expected pagerduty:INCIDENT_ID, e.g. PT4KHLK")
        return SinkSpec(kind, f"pagerduty:{rest}", (rest,))
    return SinkSpec(kind, f"webhook:{rest}", (check_webhook_url(rest),))


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_webhook_url(template: str) -> str:
    """Return a webhook URL with each `${NAME}` replaced by that environment variable.

    The incident log keeps the template, never the value: a token lives in the environment.
    """

    def value(match: re.Match[str]) -> str:
        got = os.environ.get(match.group(1))
        if not got:
            raise BadInput(
                f"--attach webhook:{template[:200]!r}: ${{{match.group(1)}}} is not set in the "
                "environment"
            )
        return got

    return _PLACEHOLDER.sub(value, template)


def webhook_secrets(template: str) -> list[str]:
    """Return the values a webhook URL template takes from the environment."""
    return [v for name in _PLACEHOLDER.findall(template) if (v := os.environ.get(name))]


def check_webhook_url(url: str) -> str:
    """Validate a webhook sink URL fully before the run (a bad one would fail after it, leaving
    a pending delivery); refuse a credential written into it, which the incident log would keep
    in clear (deliveries.sink, the incident's title and reference): `${NAME}` takes it from the
    environment instead."""
    shown = Redactor().text(url)[:200]
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise BadInput(f"--attach webhook:{shown!r}: a control character or space in the URL")
    try:
        template = urlsplit(url)
        template.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise BadInput(f"--attach webhook:{shown!r}: not a URL: {exc}") from None
    if template.username is not None or template.password is not None or "@" in template.netloc:
        raise BadInput(
            f"--attach webhook:{shown!r}: credentials in the URL (user:password@) would be stored "
            "in the incident log in clear: give a URL without them"
        )
    written = _PLACEHOLDER.sub("", url)  # what is stored, less what the environment fills in
    if Redactor().text(written) != written:
        # Whatever the redactor would mask (?token=, a Slack hook's path...) is a secret.
        raise BadInput(
            f"--attach webhook:{shown!r}: a token in the URL would be stored in the incident log "
            "in clear: put it in an environment variable and write ${NAME} in its place, in "
            "single quotes (--attach 'webhook:https://hooks.example/in?token=${HOOK_TOKEN}')"
        )
    try:
        parts = urlsplit(expand_webhook_url(url))
        parts.port  # noqa: B018
    except ValueError as exc:
        raise BadInput(f"--attach webhook:{shown!r}: not a URL once expanded: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--attach webhook:{shown!r}: expected webhook:https://host/path")
    return url


def slack_env_name(name: str) -> str:
    """Return the env var that may hold the webhook URL of slack:NAME."""
    return "SLACK_WEBHOOK_URL_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def slack_url(name: str, config: Config) -> str:
    """Return slack:NAME's incoming webhook URL from the config or the environment."""
    sinks = config.get("incident", "sinks", {}) or {}
    url = os.environ.get(slack_env_name(name)) or sinks.get(name)
    if not isinstance(url, str) or not url:
        where = f"{config.path}" if config.path else "diagnose.toml"
        raise BadInput(
            f'slack:{name}: no incoming webhook URL: set [incident.sinks] {name} = "https://hooks.slack.com/..." '
            f"in {where} or {slack_env_name(name)}"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"slack:{name}: the webhook URL is not an http(s) URL")
    return url


def check_sink(spec: SinkSpec, config: Config) -> None:
    """Refuse a sink whose name resolves to nothing (credentials are checked when sending)."""
    if spec.kind is SinkKind.SLACK:
        slack_url(spec.parts[0], config)


def sink_secrets(spec: SinkSpec, config: Config) -> list[str]:
    """Return the secret values this sink uses, so that no error message can show them."""
    values = [os.environ.get(n, "") for n in ("GITHUB_TOKEN", "PAGERDUTY_TOKEN")]
    if spec.kind is SinkKind.WEBHOOK:
        values += webhook_secrets(spec.parts[0])
    if spec.kind is SinkKind.SLACK:
        try:
            values.append(slack_url(spec.parts[0], config))
        except BadInput:
            pass
    return [v for v in values if v]


class _Http:
    """HTTP with retries on 429/5xx/network errors, honouring Retry-After, under one deadline."""

    def __init__(self, redactor: Redactor, budget_s: float = SEND_BUDGET_S) -> None:
        import httpx

        self._httpx = httpx
        self._redactor = redactor
        self._deadline = time.monotonic() + budget_s
        self._backoff = float(os.environ.get(BACKOFF_ENV) or 0.5)
        self.attempts = 0
        self.client = httpx.Client(
            headers={"User-Agent": f"diagnose/{__version__}"}, follow_redirects=False
        )

    def close(self) -> None:
        self.client.close()

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        secret_path: bool = False,
    ) -> httpx.Response:
        """Send one request, retrying what is worth retrying; raise SendError otherwise.

        A POST or PATCH is retried only when it is known not to have arrived (no connection,
        429, 503), or when it carries an Idempotency-Key the receiver deduplicates on; else
        MaybeSent is raised, for the sink to check (GitHub: look for its marker) or to report.
        """
        content = None
        send_headers = dict(headers or {})
        idempotent = method in ("GET", "HEAD", "PUT", "DELETE") or any(
            k.lower() == "idempotency-key" for k in send_headers
        )
        if body is not None:
            # The last line of defence: the body is masked as a whole, whatever built it.
            content = self._redactor.json(body).encode("utf-8")
            send_headers.setdefault("Content-Type", "application/json")
        where = f"{method} {_show_url(url, secret_path)}"
        problem = ""
        # A request that changes something and may have reached the receiver on some attempt:
        # if it ends in failure, that failure is "may have arrived", never "unsent".
        maybe = False
        changes = method not in ("GET", "HEAD")
        for attempt in range(MAX_ATTEMPTS):
            remaining = self._remaining()
            if remaining <= 0:
                break
            self.attempts += 1
            wait = self._backoff * 2**attempt * (1 + random.random() / 4)
            try:
                response = self._send(method, url, send_headers, content, params, remaining)
            except self._httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                # Only a request that never reached the server is known not to have arrived.
                arrived = not isinstance(exc, self._httpx.ConnectError | self._httpx.ConnectTimeout)
                maybe = maybe or (arrived and changes)
                if arrived and not idempotent:
                    raise MaybeSent(self._clean(f"{where}: {problem}")) from None
            else:
                code = response.status_code
                if code < 300:
                    return response
                problem = f"HTTP {code} {_excerpt(response.text)}".rstrip()
                if code != 429 and code < 500:
                    raise SendError(self._clean(f"{where}: {problem}"), self.attempts, maybe)
                # 429 and 503 refuse the request; another 5xx may come after it was processed.
                maybe = maybe or (code not in (429, 503) and changes)
                if code not in (429, 503) and not idempotent:
                    raise MaybeSent(self._clean(f"{where}: {problem}"))
                wait = _retry_after(response) or wait
            if attempt + 1 < MAX_ATTEMPTS:
                if wait > self._remaining():
                    problem += (
                        f" (retry in {wait:.0f} s would pass the {SEND_BUDGET_S:.0f} s budget)"
                    )
                    break
                time.sleep(wait)
        tries = f"after {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        raise SendError(
            self._clean(f"{where}: {problem or 'out of time'} {tries}"), self.attempts, maybe
        )

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        params: Mapping[str, str] | None,
        remaining: float,
    ) -> httpx.Response:
        """One request whose answer is read up to MAX_ANSWER_BYTES, within the time left."""
        httpx = self._httpx
        request = self.client.build_request(
            method,
            url,
            headers=headers,
            content=content,
            params=params,
            timeout=httpx.Timeout(min(REQUEST_TIMEOUT_S, remaining)),
        )
        response = self.client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_ANSWER_BYTES or self._remaining() <= 0:
                    break  # an endless or trickling answer: what came is enough to judge it
        finally:
            response.close()
        headers_in = {k: v for k, v in response.headers.items() if k.lower() != "content-encoding"}
        headers_in.pop("content-length", None)
        return httpx.Response(
            response.status_code,
            headers=headers_in,
            content=b"".join(chunks)[:MAX_ANSWER_BYTES],
            request=request,
        )

    def _clean(self, text: str) -> str:
        return self._redactor.text(text)


def _show_url(url: str, secret_path: bool) -> str:
    """Return a URL fit for a message: no credentials, no query, no path if the path is a key."""
    parts = urlsplit(url)
    path = "/…" if secret_path and parts.path not in ("", "/") else parts.path
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{path}"


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _retry_after(response: httpx.Response) -> float | None:
    """Return the wait Retry-After asks for (seconds or an HTTP date), if any."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def marker(key: str) -> str:
    """Return the hidden marker that identifies diagnose's own comment for one key."""
    return f"<!-- diagnose:attachment:{key} -->"


def github_body(payload: Payload) -> str:
    """Return the comment: marker, Markdown, the JSON folded away; within GitHub's limit."""
    head = marker(payload.key) + "\n" + payload.markdown.rstrip() + "\n\n"
    foot = (
        f"<sub>Attached by diagnose {__version__} (incident log {payload.incident}); "
        "attaching the same check again updates this comment.</sub>\n"
    )
    details = (
        "<details><summary>Diagnosis JSON (facts included)</summary>\n\n```json\n"
        + payload.diagnosis_json.rstrip()
        + "\n```\n\n</details>\n\n"
    )
    if len(head) + len(details) + len(foot) <= GITHUB_BODY_LIMIT:
        return head + details + foot
    details = (
        f"_The diagnosis JSON ({len(payload.diagnosis_json)} characters) is too long for a "
        f"comment: `diagnose incident show {payload.incident} --format json` has it._\n\n"
    )
    room = GITHUB_BODY_LIMIT - len(details) - len(foot) - 40
    if len(head) > room:
        head = head[:room] + "\n\n_(truncated)_\n\n"
    return head + details + foot


def _send_github(http: _Http, spec: SinkSpec, payload: Payload) -> Sent:
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise SendError("GITHUB_TOKEN is not set", 0)
    owner, repo, number = spec.parts
    api = (os.environ.get(GITHUB_API_ENV) or GITHUB_API).rstrip("/")
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    body = {"body": github_body(payload)}
    mark = marker(payload.key)
    url: str | None = f"{api}/repos/{owner}/{repo}/issues/{number}/comments"
    params: dict[str, str] | None = {"per_page": "100"}
    for _ in range(GITHUB_COMMENT_PAGES):
        if url is None:
            break
        response = http.request("GET", url, headers=headers, params=params)
        comments = response.json()
        if not isinstance(comments, list):
            raise SendError("GitHub did not answer a list of comments", http.attempts)
        for comment in comments:
            if isinstance(comment, dict) and mark in str(comment.get("body") or ""):
                patched = http.request(
                    "PATCH",
                    f"{api}/repos/{owner}/{repo}/issues/comments/{comment['id']}",
                    headers=headers,
                    body=body,
                )
                return Sent(str(patched.json().get("id", comment["id"])), http.attempts)
        url = response.links.get("next", {}).get("url")
        if url is not None and urlsplit(url).netloc != urlsplit(api).netloc:
            # The token goes to its own API host only: a next link elsewhere is not followed.
            raise SendError(
                f"GitHub's next page points to another host: {urlsplit(url).netloc}", http.attempts
            )
        params = None  # the next link carries its own query
    comments_url = f"{api}/repos/{owner}/{repo}/issues/{number}/comments"
    try:
        created = http.request("POST", comments_url, headers=headers, body=body)
    except MaybeSent as exc:
        # It may have been posted: look for the marker before anyone posts it again.
        try:
            again = http.request("GET", comments_url, headers=headers, params={"per_page": "100"})
        except SendError as looked:
            raise SendError(
                f"{exc.problem}; looking for its marker failed: {looked}", http.attempts, True
            ) from None
        for comment in again.json() if isinstance(again.json(), list) else []:
            if isinstance(comment, dict) and mark in str(comment.get("body") or ""):
                return Sent(str(comment.get("id")), http.attempts)
        raise SendError(
            f"{exc.problem} (not posted: no comment with its marker)", http.attempts
        ) from None
    return Sent(str(created.json().get("id", "")) or None, http.attempts)


def _send_slack(http: _Http, spec: SinkSpec, payload: Payload, config: Config) -> Sent:
    url = slack_url(spec.parts[0], config)
    fence = "```"
    room = SLACK_SECTION_LIMIT - 2 * len(fence) - 20
    plain = payload.plain if len(payload.plain) <= room else payload.plain[:room] + "\n…"
    body = {
        "text": payload.headline,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": payload.headline[:3000]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{fence}{plain}{fence}"}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"diagnose {__version__}, incident log {payload.incident}",
                    }
                ],
            },
        ],
    }
    response = http.request("POST", url, body=body, secret_path=True)
    # Incoming webhooks answer 200 with the plain text "ok"; anything else is an error string.
    if response.text.strip() != "ok":
        raise SendError(f"Slack answered {_excerpt(response.text)!r}", http.attempts)
    return Sent(None, http.attempts)


def _send_pagerduty(http: _Http, spec: SinkSpec, payload: Payload) -> Sent:
    token = os.environ.get("PAGERDUTY_TOKEN")
    sender = os.environ.get("PAGERDUTY_FROM")
    if not token or not sender:
        missing = " and ".join(
            n for n, v in (("PAGERDUTY_TOKEN", token), ("PAGERDUTY_FROM", sender)) if not v
        )
        raise SendError(f"{missing} not set (the From header needs a user's email)", 0)
    api = (os.environ.get(PAGERDUTY_API_ENV) or PAGERDUTY_API).rstrip("/")
    content = payload.plain
    if len(content) > PAGERDUTY_NOTE_LIMIT:
        content = content[: PAGERDUTY_NOTE_LIMIT - 40] + "\n… (truncated; see the incident log)"
    response = http.request(
        "POST",
        f"{api}/incidents/{spec.parts[0]}/notes",
        headers={
            "Authorization": f"Token token={token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
            "From": sender,
        },
        body={"note": {"content": content}},
    )
    note = response.json().get("note") if response.content else None
    return Sent(str(note.get("id")) if isinstance(note, dict) else None, http.attempts)


def _send_webhook(http: _Http, spec: SinkSpec, payload: Payload) -> Sent:
    body = {
        "schema": "diagnose/attachment@1",
        "incident": payload.incident,
        "key": payload.key,
        "headline": payload.headline,
        "markdown": payload.markdown,
        "diagnosis": json.loads(payload.diagnosis_json),
    }
    # The receiver deduplicates on it, so a retry after a cut answer is one delivery, not two.
    key = hashlib.sha256(f"{payload.key}\0{payload.diagnosis_json}".encode()).hexdigest()[:32]
    url = expand_webhook_url(spec.parts[0])  # the log holds ${NAME}; the value is sent only
    http.request("POST", url, headers={"Idempotency-Key": key}, body=body, secret_path=True)
    return Sent(None, http.attempts)


def send(spec: SinkSpec, payload: Payload, config: Config, redactor: Redactor) -> Sent:
    """Send a payload to its sink; raise SendError (with attempts used) when it cannot."""
    redactor = redactor.with_secrets(sink_secrets(spec, config))
    http = _Http(redactor)
    try:
        if spec.kind is SinkKind.GITHUB:
            return _send_github(http, spec, payload)
        if spec.kind is SinkKind.SLACK:
            return _send_slack(http, spec, payload, config)
        if spec.kind is SinkKind.PAGERDUTY:
            return _send_pagerduty(http, spec, payload)
        return _send_webhook(http, spec, payload)
    except MaybeSent as exc:
        message = f"{exc.problem}: it may have arrived, so it was not sent again"
        raise SendError(redactor.text(message), http.attempts, maybe=True) from None
    except (ValueError, KeyError, BadInput) as exc:
        # A reply that is not the JSON the API documents, or a sink whose config went away.
        raise SendError(redactor.text(f"{type(exc).__name__}: {exc}"), http.attempts) from None
    finally:
        http.close()
