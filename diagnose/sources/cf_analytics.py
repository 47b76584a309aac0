"""Cloudflare's GraphQL Analytics API: requests, 5xx and edge/origin time per minute, for a zone.

One POST to `/client/v4/graphql` (developers.cloudflare.com/analytics/graphql-api) over the
`httpRequestsAdaptiveGroups` dataset, the one Cloudflare's own dashboard reads since the
`httpRequests1m*` nodes were deprecated (migration guide "HTTP Requests by Colo Groups to HTTP
Requests by Adaptive Groups"): `count` per `dimensions.datetimeMinute`, the 5xx among them
(`edgeResponseStatus_geq: 500`), and the window's `quantiles.edgeTimeToFirstByteMsP95` and
`originResponseDurationMsP95`. Adaptive means sampled: `avg.sampleInterval` says by how much, and
`count` is already the estimate of all requests.

A 200 can carry errors (the API's "Error responses" page): `{"data": null, "errors": [{"message",
"path", "extensions": {"timestamp"}}]}`. "does not have access to the path" / "not authorized" is
a token without Zone > Analytics > Read; "cannot request data older than", "number of fields
cannot be more than", "not available for your plan" are the plan's limits for this dataset.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.families.latency.stats import sparkline
from diagnose.probe import FactSink, ProbeContext
from diagnose.sources.base import FailureKind
from diagnose.sources.cloudflare import api_for, find_zone
from diagnose.sources.http import Api, post_json

SOURCE = "cloudflare"
NEEDS = "Zone > Analytics > Read (and Zone > Zone > Read to find the zone)"
PREFIX = "cloudflare.analytics."
FACTS = (
    "zone",
    "host",
    "since",
    "until",
    "requests",
    "errors",
    "error_rate",
    "p95_ms",
    "origin_p95_ms",
    "origin_share",
    "sample_interval",
    "minutes",
    "requests_per_minute",
    "errors_per_minute",
    "peak_rpm",
    "spike_at",
    "baseline_rpm",
    "spike_factor",
    "error_minutes",
)
MAX_GROUPS = 10_000  # the dataset's page size; one minute a group, a week at the most
QUERY = """query DiagnoseTraffic($zoneTag: string, $filter: filter, $errors: filter) {
  viewer {
    zones(filter: {zoneTag: $zoneTag}) {
      total: httpRequestsAdaptiveGroups(limit: 1, filter: $filter) {
        count
        avg { sampleInterval }
        quantiles { edgeTimeToFirstByteMsP95 originResponseDurationMsP95 }
      }
      minutes: httpRequestsAdaptiveGroups(limit: %d, filter: $filter, orderBy: [datetimeMinute_ASC]) {
        count
        dimensions { datetimeMinute }
      }
      errors: httpRequestsAdaptiveGroups(limit: %d, filter: $errors, orderBy: [datetimeMinute_ASC]) {
        count
        dimensions { datetimeMinute }
      }
    }
  }
}""" % (MAX_GROUPS, MAX_GROUPS)  # noqa: UP031 - the GraphQL braces make str.format unreadable


def stamp(at: datetime) -> str:
    """A window bound as the API's Time scalar (RFC 3339, UTC, whole seconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def variables(zone_id: str, since: datetime, until: datetime, host: str | None) -> dict[str, Any]:
    """The query's variables: the window, eyeball requests only, the site's host when known."""
    base: dict[str, Any] = {
        "datetime_geq": stamp(since),
        "datetime_lt": stamp(until),
        "requestSource": "eyeball",  # not Workers subrequests or health checks
    }
    if host:
        base["clientRequestHTTPHost"] = host
    return {"zoneTag": zone_id, "filter": base, "errors": {**base, "edgeResponseStatus_geq": 500}}


def graphql_failure(api: Api, errors: list[Any]) -> Exception:
    """The errors of a 200 answer as a failure that names its fix."""
    said = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))[:300]
    low = said.lower()
    if "not authorized" in low or "does not have access" in low or "authentication" in low:
        return api.fail(FailureKind.FORBIDDEN, f"/graphql: {said}")
    if "older than" in low or "cannot be more than" in low or "for your plan" in low:
        return api.fail(
            FailureKind.BAD_ANSWER,
            f"/graphql: {said} (the plan's limit for httpRequestsAdaptiveGroups)",
        )
    return api.fail(FailureKind.BAD_ANSWER, f"/graphql: {said or 'errors without a message'}")


