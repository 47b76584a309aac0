"""Cloudflare API v4: the zone's SSL/TLS mode and Always Use HTTPS, the Pages custom domains.

Auth: `Authorization: Bearer $CLOUDFLARE_API_TOKEN`, to the API host only. Every answer is the
v4 envelope `{"success", "errors": [{"code", "message"}], "result", "result_info"}`. Each call
names the token permission it needs, so a 403 (`10000 Authentication error`) says which.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.probe import FactSink, ProbeContext
from diagnose.sources.base import FailureKind, Fetched
from diagnose.sources.http import Api, get_json

SOURCE = "cloudflare"
NEEDS = {
    "zone": "Zone > Zone > Read",
    "settings": "Zone > Zone Settings > Read",
    "pages": "Account > Cloudflare Pages > Read",
}
FACTS = (
    "zone",
    "zone_id",
    "ssl_mode",
    "always_use_https",
    "pages_project",
    "pages_domains",
    "domain",
    "domain_listed",
    "domain_status",
    "domain_reason",
    "fetched",
)


def api_for(
    base_url: str,
    token: str,
    needs: str,
    max_bytes: int,
    deadline: float,
    request_timeout: float,
) -> Api:
    """The API with the fixes for a call that needs one permission."""
    fix = (
        f"give the token {needs} (dash.cloudflare.com > My Profile > API Tokens > edit); "
        "check it with: curl -sS https://api.cloudflare.com/client/v4/user/tokens/verify "
        '-H "Authorization: Bearer $CLOUDFLARE_API_TOKEN"'
    )
    return Api(
        SOURCE,
        base_url,
        {"authorization": f"Bearer {token}"},
        {FailureKind.AUTH: fix, FailureKind.FORBIDDEN: fix},
        max_bytes,
        deadline,
        request_timeout,
    )


def client(ctx: ProbeContext, needs: str) -> Api:
    """The API for a probe: its options, the token from the environment, the probe's deadline."""
    return api_for(
        str(ctx.options["cloudflare_api_url"]),
        os.environ.get("CLOUDFLARE_API_TOKEN", ""),
        needs,
        int(ctx.options["sources_max_bytes"]),
        time.monotonic() + ctx.remaining(),
        float(ctx.options["request_timeout"]),
    )


@dataclass(frozen=True)
class Account:
    """A Pages project to read at plan time: where, with which token, under which bounds."""

    base_url: str
    token: str
    account: str
    project: str
    max_bytes: int
    deadline: float
    request_timeout: float

    def api(self, needs: str) -> Api:
        """The API for one call that needs `needs`."""
        return api_for(
            self.base_url, self.token, needs, self.max_bytes, self.deadline, self.request_timeout
        )

    @property
    def project_path(self) -> str:
        """The Pages project's path under the API."""
        return f"/accounts/{self.account}/pages/projects/{self.project}"


def result(api: Api, path: str, params: Mapping[str, Any] | None = None) -> Any:
    """GET one v4 call and return its `result`; `success: false` is a failure with its errors."""
    body = get_json(api, path, params).body
    if not isinstance(body, dict) or not body.get("success", False):
        errors = body.get("errors") if isinstance(body, dict) else None
        said = "; ".join(
            f"{e.get('code')} {e.get('message')}" for e in errors or [] if isinstance(e, dict)
        )
        raise api.fail(FailureKind.BAD_ANSWER, f"{path}: success false ({said or 'no errors'})")
    return body.get("result")


def zone_candidates(domain: str) -> list[str]:
    """The names the zone may have, most specific first (www.dashtray.com, dashtray.com)."""
    labels = domain.strip(".").lower().split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def find_zone(api: Api, configured: str | None, domain: str) -> dict[str, Any]:
    """The zone named in the config, else the domain's or its nearest parent's (GET /zones?name=)."""
    for name in [configured or "", *zone_candidates(domain)]:
        if name and (zones := result(api, "/zones", {"name": name})):
            if isinstance(zones, list) and isinstance(zones[0], dict):
                return zones[0]
    raise api.fail(FailureKind.NOT_FOUND, f"no zone for {domain} is visible to this token")


