"""The library entry points: run a command's probes and judge them, or judge saved facts."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diagnose import __version__
from diagnose.config import Config
from diagnose.engine.run import run_probes
from diagnose.families import PROBES, catalog, make_probe, probe_class
from diagnose.model import Diagnosis, FactSet
from diagnose.paths import builtin_rules_dir
from diagnose.probe import ProbeContext
from diagnose.rules.evaluate import evaluate, overall_status
from diagnose.rules.load import Rule, load_rules
from diagnose.settings import Common, invocation
from diagnose.timeparse import iso


def all_rules(extra_dirs: Iterable[Path] = ()) -> list[Rule]:
    """Load the built-in rules plus any user folders."""
    return load_rules([builtin_rules_dir(), *extra_dirs], catalog())


def judge(
    factset: FactSet,
    rules: Sequence[Rule],
    started: datetime | None = None,
    notes: Sequence[str] = (),
) -> Diagnosis:
    """Evaluate rules on facts (live or replayed) into a Diagnosis; notes are shown as they are."""
    findings, inconclusive, quiet, _ = evaluate(rules, factset, catalog())
    started = started or datetime.now(UTC)
    described = [
        line
        for probe in factset.probes
        if probe.name in PROBES
        and (describe := getattr(probe_class(probe.name), "describe", None)) is not None
        for line in describe(factset.facts)
    ]
    return Diagnosis(
        command=factset.command,
        target=factset.target,
        started_at=iso(started),
        finished_at=iso(datetime.now(UTC)),
        status=overall_status(findings, factset),
        findings=findings,
        inconclusive=inconclusive,
        quiet=quiet,
        factset=factset,
        tool_version=__version__,
        notes=(*described, *notes),
    )


def gather(
    command: str,
    target: str,
    probe_names: Sequence[str],
    options: Mapping[str, Any],
    *,
    now: datetime,
    timeout: float,
    invocation: str = "",
    secrets: Sequence[str] = (),
    config: Config | None = None,
) -> FactSet:
    """Run the named probes concurrently under one deadline."""
    if config is not None and "deploy_db" not in options:
        # The deployment log is the incident log of this run's config ([incident] db).
        from diagnose.incidents.store import default_path

        options = {**options, "deploy_db": str(default_path(config))}
    ctx = ProbeContext(
        options={**options, "timeout": timeout},
        now=now,
        deadline=time.monotonic() + timeout,
        secrets=tuple(secrets),
    )
    from diagnose.families.deploy.records import has_records

    if "deploys" not in probe_names and has_records(options):
        # Every diagnosis knows the last deployment once one is recorded (issue #11).
        probe_names = [*probe_names, "deploys"]
    outcomes, facts = run_probes([make_probe(n) for n in probe_names], ctx)
    return FactSet(command, target, iso(now), outcomes, facts, invocation)


def gather_facts(
    common: Common,
    command: str,
    target: str,
    probes: Sequence[str],
    options: Mapping[str, Any],
    *,
    secrets: Sequence[str] = (),
    timeout: float | None = None,
    how: str | None = None,
) -> FactSet:
    """Run a command's probes with the run's clock, deadline, config and command line."""
    return gather(
        command,
        target,
        probes,
        options,
        now=common.now,
        timeout=common.timeout if timeout is None else timeout,
        invocation=invocation() if how is None else how,
        secrets=secrets,
        config=common.config,
    )
