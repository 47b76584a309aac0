"""Facts about environment variables: required names from the code against what is set. Names only."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from diagnose.probe import FactSink, ProbeContext

FACTS = (
    "sources",
    "required",
    "present",
    "missing",
    "missing_names",
    "empty",
    "placeholder",
    "malformed",
    "test_keys_in_prod",
    "public_names",
    "public_hints",
    "hints",
    "stale_build",
    "build_dir",
    "built_at",
    "bad_lines",
)


class EnvVarsProbe:
    """Scan the project for required names and compare them with the sources the command read."""

    name: ClassVar[str] = "envvars"
    provides: ClassVar[frozenset[str]] = frozenset(f"env.{f}" for f in FACTS)

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Judge nothing: list names, where they are used, and masked hints of their values."""
        from diagnose.families.env.check import evaluate

        project = ctx.options.get("project_dir")
        facts, _values = evaluate(
            Path(str(project)) if project else None,
            ctx.options.get("sources") or [],
            ctx.options.get("extra_required") or {},
        )
        sink.update(facts)
