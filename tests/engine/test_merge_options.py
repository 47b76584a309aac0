"""Plans of one run (diagnose all) never overwrite each other's options."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from diagnose.engine.api import merge_options
from diagnose.engine.run import run_probes
from diagnose.family import Plan
from diagnose.probe import FactSink, ProbeContext


def test_a_mapping_set_by_several_plans_is_their_union() -> None:
    webhooks = Plan("webhooks", "x", ("webhook_logs", "sources"), {"sources_read": {"convex": 1}})
    build = Plan("build", "y", ("build_log", "sources"), {"sources_read": {"github": 2}})
    merged, overrides = merge_options([webhooks, build])
    assert merged["sources_read"] == {"convex": 1, "github": 2}
    assert overrides == {}


def test_a_value_plans_disagree_on_goes_to_each_plans_own_probes() -> None:
    build = Plan("build", "b", ("build_log",), {"project_dir": "web", "same": 1})
    env = Plan("env", "e", ("envvars",), {"project_dir": "api", "same": 1})
    merged, overrides = merge_options([build, env])
    assert merged == {"project_dir": "web", "same": 1}
    assert overrides == {"envvars": {"project_dir": "api"}}


class _Echo:
    """A probe that records the option it was given."""

    provides = frozenset({"echo.value"})

    def __init__(self, name: str) -> None:
        self.name = name

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Write the option as seen by this probe."""
        sink.put("echo.value", f"{self.name}={ctx.options['project_dir']}")


def test_each_probe_reads_its_own_plans_value() -> None:
    seen: dict[str, Any] = {}
    ctx = ProbeContext(
        options={"project_dir": "web", "timeout": 5},
        now=datetime(2026, 12, 1, tzinfo=UTC),
        deadline=time.monotonic() + 5,
    )
    for name in ("a", "b"):
        probe = _Echo(name)
        _, facts = run_probes([probe], ctx, {"b": {"project_dir": "api"}})  # type: ignore[list-item]
        seen[name] = facts["echo.value"]
    assert seen == {"a": "a=web", "b": "b=api"}
