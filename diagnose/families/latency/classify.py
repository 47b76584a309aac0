"""What a request was: a static asset or not, served from the edge cache or not, origin time."""

from __future__ import annotations

import re

# Paths a CDN should serve from its cache: build output and files with asset extensions.
_STATIC = re.compile(
    r"(^/(assets|static|_next/static|_astro|build|fonts|images|img)/)"
    r"|(\.(js|mjs|css|map|png|jpe?g|gif|svg|webp|avif|ico|woff2?|ttf|otf|eot|mp4|webm|wasm|txt|xml)$)",
    re.I,
)
# cf-cache-status / CacheCacheStatus values that mean the edge answered from its cache.
CACHED = frozenset({"hit", "stale", "updating", "revalidated", "stream_hit"})
# Server-Timing metrics that carry the origin's share (Cloudflare's cfOrigin, common names).
ORIGIN_METRICS = ("cforigin", "origin", "app", "backend")
_METRIC = re.compile(r"^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(.*)$")
_DUR = re.compile(r";\s*dur\s*=\s*\"?([0-9.]+)", re.I)


def is_static(path: str) -> bool:
    """Tell whether a request path is a static asset (by folder or extension; query ignored)."""
    return bool(_STATIC.search(path.split("?", 1)[0]))


def is_cached(status: str | None) -> bool:
    """Tell whether a cache status means the edge served it from cache."""
    return (status or "").strip().lower() in CACHED


def server_timing(header: str | None) -> dict[str, float]:
    """Parse a Server-Timing header into metric -> duration (ms); metrics without dur are skipped."""
    out: dict[str, float] = {}
    for part in (header or "").split(","):
        match = _METRIC.match(part)
        if not match:
            continue
        dur = _DUR.search(match.group(2))
        if dur:
            try:
                out.setdefault(match.group(1).lower(), float(dur.group(1)))
            except ValueError:
                continue
    return out


def origin_ms(timings: dict[str, float]) -> float | None:
    """Return the origin's time from parsed Server-Timing, if a known origin metric is there."""
    for name in ORIGIN_METRICS:
        if name in timings:
            return timings[name]
    return None
