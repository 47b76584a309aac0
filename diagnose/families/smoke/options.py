"""The smoke family's options: the only place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.options import setting


@dataclass(frozen=True)
class SmokeOptions:
    """What `diagnose smoke` checks."""

    url: str | None = setting(None, "frontend base URL", config="service.url", flag="--url")
    convex_url: str | None = setting(
        None,
        "Convex site URL, for GET /api/health",
        config="service.convex_url",
        flag="--convex-url",
    )
    allow_redirect: tuple[str, ...] = setting(
        (),
        "hosts a check may be redirected to off the target's site: followed and recorded"
        " (redirect_allowed); any other host is recorded and not fetched",
        config="smoke.allow_redirect",
        flag="--allow-redirect",
    )
