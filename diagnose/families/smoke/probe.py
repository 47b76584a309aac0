"""The runbook's smoke tests over HTTP: homepage, sign-in, Convex health (httpx)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin

from diagnose.probe import FactSink, ProbeContext, Unfinished, run_bounded

if TYPE_CHECKING:
    import httpx

CHECKS = ("homepage", "auth", "health")
FIELDS = (
    "checked",
    "outcome",
    "url",
    "method",
    "status",
    "error",
    "error_kind",
    "elapsed_ms",
    "server",
    "cloudflare",
    "cf_ray",
    "cf_error_code",
    "content_type",
    "redirects",
    "redirect_loop",
    "location",
    "body_excerpt",
)
MAX_REDIRECTS = 10
MAX_BODY = 64 * 1024  # enough for any error page; a 1 GB body is never read whole
# The runbook's exact sign-in smoke test body.
SIGNIN_BODY = {"email": "test@example.com", "password": "testpass"}
USER_AGENT = "diagnose-smoke/1"
_CF_CODE = re.compile(r"(?:Error|error code:?)\s*(1\d{3})\b")
_TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.S | re.I)


@dataclass(frozen=True)
class _Check:
    name: str
    method: str
    url: str
    json: Mapping[str, str] | None = None


class SmokeProbe:
    """Run the three smoke requests concurrently and record what each answered."""

    name: ClassVar[str] = "smoke"
    provides: ClassVar[frozenset[str]] = frozenset(
        {f"smoke.{c}.{f}" for c in CHECKS for f in FIELDS} | {"smoke.url", "smoke.convex_url"}
    )

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Send the smoke requests; every outcome, failure included, is a fact."""
        import httpx

        url = str(ctx.options["url"])
        convex_url = ctx.options.get("convex_url")
        sink.put("smoke.url", url)
        sink.put("smoke.convex_url", convex_url)
        checks = [
            _Check("homepage", "GET", url),
            _Check("auth", "POST", urljoin(url.rstrip("/") + "/", "api/auth/signin"), SIGNIN_BODY),
        ]
        if convex_url:
            checks.append(
                _Check("health", "GET", urljoin(str(convex_url).rstrip("/") + "/", "api/health"))
            )
        else:
            sink.put("smoke.health.checked", False)
        cap = float(ctx.options["request_timeout"])
        verify: Any = ctx.options.get("ca_file") or True
        budget = ctx.remaining(cap)
        client = httpx.Client(verify=verify, headers={"user-agent": USER_AGENT})
        try:
            # Socket timeouts bound each read, not the whole answer: a peer that trickles a
            # byte a second never trips them. The whole request is bounded here instead.
            calls: dict[str, Callable[[], dict[str, Any]]] = {
                c.name: partial(_send, client, c, budget) for c in checks
            }
            results = run_bounded(calls, budget + 0.05)
        finally:
            client.close()
        for check in checks:
            facts = results[check.name]
            if isinstance(facts, Unfinished):
                facts = _unfinished(check, budget)
            sink.update({f"smoke.{check.name}.{k}": v for k, v in facts.items()})


def _send(client: httpx.Client, check: _Check, timeout: float) -> dict[str, Any]:
    """Send one request, following redirects by hand to record them and catch a loop."""
    import httpx

    facts: dict[str, Any] = {
        "checked": True,
        "url": check.url,
        "method": check.method,
        "status": None,
        "error": None,
        "error_kind": None,
        "redirects": [],
        "redirect_loop": False,
        "cloudflare": False,
    }
    t0 = time.monotonic()
    seen = [check.url]
    request = client.build_request(
        check.method, check.url, json=check.json, timeout=httpx.Timeout(timeout)
    )
    try:
        while True:
            response = client.send(request, stream=True)
            try:
                body = _read_capped(response)
            finally:
                response.close()
            facts.update(_describe(response, body))
            nxt = response.next_request
            if nxt is None:
                break
            target = str(nxt.url)
            facts["redirects"] = [*facts["redirects"], target]
            if target in seen or len(seen) > MAX_REDIRECTS:
                facts["redirect_loop"] = True
                facts["error"] = f"redirect loop: {' -> '.join([*seen, target][-4:])}"
                facts["error_kind"] = "redirect-loop"
                break
            seen.append(target)
            request = nxt
    except httpx.TimeoutException as exc:
        facts["error_kind"] = "timeout"
        facts["error"] = f"{type(exc).__name__}: no answer within {timeout:.1f} s"
    except httpx.ConnectError as exc:
        facts["error_kind"] = "tls" if "SSL" in str(exc) or "certificate" in str(exc) else "connect"
        facts["error"] = f"{type(exc).__name__}: {exc}"
    except httpx.HTTPError as exc:
        facts["error_kind"] = "protocol"
        facts["error"] = f"{type(exc).__name__}: {exc}"
    facts["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)
    # One readable phrase for messages: the status, or what went wrong instead.
    facts["outcome"] = facts["error"] or f"answered {facts['status']}"
    return facts


def _unfinished(check: _Check, budget: float) -> dict[str, Any]:
    error = f"no complete answer within {budget:.1f} s (the peer accepted but sends too slowly)"
    return {
        "checked": True,
        "url": check.url,
        "method": check.method,
        "status": None,
        "error": error,
        "error_kind": "timeout",
        "outcome": error,
        "elapsed_ms": round(budget * 1000, 1),
        "redirects": [],
        "redirect_loop": False,
        "cloudflare": False,
    }


def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY:
            break
    return b"".join(chunks)[:MAX_BODY]


def _describe(response: httpx.Response, body: bytes) -> dict[str, Any]:
    headers = response.headers
    server = headers.get("server")
    text = body.decode("utf-8", "replace")
    code = _CF_CODE.search(text)
    excerpt = " ".join(_TAGS.sub(" ", text).split())[:300]
    return {
        "status": response.status_code,
        "server": server,
        "cf_ray": headers.get("cf-ray"),
        "cloudflare": (server or "").lower() == "cloudflare" or "cf-ray" in headers,
        "cf_error_code": int(code.group(1)) if code else None,
        "content_type": headers.get("content-type"),
        "location": headers.get("location"),
        "body_excerpt": excerpt or None,
    }
