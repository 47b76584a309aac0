"""The ssl family's options: the only place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.options import setting


@dataclass(frozen=True)
class SslOptions:
    """Where to connect, what to trust, and when expiry is a warning."""

    port: int = setting(443, "TLS port", config="ssl.port", low=1, high=65535, flag="--port")
    warn_days: int = setting(
        14,
        "warn when the certificate expires within N days",
        config="ssl.warn_days",
        low=0,
        high=3650,
        flag="--warn-days",
    )
    critical_days: int = setting(
        3, "critical when it expires within N days", config="ssl.critical_days", low=0, high=3650
    )
    ca_file: str | None = setting(
        None,
        "also trust the roots in this PEM file (relative to the config file)",
        config="ssl.ca_file",
        flag="--ca-file",
        path=True,
    )
    connect_to: tuple[str, ...] = setting(
        (), "connect here instead of the resolved addresses, ADDR[:PORT]", flag="--connect-to"
    )
