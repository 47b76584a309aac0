"""What `diagnose deploy record` was told, light enough for its --help to read the default."""

from __future__ import annotations

from dataclasses import dataclass

ENVIRONMENT = "production"  # --environment when not given


@dataclass(frozen=True)
class Given:
    """What `diagnose deploy record` was told; None where a flag was not given."""

    version: str | None = None
    commit: str | None = None
    notes: str | None = None
    by: str | None = None
    at: str | None = None
    environment: str = ENVIRONMENT
