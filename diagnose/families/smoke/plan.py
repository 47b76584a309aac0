"""What `diagnose smoke` runs, from its options."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from diagnose.errors import BadInput
from diagnose.families.smoke.options import SmokeOptions
from diagnose.family import Plan
from diagnose.inputs import check_url, clip
from diagnose.options import resolve
from diagnose.settings import Common


def command_plan(opts: SmokeOptions) -> Plan:
    """The smoke probe against the frontend URL (and Convex health when a Convex URL is set)."""
    if not opts.url:
        raise BadInput(
            "no URL: give --url https://dashtray.com or set service.url in diagnose.toml"
        )
    url = check_url(opts.url, "--url")
    convex = check_url(opts.convex_url, "--convex-url") if opts.convex_url else None
    allow = [allowed_host(h) for h in opts.allow_redirect]
    return Plan(
        "smoke", url, ("smoke",), {"url": url, "convex_url": convex, "allow_redirect": allow}
    )


def allowed_host(text: str) -> str:
    """Check one --allow-redirect value: a bare host name or address, compared exactly."""
    host = text.strip().lower().rstrip(".")
    if not host or any(c in host for c in "/:@?# \t") and not _is_v6(host):
        raise BadInput(
            f"--allow-redirect {clip(text)!r}: give a host (login.example.net), not a URL"
        )
    return host.strip("[]")


def _is_v6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host.strip("[]"))
    except ValueError:
        return False
    return True


def plan(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """Smoke tests when service.url is set."""
    opts = resolve(SmokeOptions, common.config)
    return command_plan(opts) if opts.url else None
