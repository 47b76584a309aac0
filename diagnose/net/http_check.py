"""One bounded HTTP check (httpx): redirects followed by hand, the body capped, every outcome a fact.

Smoke, the https probe and the webhook endpoint check send their requests through it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

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
    "redirect_offsite",
    "redirect_allowed",
    "location",
    "body_excerpt",
)


MAX_REDIRECTS = 10


MAX_BODY = 64 * 1024  # enough for any error page; a 1 GB body is never read whole


USER_AGENT = "diagnose-smoke/1"


_CF_CODE = re.compile(r"(?:Error|error code:?)\s*(1\d{3})\b")


_TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.S | re.I)


@dataclass(frozen=True)
class Check:
    """One request to send: a name for its facts, the method, the URL, an optional JSON body."""

    name: str
    method: str
    url: str
    json: Mapping[str, str] | None = None


def send(
    client: httpx.Client, check: Check, timeout: float, allow: Sequence[str] = ()
) -> dict[str, Any]:
    """Send one request, following redirects by hand to record them and catch a loop.

    A redirect off the target's site is followed only to a host in `allow` (the user's
    --allow-redirect), and then recorded in `redirect_allowed`; any other is recorded, not fetched.
    """
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
        "redirect_offsite": None,
        "redirect_allowed": [],
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
            if not same_site(check.url, target):
                if (nxt.url.host or "").lower().rstrip(".") not in allow:
                    # Recorded, never fetched: a redirect to another host (a metadata service,
                    # an internal address) must not put its answer into the facts and the sinks.
                    facts["redirect_offsite"] = target
                    break
                facts["redirect_allowed"] = [*facts["redirect_allowed"], target]
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


def same_site(url: str, target: str) -> bool:
    """Is target on url's host, or on its parent or a subdomain (dashtray.com, www.dashtray.com)?"""
    from urllib.parse import urlsplit

    a = (urlsplit(url).hostname or "").lower().rstrip(".")
    b = (urlsplit(target).hostname or "").lower().rstrip(".")
    if not a or not b:
        return False
    if a == b:
        return True
    if a.replace(".", "").isdigit() or b.replace(".", "").isdigit() or ":" in a + b:
        return False  # an address is its own site only
    return b.endswith("." + a) or a.endswith("." + b)


def unfinished(check: Check, budget: float) -> dict[str, Any]:
    """Return the facts of a request that did not finish within its budget (a trickling peer)."""
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
        "redirect_offsite": None,
        "redirect_allowed": [],
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
