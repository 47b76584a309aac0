"""The library entry points: run a command's probes and judge them, or judge saved facts."""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diagnose import __version__
from diagnose.coverage import blind_spots, summary
from diagnose.engine.checklist import build_checklist
from diagnose.engine.run import run_probes
from diagnose.families import PROBES, catalog, families, load, make_probe, probe_class
from diagnose.family import Plan
from diagnose.model import ChecklistPlan, Diagnosis, FactSet
from diagnose.paths import builtin_rules_dir
from diagnose.probe import ProbeContext
from diagnose.rules.evaluate import evaluate, fact_getter, overall_status
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
    checklist: ChecklistPlan | None = None,
) -> Diagnosis:
    """Evaluate rules on facts (live or replayed) into a Diagnosis; notes are shown as they are;
    with a checklist plan, its items are marked from the same verdicts."""
    findings, inconclusive, quiet, _ = evaluate(rules, factset, catalog())
    started = started or datetime.now(UTC)
    described = [
        line
        for probe in factset.probes
        if probe.name in PROBES
        and (describe := getattr(probe_class(probe.name), "describe", None)) is not None
        for line in describe(factset.facts)
    ]
    # Why the run cannot say ok comes first; what it checked before the shape of it.
    judged = len(findings) + len(quiet)
    described = [*blind_spots(factset.facts, judged), *summary(factset.facts), *described]
    return Diagnosis(
        command=factset.command,
        target=factset.target,
        started_at=iso(started),
        finished_at=iso(datetime.now(UTC)),
        status=overall_status(findings, factset, quiet, inconclusive),
        findings=findings,
        inconclusive=inconclusive,
        quiet=quiet,
        factset=factset,
        tool_version=__version__,
        notes=(*described, *notes),
        checklist=None
        if checklist is None
        else build_checklist(
            checklist, rules, findings, inconclusive, quiet, fact_getter(factset, catalog())
        ),
    )


def warm(probes: Iterable[Any]) -> None:
    """Import what the probes declare in `warm_imports` ("module" or "module:function" to call)
    before the deadline starts.

    Imports are our own start-up: done in the probes' threads they fight for the GIL (pyarrow
    takes seconds on a loaded machine) and eat the time a slow peer is given, so a trickling
    endpoint would time out inside the engine instead of becoming evidence.
    """

    for probe in probes:
        for entry in getattr(probe, "warm_imports", ()):
            module, _, function = entry.partition(":")
            loaded = importlib.import_module(module)
            if function:
                getattr(loaded, function)()


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
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> FactSet:
    """Run the named probes concurrently under one deadline."""
    probes = [make_probe(n) for n in probe_names]
    warm(probes)
    ctx = ProbeContext(
        options={**options, "timeout": timeout},
        now=now,
        deadline=time.monotonic() + timeout,
        secrets=tuple(secrets),
    )
    outcomes, facts = run_probes(probes, ctx, overrides)
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
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> FactSet:
    """Run a command's probes with the run's clock, deadline, limits and command line.

    A family that declares `joins` (the deploy family, once a deployment is recorded) adds its
    probes to every run.
    """
    merged: dict[str, Any] = {"request_timeout": common.request_timeout, **options}
    names = list(probes)
    for fam in families():
        if fam.joins and (extra := load(fam.joins)(common)) is not None:
            names += [p for p in extra.probes if p not in names]
            merged = {**extra.options, **merged}
    return gather(
        command,
        target,
        names,
        merged,
        now=common.now,
        timeout=common.timeout if timeout is None else timeout,
        invocation=invocation() if how is None else how,
        secrets=secrets,
        overrides=overrides,
    )


def merge_options(
    plans: Sequence[Plan],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Return the options shared by the plans and, per probe, what its own plan set otherwise.

    Families set some keys alike (`sources_read`, `project_dir`): a mapping set by several plans
    is their union (every source's record reaches the sources probe), and any other value that
    plans disagree on goes to each plan's own probes, so no family's setting overwrites
    another's.
    """
    merged: dict[str, Any] = {}
    for plan in plans:
        for key, value in plan.options.items():
            old = merged.get(key)
            if isinstance(old, Mapping) and isinstance(value, Mapping):
                merged[key] = {**old, **value}
            elif key not in merged:
                merged[key] = value
    overrides: dict[str, dict[str, Any]] = {}
    for plan in plans:
        for key, value in plan.options.items():
            if merged[key] != value and not isinstance(merged[key], Mapping):
                for name in plan.probes:
                    overrides.setdefault(name, {})[key] = value
    return merged, overrides


def run_plans(
    common: Common,
    command: str,
    plans: Sequence[Plan],
    rules: Sequence[Rule],
    checklist: ChecklistPlan | None = None,
) -> Diagnosis:
    """Run every plan's probes at once under the one deadline and judge the merged facts (and
    mark the checklist's items, when the run shows one)."""
    options, overrides = merge_options(plans)
    probes = list(dict.fromkeys(name for p in plans for name in p.probes))
    target = (
        plans[0].target if len(plans) == 1 else ", ".join(f"{p.family}: {p.target}" for p in plans)
    )
    # Heavy imports the probes declare are start-up, done before the run's clock starts, like
    # the deadline (gather warms them again at no cost): the run takes --timeout, plus judging.
    warm([make_probe(n) for n in probes])
    started = datetime.now(UTC)
    secrets = tuple(v for p in plans for v in p.secrets)
    factset = gather_facts(
        common, command, target, probes, options, secrets=secrets, overrides=overrides
    )
    return judge(factset, rules, started, checklist=checklist)


def plans_from_config(common: Common, window: Mapping[str, Any]) -> list[Plan]:
    """Return the plan of every family the config enables, in registry order."""
    found = []
    for fam in families():
        if fam.plan and (plan := load(fam.plan)(common, window)) is not None:
            found.append(plan)
    return found
