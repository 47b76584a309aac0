"""The checklist family's options: the only place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.options import setting


@dataclass(frozen=True)
class ChecklistOptions:
    """What the checklists look at: the live site, the project, the window's zone."""

    url: str | None = setting(
        None, "frontend URL: smoke tests and a live p95 sample", config="service.url", flag="--url"
    )
    convex_url: str | None = setting(
        None,
        "Convex site URL, for GET /api/health",
        config="service.convex_url",
        flag="--convex-url",
    )
    project: str | None = setting(
        None,
        "the project folder, relative to the config file",
        config="project.dir",
        path=True,
        flag="--project",
    )
    # None: as many as `diagnose latency` measures (latency.n), so one number sets both.
    sample: int | None = setting(
        None,
        "live requests to --url for the p95 item, 0 for none",
        config="checklist.sample",
        low=0,
        high=10_000,
        flag="--sample",
    )
    tz: str | None = setting(
        None,
        "IANA zone the deployment window is judged in",
        config="checklist.tz",
        flag="--tz",
    )
