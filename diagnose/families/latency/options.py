"""The latency family's options: the only place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.options import setting


@dataclass(frozen=True)
class LatencyOptions:
    """What to sample, how hard, and which logs to read."""

    urls: tuple[str, ...] = setting((), "URLs to sample live", config="latency.urls", flag="URL")
    logs: tuple[str, ...] = setting(
        (),
        "request or function logs, relative to the config file",
        config="latency.logs",
        path=True,
        flag="--log",
    )
    n: int = setting(
        20, "measured requests per URL", config="latency.n", low=1, high=10_000, flag="-n"
    )
    concurrency: int = setting(
        4,
        "requests in flight at once",
        config="latency.concurrency",
        low=1,
        high=64,
        flag="--concurrency",
    )
    warmup: int = setting(
        1, "warm-up requests per URL, left out of the statistics", low=0, high=100, flag="--warmup"
    )
    ca_file: str | None = setting(
        None, "trust this CA bundle (PEM)", config="ssl.ca_file", flag="--ca-file", path=True
    )
