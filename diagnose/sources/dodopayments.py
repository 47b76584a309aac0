"""DodoPayments, the sender's side of every delivery: webhook endpoints and webhook events.

httpx, not the `dodopayments` SDK: `GET /webhook_events` is in the API reference ("Get webhook
events") but the SDKs dropped it at OpenAPI 1.44.0 (dodopayments-python 19eb3c2), and one GET
with a capped body, the run's deadline and no retries of its own is all this needs. Auth is
`Authorization: Bearer $DODO_PAYMENTS_API_KEY`, sent to the configured base URL's host only.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from diagnose.coverage import Checked, fact_name
from diagnose.probe import FactSink, ProbeContext
from diagnose.sources.base import FailureKind, Fetched
from diagnose.sources.http import Answer, Api, paginate
from diagnose.timeparse import iso

SOURCE = "dodopayments"
PAGE_SIZE = 100  # the API's maximum
DEFAULT_LOOKBACK = timedelta(hours=24)  # the window when the run gives no --since
MAX_EXAMPLES = 5
FIXES = {
    FailureKind.AUTH: "set DODO_PAYMENTS_API_KEY to a live API key (Dodo dashboard > Developer > "
    "API Keys); a test-mode key needs sources.dodo_base_url = https://test.dodopayments.com",
    FailureKind.FORBIDDEN: "use an API key of the business that owns the webhook (Dodo dashboard "
    "> Developer > API Keys)",
    FailureKind.NOT_FOUND: "this account's API has no such listing: check sources.dodo_base_url",
}
_STATUS = re.compile(r"\b([1-5]\d\d)\b")
_TIMEOUT = re.compile(r"(?i)time[d ]?\s?out|timeout")
FACTS = (
    "origin",
    "window_since",
    "window_until",
    "endpoint_count",
    "endpoints",
    "enabled_count",
    "disabled_ours",
    "disabled_urls",
    "expected_site",
    "wrong_url_count",
    "wrong_urls",
    "first_disabled_id",
    "first_wrong_id",
    "events",
    "failed_events",
    "rejected",
    "server_errors",
    "timeouts",
    "unparsed_responses",
    "status_counts",
    "status_summary",
    "first_failure_at",
    "failure_examples",
    "fetched",
)


def api(ctx: ProbeContext) -> Api:
    """The DodoPayments API as the plan configured it (the key read from its env var here)."""
    key = os.environ.get(str(ctx.options["dodo_key_env"])) or ""
    return Api(
        source=SOURCE,
        base_url=str(ctx.options["dodo_base_url"]),
        headers={"authorization": f"Bearer {key}"},
        fixes=FIXES,
        max_bytes=int(ctx.options["sources_max_bytes"]),
        deadline=time.monotonic() + ctx.remaining(),
        request_timeout=float(ctx.options["request_timeout"]),
    )


def endpoints(client: Api, max_pages: int) -> tuple[list[dict[str, Any]], bool]:
    """GET /webhooks, every cursor page (`iterator` until `done`)."""

    def following(answer: Answer, got: list[Any], _page: int) -> Mapping[str, Any] | None:
        body = answer.body if isinstance(answer.body, dict) else {}
        if body.get("done") or not body.get("iterator") or not got:
            return None
        return {"iterator": body["iterator"]}

    items, cut = paginate(
        client, "/webhooks", {"limit": PAGE_SIZE}, lambda b: _list(b, "data"), following, max_pages
    )
    return [e for e in items if isinstance(e, dict)], cut


def events(
    client: Api, since: datetime, until: datetime, max_pages: int
) -> tuple[list[dict[str, Any]], bool]:
    """GET /webhook_events in the window, page by page from 0 until a short page."""
    params = {
        "created_at_gte": iso(since),
        "created_at_lte": iso(until),
        "page_size": PAGE_SIZE,
        "page_number": 0,
    }

    def following(_answer: Answer, got: list[Any], page: int) -> Mapping[str, Any] | None:
        return {"page_number": page + 1} if len(got) >= PAGE_SIZE else None

    items, cut = paginate(
        client, "/webhook_events", params, lambda b: _list(b, "items"), following, max_pages
    )
    return [e for e in items if isinstance(e, dict)], cut


def attempt_status(response: object) -> int | str | None:
    """The HTTP status of an event's latest attempt, "timeout", or None when unreadable.

    The reference documents `response` only as a string. Read here: a JSON object with a
    status (`status`, `status_code`, `statusCode`), or text naming a status code or a timeout.
    """
    if response is None or response == "":
        return "timeout"  # attempted, and nothing came back
    text = str(response)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("status", "status_code", "statusCode", "code"):
            value = data.get(key)
            if isinstance(value, int) and 100 <= value <= 599:
                return value
        text = json.dumps(data)
    if _TIMEOUT.search(text):
        return "timeout"
    if m := _STATUS.search(text):
        return int(m.group(1))
    return None


def judge_endpoints(
    found: list[dict[str, Any]], expected_site: str | None, webhook_url: str | None
) -> dict[str, Any]:
    """Endpoint facts: which are disabled, which do not point at the deployment's HTTP route."""
    ours = {_origin(u) for u in (expected_site, webhook_url) if u}

    def is_ours(url: str) -> bool:
        return _origin(url) in ours if ours else True

    enabled = [e for e in found if not e.get("disabled")]
    disabled = [e for e in found if e.get("disabled")]
    disabled_ours = [e for e in disabled if is_ours(str(e.get("url", "")))]
    if not ours and enabled:
        disabled_ours = []  # without a known site, a disabled spare beside a live one is fine
    wrong = [
        (str(e.get("id")), str(e.get("url", "")))
        for e in enabled
        if _wrong_url(str(e.get("url", "")), ours)
    ]
    return {
        "endpoint_count": len(found),
        "endpoints": [
            f"{e.get('url', '?')}{' (disabled)' if e.get('disabled') else ''}" for e in found
        ][:20],
        "enabled_count": len(enabled),
        "disabled_ours": len(disabled_ours),
        "disabled_urls": [str(e.get("url", "")) for e in disabled_ours][:MAX_EXAMPLES],
        "expected_site": sorted(ours)[0] if ours else None,
        # When every enabled endpoint is wrong, none can reach the deployment.
        "wrong_url_count": len(wrong) if len(wrong) == len(enabled) else 0,
        "wrong_urls": [u for _, u in wrong][:MAX_EXAMPLES],
        "first_disabled_id": str(disabled_ours[0].get("id")) if disabled_ours else None,
        "first_wrong_id": wrong[0][0] if wrong else None,
    }


