"""Live sampling with httpx: per request the phases from httpx's trace events, and what answered."""

from __future__ import annotations

import math
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from diagnose.families.latency.classify import is_cached, is_static, origin_ms, server_timing
from diagnose.families.latency.stats import (
    human_ms,
    percentile,
    rounded,
    spark_scale,
    sparkline,
    summarize,
)
from diagnose.probe import Unfinished, run_bounded

if TYPE_CHECKING:
    import httpx

USER_AGENT = "diagnose-latency/1"
MAX_BODY = 8 * 1024 * 1024  # bodies are counted, not kept; past this the size is "at least"
PHASES = ("dns", "connect", "tls", "ttfb", "total")
MAX_RECORDS = 200  # per-request records kept in the facts (the JSON's series)


@dataclass(frozen=True)
class Sample:
    """One request: what answered and how long each phase took (ms; None when not reached)."""

    url: str
    seq: int
    warmup: bool
    status: int | None
    error: str | None
    cache_status: str | None
    server_timing: str | None
    origin_ms: float | None
    cloudflare: bool
    dns_ms: float | None
    connect_ms: float | None
    tls_ms: float | None
    ttfb_ms: float | None
    total_ms: float | None
    size: int
    # The run's deadline, not the target, ended it: it had less than the per-request timeout
    # and no complete answer when that ran out. total_ms is then how long it waited.
    cut: bool = False

    @property
    def failed(self) -> bool:
        """Tell whether this request counts as an error (no answer, or a 5xx); a cut one does not."""
        return not self.cut and (self.error is not None or (self.status or 0) >= 500)


@dataclass(frozen=True)
class Plan:
    """What to send: URLs, measured requests and warm-ups per URL, parallelism, time bounds."""

    urls: tuple[str, ...]
    n: int
    warmup: int
    concurrency: int
    request_timeout: float
    deadline: float  # time.monotonic() by which sampling stops
    verify: Any = True
    # A request cut by the deadline after waiting this long is slow evidence (its time is a
    # lower bound); one cut sooner was not measured. The p95 budget, ms.
    slow_ms: float = float("inf")
    timeout_s: float = 0.0  # the run's whole deadline as the user gave it (--timeout), for reports
    # Called with (done, total) after each request, warm-ups included (the progress line).
    progress: Callable[[int, int], None] | None = None


class _Trace:
    """Collects httpcore trace events (`connection.connect_tcp.started` ...) with their times."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        # http11.* and http2.* carry the same phase names; keep the first time of each.
        key = event.split(".", 1)[1] if event.startswith(("http11.", "http2.")) else event
        self.at.setdefault(key, time.monotonic())

    def span(self, start: str, end: str) -> float | None:
        """Return the milliseconds between two events, None when either did not happen."""
        if start in self.at and end in self.at:
            return (self.at[end] - self.at[start]) * 1000
        return None


def _lookup(url: str) -> float | None:
    """Time the name lookup the way the connection will do it (system resolver)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    t0 = time.monotonic()
    try:
        socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError:
        return None  # the request itself will fail and say why
    return (time.monotonic() - t0) * 1000


def _one(client: httpx.Client, url: str, seq: int, warmup: bool, plan: Plan) -> Sample:
    import httpx

    t0 = time.monotonic()
    dns = _lookup(url)
    trace = _Trace()
    left = max(0.05, plan.deadline - time.monotonic())
    # A warm-up may use half the time left, no more: a peer that never answers must leave the
    # measured requests time to fail and be counted, or the run would report "ok" on nothing.
    timeout = min(plan.request_timeout, left / 2 if warmup else left)
    # Shortened by the run's deadline: running out of it says nothing about the target.
    shortened = timeout < plan.request_timeout
    timed_out = False
    status = cache = timing = None
    error: str | None = None
    cloudflare = False
    size = 0
    ttfb: float | None = None

    def fetch() -> None:
        nonlocal status, cache, timing, error, cloudflare, size, ttfb, timed_out
        try:
            with client.stream(
                "GET", url, timeout=httpx.Timeout(timeout), extensions={"trace": trace}
            ) as response:
                ttfb = (time.monotonic() - t0) * 1000
                status = response.status_code
                cache = response.headers.get("cf-cache-status")
                timing = response.headers.get("server-timing")
                cloudflare = "cf-ray" in response.headers or cache is not None
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    # A body that drips past the time we have is a slow answer, not a hang.
                    if time.monotonic() - t0 > timeout:
                        error = f"body not complete within {timeout:.1f} s"
                        timed_out = True
                        break
                    if size >= MAX_BODY:
                        break
        except httpx.TimeoutException:
            error = f"timeout: no answer within {timeout:.1f} s"
            timed_out = True
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"

    # Socket timeouts bound each read, not the head: a peer trickling its status line a byte
    # a second never trips them, so the whole request is bounded here (a daemon thread).
    if isinstance(run_bounded({"get": fetch}, timeout + 0.05)["get"], Unfinished):
        error = f"timeout: no complete answer within {timeout:.1f} s (the peer sends too slowly)"
        timed_out = True
    total = (time.monotonic() - t0) * 1000
    cut = timed_out and shortened
    if cut:
        error = f"cut by the run's deadline after {total / 1000:.1f} s without a complete answer"
    headers_done = trace.at.get("receive_response_headers.complete")
    return Sample(
        url=url,
        seq=seq,
        warmup=warmup,
        status=status,
        error=error,
        cache_status=cache.upper() if cache else None,
        server_timing=timing,
        origin_ms=origin_ms(server_timing(timing)),
        cloudflare=cloudflare,
        dns_ms=rounded(dns, 2),
        connect_ms=rounded(
            trace.span("connection.connect_tcp.started", "connection.connect_tcp.complete"), 2
        ),
        tls_ms=rounded(
            trace.span("connection.start_tls.started", "connection.start_tls.complete"), 2
        ),
        ttfb_ms=rounded((headers_done - t0) * 1000 if headers_done else ttfb, 2),
        total_ms=rounded(total, 2),
        size=size,
        cut=cut,
    )


