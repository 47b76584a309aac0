"""The run's own limits and output defaults, below settings so that command help can read them."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.options import setting

FORMAT = "text"  # --format when not given
COLOR = "auto"  # --color when not given: colour on a terminal only


@dataclass(frozen=True)
class RunOptions:
    """The run's own limits, shared by every family."""

    timeout: float = setting(
        10.0,
        "one deadline for the whole run, s",
        config="run.timeout",
        low=0.1,
        high=3600,
        flag="--timeout",
    )
    request_timeout: float = setting(
        10.0,
        "bound of one HTTP request, s (never more than what the run has left)",
        config="run.request_timeout",
        low=0.1,
        high=600,
    )