def _wrong_url(url: str, ours: set[str]) -> bool:
    """Not the deployment's HTTP actions: another origin, or the .convex.cloud API host."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(".convex.cloud"):
        return True  # HTTP actions are served on <deployment>.convex.site, never .convex.cloud
    return bool(ours) and _origin(url) not in ours


def judge_events(found: list[dict[str, Any]]) -> dict[str, Any]:
    """Event facts from each event's latest attempt: rejections, server errors, timeouts."""
    statuses: Counter[str] = Counter()
    failed: list[tuple[str, str, str]] = []
    unparsed = 0
    for e in found:
        status = attempt_status(e.get("response"))
        if status is None:
            unparsed += 1
            continue
        statuses[str(status)] += 1
        if status == "timeout" or (isinstance(status, int) and status >= 300):
            at = str(e.get("latest_attempted_at") or e.get("created_at") or "")
            failed.append((at, str(e.get("event_id", "?")), str(status)))
    failed.sort()
    bad = {k: v for k, v in statuses.items() if k == "timeout" or int(k) >= 300}
    return {
        "events": len(found),
        "failed_events": len(failed),
        "rejected": sum(v for k, v in bad.items() if k != "timeout" and int(k) < 500),
        "server_errors": sum(v for k, v in bad.items() if k != "timeout" and int(k) >= 500),
        "timeouts": bad.get("timeout", 0),
        "unparsed_responses": unparsed,
        "status_counts": dict(sorted(statuses.items())),
        "status_summary": ", ".join(
            f"{k} for {v} event{'s' if v != 1 else ''}" for k, v in sorted(bad.items())
        )
        or None,
        "first_failure_at": failed[0][0] if failed else None,
        "failure_examples": [f"{eid}: {st} at {at}" for at, eid, st in failed[:MAX_EXAMPLES]],
    }


class DodoWebhooksProbe:
    """The sender's view: Dodo's endpoints for this business, and its events' latest attempts."""

    name: ClassVar[str] = "webhook_sender"
    provides: ClassVar[frozenset[str]] = frozenset(
        {*(f"webhook.sender.{f}" for f in FACTS), fact_name("webhook_sender")}
    )

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Read both listings; a failure of the API is raised with its fix (inconclusive)."""

        def put(name: str, value: Any) -> None:
            sink.put(f"webhook.sender.{name}", value)

        client = api(ctx)
        until: datetime = ctx.options.get("until") or ctx.now
        since: datetime = ctx.options.get("since") or until - DEFAULT_LOOKBACK
        max_pages = int(ctx.options["sources_max_pages"])
        put("origin", client.host)
        put("window_since", iso(since))
        put("window_until", iso(until))
        t0 = time.monotonic()
        found, cut1 = endpoints(client, max_pages)
        sink.update(
            {
                f"webhook.sender.{k}": v
                for k, v in judge_endpoints(
                    found, ctx.options.get("convex_site"), ctx.options.get("dodo_expected_url")
                ).items()
            }
        )
        evts, cut2 = events(client, since, until, max_pages)
        sink.update({f"webhook.sender.{k}": v for k, v in judge_events(evts).items()})
        seconds = time.monotonic() - t0
        window = f"{iso(since)} to {iso(until)}"
        detail = f"{len(found)} webhook endpoints and {len(evts)} webhook events ({window}) from {client.host}"
        hint = "the DodoPayments account has no webhook endpoint: add one (dashboard > Developer > Webhooks)"
        sink.put(
            fact_name("webhook_sender"),
            Checked(len(found) + len(evts), "records", detail, hint).to_json(),
        )
        put(
            "fetched",
            [
                Fetched(
                    SOURCE, client.host, "webhook endpoints", len(found), None, seconds, cut1
                ).line(),
                Fetched(
                    SOURCE, client.host, "webhook events", len(evts), window, seconds, cut2
                ).line(),
            ],
        )


def _list(body: Any, key: str) -> list[Any]:
    if isinstance(body, dict) and isinstance(body.get(key), list):
        return list(body[key])
    return []


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"