def run(plan: Plan) -> tuple[list[Sample], int]:
    """Send the warm-ups, then the measured requests; return the samples and how many were not sent.

    The sample is sized to the deadline: a request is not started when the time left is less
    than the slowest measured answer so far needs (it would only be cut). Every request opens a new
    connection (no keep-alive), as a first visit does, so that each one shows the DNS, connect
    and TLS phases.
    """
    import httpx

    samples: list[Sample] = []
    lock = threading.Lock()
    counter = iter(range(1_000_000))
    skipped = 0
    slowest = 0.0  # seconds, of the measured complete answers so far
    limits = httpx.Limits(max_keepalive_connections=0, max_connections=max(1, plan.concurrency))
    with httpx.Client(
        verify=plan.verify,
        headers={"user-agent": USER_AGENT},
        follow_redirects=False,
        limits=limits,
    ) as client:
        total = (plan.warmup + plan.n) * len(plan.urls)
        done = 0

        def tick() -> None:
            nonlocal done
            with lock:
                done += 1
                now_done = done
            if plan.progress is not None:
                plan.progress(now_done, total)

        def send(url: str, warmup: bool) -> None:
            nonlocal skipped, slowest
            with lock:
                seq = next(counter)
                need = max(0.1, slowest)
            # Leave the deadline to the requests already in flight; do not start new ones.
            if plan.deadline - time.monotonic() < need:
                with lock:
                    skipped += 1
                tick()
                return
            sample = _one(client, url, seq, warmup, plan)
            tick()
            with lock:
                samples.append(sample)
                # Warm-ups are cold by design: sizing by them would starve a sample that fits.
                if not warmup and sample.error is None and sample.total_ms is not None:
                    slowest = max(slowest, sample.total_ms / 1000)

        # Warm-ups run first, one URL after the other: they fill caches and start cold
        # functions, and their times are kept out of the statistics.
        for _ in range(plan.warmup):
            for url in plan.urls:
                send(url, True)
        with lock:
            skipped = 0  # a warm-up not sent is no measurement missing
        jobs = [url for _ in range(plan.n) for url in plan.urls]
        with ThreadPoolExecutor(max_workers=max(1, plan.concurrency)) as pool:
            list(pool.map(lambda u: send(u, False), jobs))
    samples.sort(key=lambda s: s.seq)
    return samples, skipped


def fit_timeout(samples: Sequence[Sample], plan: Plan, reserve_s: float) -> int | None:
    """Return the --timeout (whole seconds) in which the whole sample fits at the slowest answer
    seen, None when nothing answered: the deadline sized to the sample."""
    times = [s.total_ms for s in samples if s.error is None and s.total_ms is not None]
    if not times:
        return None
    each = max(times) / 1000
    waves = math.ceil(plan.n * len(plan.urls) / max(1, plan.concurrency))
    return math.ceil(each * (plan.warmup * len(plan.urls) + waves) + reserve_s + 1)


def _phase_stats(samples: Sequence[Sample]) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for phase in PHASES:
        values = [v for s in samples if (v := getattr(s, f"{phase}_ms")) is not None]
        out[phase] = {
            "p50_ms": rounded(percentile(values, 50)),
            "p95_ms": rounded(percentile(values, 95)),
        }
    return out


