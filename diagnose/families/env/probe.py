"""Facts about environment variables: required names from the code against what is set. Names only."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from diagnose.coverage import Checked, fact_name
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
    "public_secrets",
    "public_suspect",
    "build_time_misplaced",
    "build_time_only",
    "unchecked",
    "hints",
    "stale_build",
    "build_dir",
    "built_at",
    "bad_lines",
)


class EnvVarsProbe:
    """Scan the project for required names and compare them with the sources the command read."""

    name: ClassVar[str] = "envvars"
    provides: ClassVar[frozenset[str]] = frozenset(f"env.{f}" for f in FACTS) | {
        fact_name("envvars")
    }

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
        sink.put(fact_name(self.name), checked(facts).to_json())


def checked(facts: dict[str, Any]) -> Checked:
    """Say how many variables were read from which sources, and what could not be checked."""
    present, required = len(facts["env.present"]), len(facts["env.required"])
    sources = facts["env.sources"]
    detail = (
        f"{present} variables set in {len(sources)} sources ({', '.join(sources)}); "
        f"{required} names the code and .env.example need"
    )
    if facts["env.bad_lines"]:
        detail += f"; {len(facts['env.bad_lines'])} lines skipped as unreadable"
    if facts["env.unchecked"]:
        detail += f"; not checked: {', '.join(facts['env.unchecked'][:5])}"
        if len(facts["env.unchecked"]) > 5:
            detail += f" and {len(facts['env.unchecked']) - 5} more"
    hint = "" if present else "the sources hold no variable: give the env files the build reads"
    return Checked(present, "variables", detail, hint)
