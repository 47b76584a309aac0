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