def domain_state(domains: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The Pages custom domain named `name`: listed or not, its status and Cloudflare's reason."""
    found = next((d for d in domains if str(d.get("name", "")).lower() == name.lower()), None)
    if found is None:
        return {"domain_listed": False, "domain_status": None, "domain_reason": None}
    reasons = [
        f"{part}: {data.get('status')}"
        + (f" ({data['error_message']})" if data.get("error_message") else "")
        for part in ("verification_data", "validation_data")
        if isinstance(data := found.get(part), dict) and data.get("status") not in (None, "active")
    ]
    return {
        "domain_listed": True,
        "domain_status": found.get("status"),
        "domain_reason": "; ".join(reasons) or None,
    }


class CloudflareProbe:
    """The zone's SSL/TLS settings and the Pages project's custom domains, as Cloudflare holds them."""

    name: ClassVar[str] = "cloudflare"
    provides: ClassVar[frozenset[str]] = frozenset(
        {*(f"cloudflare.{f}" for f in FACTS), fact_name("cloudflare")}
    )

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Find the zone, read its settings, then the Pages domains; a failure says its fix."""

        def put(name: str, value: Any) -> None:
            sink.put(f"cloudflare.{name}", value)

        domain = str(ctx.options["cloudflare_domain"])
        project = ctx.options.get("pages_project")
        account = ctx.options.get("cloudflare_account_id")
        put("domain", domain)
        put("pages_project", project)
        lines: list[str] = []
        api = client(ctx, NEEDS["zone"])
        zone = find_zone(api, ctx.options.get("cloudflare_zone"), domain)
        put("zone", zone.get("name"))
        put("zone_id", zone.get("id"))
        settings = client(ctx, NEEDS["settings"])
        zid = zone.get("id")
        put("ssl_mode", (result(settings, f"/zones/{zid}/settings/ssl") or {}).get("value"))
        put(
            "always_use_https",
            (result(settings, f"/zones/{zid}/settings/always_use_https") or {}).get("value"),
        )
        lines.append(f"zone {zone.get('name')}: ssl and always_use_https settings")
        count = 2
        if project and account:
            pages = client(ctx, NEEDS["pages"])
            domains = result(pages, f"/accounts/{account}/pages/projects/{project}/domains") or []
            domains = [d for d in domains if isinstance(d, dict)]
            put("pages_domains", [f"{d.get('name')}: {d.get('status')}" for d in domains][:20])
            sink.update({f"cloudflare.{k}": v for k, v in domain_state(domains, domain).items()})
            lines.append(f"Pages project {project}: {len(domains)} custom domains")
            count += len(domains) + 1
        put("fetched", [f"cloudflare: {line} from {api.host}" for line in lines])
        sink.put(
            fact_name("cloudflare"),
            Checked(
                count, "settings and domains", "; ".join(lines) + f" from {api.host}"
            ).to_json(),
        )


def pages_env_names(where: Account) -> tuple[dict[str, list[str]], Fetched]:
    """The Pages project's env var names per environment (production, preview); values dropped.

    GET /accounts/A/pages/projects/P: `deployment_configs.<env>.env_vars` maps each name to
    `{"type": "plain_text" | "secret_text", "value"}` (cloudflare-typescript, pages/projects).
    """
    api = where.api(NEEDS["pages"])
    t0 = time.monotonic()
    project_doc = result(api, where.project_path) or {}
    configs = project_doc.get("deployment_configs") if isinstance(project_doc, dict) else None
    names: dict[str, list[str]] = {}
    for env in ("production", "preview"):
        conf = (configs or {}).get(env) if isinstance(configs, dict) else None
        env_vars = conf.get("env_vars") if isinstance(conf, dict) else None
        names[env] = sorted(str(k) for k in (env_vars or {}) if isinstance(env_vars, dict))
    count = sum(len(v) for v in names.values())
    return names, Fetched(
        SOURCE,
        api.host,
        "Pages env var names",
        count,
        window=f"project {where.project}",
        seconds=time.monotonic() - t0,
    )


def latest_failed_pages_build(where: Account) -> tuple[str | None, Fetched]:
    """The latest production deployment's build log when it failed (None when it did not).

    GET .../pages/projects/P/deployments?env=production (newest first; `latest_stage.status`),
    then .../deployments/ID/history/logs: `{"data": [{"ts", "line"}]}`, written as the
    dashboard's download is, one `ts<TAB>line` a line, for the build-log reader.
    """
    api = where.api(NEEDS["pages"])
    t0 = time.monotonic()
    project = where.project
    listing = f"{where.project_path}/deployments"
    deployments = result(api, listing, {"env": "production"}) or []
    latest = next((d for d in deployments if isinstance(d, dict)), None)
    stage = (latest or {}).get("latest_stage") or {}
    if latest is None or stage.get("status") != "failure":
        state = f"latest {stage.get('name')} {stage.get('status')}" if latest else "no deployment"
        return None, Fetched(
            SOURCE, api.host, "failed Pages builds", 0, window=f"{project}: {state}"
        )
    logs = result(api, f"{listing}/{latest.get('id')}/history/logs") or {}
    data = logs.get("data") if isinstance(logs, dict) else None
    lines = [f"{e.get('ts', '')}\t{e.get('line', '')}" for e in data or [] if isinstance(e, dict)]
    return "\n".join(lines) + "\n", Fetched(
        SOURCE,
        api.host,
        "log lines",
        len(lines),
        window=f"Pages deployment {latest.get('short_id') or latest.get('id')} of {project} "
        f"({stage.get('name')} failed)",
        seconds=time.monotonic() - t0,
    )