def facts(
    samples: Sequence[Sample], plan: Plan, skipped: int, fit_s: int | None = None
) -> dict[str, Any]:
    """Reduce the samples to facts (names without the `latency.sample.` prefix).

    A request cut by the run's deadline is not measured unless it had already waited longer
    than the p95 budget: then it is slow evidence, its wait a lower bound of its time. Neither
    is ever an error.
    """
    pool = [s for s in samples if not s.warmup]
    cut = [s for s in pool if s.cut]
    slow_cut = [s for s in cut if (s.total_ms or 0) >= plan.slow_ms]
    measured = [s for s in pool if not s.cut or s in slow_cut]
    answered = [s for s in measured if s.error is None]
    totals = [s.total_ms for s in measured if s.total_ms is not None and (s.error is None or s.cut)]
    summary = summarize(totals)
    errors = sum(1 for s in measured if s.failed)
    per_url = []
    for url in plan.urls:
        mine = [s for s in measured if s.url == url]
        stats = summarize(
            [s.total_ms for s in mine if (s.error is None or s.cut) and s.total_ms is not None]
        )
        per_url.append(
            {
                "url": url,
                "count": len(mine),
                "errors": sum(1 for s in mine if s.failed),
                "p50_ms": stats["p50_ms"],
                "p95_ms": stats["p95_ms"],
                "cache": dict(Counter(s.cache_status or "none" for s in mine)),
            }
        )
    per_url.sort(key=lambda u: -(u["p95_ms"] or 0))
    static = [s for s in measured if s.cloudflare and is_static(urlsplit(s.url).path)]
    hits = sum(1 for s in static if is_cached(s.cache_status))
    uncached = Counter(
        f"{urlsplit(s.url).path} {s.cache_status or 'no cf-cache-status'}"
        for s in static
        if not is_cached(s.cache_status)
    )
    with_origin = [s for s in answered if s.origin_ms is not None and s.total_ms]
    origin_total = sum(s.origin_ms or 0 for s in with_origin)
    all_total = sum(s.total_ms or 0 for s in with_origin)
    series = [s.total_ms if s.error is None or s.cut else None for s in measured]
    requested = plan.n * len(plan.urls)
    not_measured = skipped + len(cut) - len(slow_cut)
    first = urlsplit(plan.urls[0]) if plan.urls else None
    return {
        "urls": list(plan.urls),
        # The site sampled (scheme://host of the first URL) and its host: fix commands name them.
        "site": f"{first.scheme}://{first.netloc}" if first else None,
        "host": first.hostname if first else None,
        "n": plan.n,
        "requested": requested,
        "warmup": sum(1 for s in samples if s.warmup),
        "concurrency": plan.concurrency,
        "not_sent": skipped,
        "cut": len(cut) - len(slow_cut),
        "slow_unfinished": len(slow_cut),
        "not_measured": not_measured,
        "sized_to": "deadline" if not_measured else "sample",
        "deadline_s": plan.timeout_s or None,
        "fit_timeout_s": fit_s,
        "count": len(measured),
        "answered": len(answered),
        "errors": errors,
        "error_rate": round(errors / len(measured), 4) if measured else None,
        "error_examples": [f"{s.url}: {s.error or s.status}" for s in measured if s.failed][:3],
        "p50_ms": summary["p50_ms"],
        "p95_ms": summary["p95_ms"],
        "p99_ms": summary["p99_ms"],
        "max_ms": summary["max_ms"],
        "phases": _phase_stats(answered),
        "ttfb_p95_ms": _phase_stats(answered)["ttfb"]["p95_ms"],
        "statuses": {
            str(k): v for k, v in sorted(Counter(s.status or 0 for s in measured).items())
        },
        "cache_statuses": dict(Counter(s.cache_status or "none" for s in measured)),
        "per_url": per_url,
        "worst_url": per_url[0]["url"] if per_url and per_url[0]["p95_ms"] is not None else None,
        "worst_url_p95_ms": per_url[0]["p95_ms"] if per_url else None,
        "origin_p95_ms": rounded(percentile([s.origin_ms or 0 for s in with_origin], 95)),
        "origin_share": round(origin_total / all_total, 3) if all_total else None,
        "static_requests": len(static),
        "static_hits": hits,
        "static_hit_ratio": round(hits / len(static), 3) if static else None,
        "static_uncached": [f"{k} x{v}" for k, v in uncached.most_common(5)],
        "sparkline": f"{sparkline(series)} ({spark_scale(series, human_ms)})",
        "rerun": rerun(plan, fit_s),
        "requests": [asdict(s) for s in samples[:MAX_RECORDS]],
    }


def rerun(plan: Plan, fit_s: int | None) -> str:
    """Return the command that measures the same sample with a deadline it fits in."""
    words = ["diagnose latency", *plan.urls, f"-n {plan.n}", f"--concurrency {plan.concurrency}"]
    # Nothing answered: no time to size by, so offer three times the deadline that was too short.
    need = fit_s if fit_s is not None else math.ceil(3 * plan.timeout_s)
    if need > plan.timeout_s:
        words.append(f"--timeout {need}")
    return " ".join(words)


FACT_NAMES = (
    "urls site host n requested warmup concurrency not_sent cut slow_unfinished not_measured sized_to "
    "deadline_s fit_timeout_s rerun count answered errors error_rate error_examples "
    "p50_ms p95_ms p99_ms max_ms phases ttfb_p95_ms statuses cache_statuses per_url worst_url "
    "worst_url_p95_ms origin_p95_ms origin_share static_requests static_hits static_hit_ratio "
    "static_uncached sparkline requests"
).split()