def summarise(zone: Mapping[str, Any], spike_floor: int = 30) -> dict[str, Any]:
    """Reduce the three aliased listings to facts (counts, rates, the busiest minute)."""
    total = next(iter(zone.get("total") or []), None) or {}
    per_minute = _by_minute(zone.get("minutes"))
    errors_at = _by_minute(zone.get("errors"))
    quantiles = total.get("quantiles") or {}
    requests = int(total.get("count") or sum(per_minute.values()))
    errors = sum(errors_at.values())
    p95 = _number(quantiles.get("edgeTimeToFirstByteMsP95"))
    origin = _number(quantiles.get("originResponseDurationMsP95"))
    minutes = sorted(per_minute)
    counts = [per_minute[m] for m in minutes]
    facts: dict[str, Any] = {
        "requests": requests,
        "errors": errors,
        "error_rate": round(errors / requests, 4) if requests else None,
        "p95_ms": p95,
        "origin_p95_ms": origin,
        "origin_share": round(min(origin / p95, 1.0), 2) if p95 and origin is not None else None,
        "sample_interval": _number((total.get("avg") or {}).get("sampleInterval")),
        "minutes": len(minutes),
        "requests_per_minute": counts,
        "errors_per_minute": [errors_at.get(m, 0) for m in minutes],
        "error_minutes": sum(1 for m in minutes if errors_at.get(m)),
        "peak_rpm": None,
        "spike_at": None,
        "baseline_rpm": None,
        "spike_factor": None,
    }
    if len(counts) >= 3:
        baseline = statistics.median(counts)
        peak = max(counts)
        facts["peak_rpm"] = peak
        facts["spike_at"] = minutes[counts.index(peak)]
        facts["baseline_rpm"] = round(baseline, 1)
        # A quiet site's busiest minute is no spike: below the floor the factor is not computed.
        if baseline > 0 and peak >= spike_floor:
            facts["spike_factor"] = round(peak / baseline, 1)
    return facts


def _by_minute(groups: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for group in groups or []:
        if not isinstance(group, dict):
            continue
        minute = (group.get("dimensions") or {}).get("datetimeMinute")
        if isinstance(minute, str):
            out[minute] = out.get(minute, 0) + int(group.get("count") or 0)
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(float(value), 1)


def window(options: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """The window asked for: --since/--until, else the hour before the run's now (--now), to the
    whole minute."""
    until = options.get("until") or options.get("analytics_now")
    until = until if isinstance(until, datetime) else datetime.now(UTC)
    since = options.get("since")
    since = since if isinstance(since, datetime) else until - timedelta(hours=1)
    return since.replace(second=0, microsecond=0), until.replace(second=0, microsecond=0)


class CloudflareAnalyticsProbe:
    """Requests, 5xx and edge/origin p95 for the zone from the GraphQL Analytics API."""

    name: ClassVar[str] = "cloudflare_analytics"
    provides: ClassVar[frozenset[str]] = frozenset(
        {*(PREFIX + f for f in FACTS), fact_name("cloudflare_analytics")}
    )

    @staticmethod
    def describe(facts: Mapping[str, Any]) -> list[str]:
        """Requests and 5xx per minute as sparklines, from the facts (replay shows them too)."""
        rpm = facts.get(PREFIX + "requests_per_minute")
        if not isinstance(rpm, list) or not rpm:
            return []
        out = [f"Cloudflare requests/min {sparkline(rpm)} (peak {max(rpm)})"]
        errors = facts.get(PREFIX + "errors_per_minute")
        if isinstance(errors, list) and any(errors):
            out.append(f"Cloudflare 5xx/min      {sparkline(errors)} (peak {max(errors)})")
        return out

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Find the zone, ask for the window's traffic, reduce it to facts."""
        token = os.environ.get("CLOUDFLARE_API_TOKEN", "")
        api = api_for(
            str(ctx.options["cloudflare_api_url"]),
            token,
            NEEDS,
            int(ctx.options["sources_max_bytes"]),
            time.monotonic() + ctx.remaining(),
            float(ctx.options["request_timeout"]),
        )
        domain = str(ctx.options["cloudflare_domain"])
        zone = find_zone(api, ctx.options.get("cloudflare_zone"), domain)
        since, until = window(ctx.options)
        sink.update(
            {
                PREFIX + "zone": zone.get("name"),
                PREFIX + "host": domain,
                PREFIX + "since": stamp(since),
                PREFIX + "until": stamp(until),
            }
        )
        query = {"query": QUERY, "variables": variables(str(zone.get("id")), since, until, domain)}
        body = post_json(api, "/graphql", query).body
        if not isinstance(body, dict):
            raise api.fail(FailureKind.BAD_ANSWER, "/graphql: not a JSON object")
        if body.get("errors"):
            raise graphql_failure(api, list(body["errors"]))
        zones = ((body.get("data") or {}).get("viewer") or {}).get("zones") or []
        if not zones:
            raise api.fail(
                FailureKind.NOT_FOUND, f"/graphql: no analytics for zone {zone.get('name')}"
            )
        facts = summarise(zones[0])
        sink.update({PREFIX + k: v for k, v in facts.items()})
        line = (
            f"{facts['requests']} requests ({facts['errors']} 5xx) over {facts['minutes']} minutes "
            f"{stamp(since)} .. {stamp(until)} for {domain} in zone {zone.get('name')} "
            f"from {api.host} (GraphQL Analytics, sampled)"
        )
        hint = "" if facts["requests"] else "no request in the window: widen --since"
        sink.put(
            fact_name(self.name), Checked(int(facts["requests"]), "requests", line, hint).to_json()
        )
