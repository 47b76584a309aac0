"""A run's checklist, made from the verdicts of the rules that decide its items."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from diagnose.model import (
    Checklist,
    ChecklistItem,
    ChecklistPlan,
    Finding,
    Inconclusive,
    ItemState,
)
from diagnose.rules.checklist import ItemSpec
from diagnose.rules.conditions import UNKNOWN
from diagnose.rules.evaluate import render_template
from diagnose.rules.load import Rule, template_facts


def _unset(value: Any) -> bool:
    return value is UNKNOWN or value in (None, "", [], {})


def passed_text(spec: ItemSpec, get: Callable[[str], Any]) -> str:
    """Word a pass; of several parts, those whose facts are all unset are left out."""
    if len(spec.passed) == 1:
        return render_template(spec.passed[0], get)
    shown = [
        render_template(part, get)
        for part in spec.passed
        if not (names := template_facts([part])) or not all(_unset(get(n)) for n in names)
    ]
    return ", ".join(shown)


def _quiet_item(spec: ItemSpec, get: Callable[[str], Any]) -> tuple[ItemState, str]:
    # A quiet rule passes its item only when the item was really checked: an unknown answer to
    # "is this unconfirmed?" is no confirmation either.
    for reason in spec.unconfirmed:
        if reason.when.evaluate(get)[0] is not False:
            return ItemState.INCONCLUSIVE, f"not confirmed: {render_template(reason.say, get)}"
    return ItemState.PASS, passed_text(spec, get)


def build_checklist(
    plan: ChecklistPlan,
    rules: Iterable[Rule],
    findings: Sequence[Finding],
    inconclusive: Sequence[Inconclusive],
    quiet: Sequence[str],
    get: Callable[[str], Any],
) -> Checklist:
    """Mark each item: its rule fired (fail), could not be judged or proved nothing
    (inconclusive), or stayed quiet on facts that were really there (pass)."""
    specs = {r.id: r.checklist for r in rules if r.checklist is not None}
    fired: dict[str, str] = {}
    for finding in findings:
        for one in (finding, *finding.explains):
            fired.setdefault(one.id, one.message)
    unsure = {i.id: i.reason for i in inconclusive}
    items: list[ChecklistItem] = []
    for rid in plan.rules:
        spec = specs.get(rid)
        if spec is None:
            # The rule is not loaded (or has no checklist block): the item is not checked.
            items.append(ChecklistItem(rid, rid, ItemState.INCONCLUSIVE, "not checked: no rule"))
            continue
        if rid in fired:
            state, text = ItemState.FAIL, fired[rid]
        elif rid in unsure:
            state, text = ItemState.INCONCLUSIVE, unsure[rid]
        elif rid in quiet:
            state, text = _quiet_item(spec, get)
        else:
            give = f": give {spec.needs}" if spec.needs else ""
            state, text = ItemState.INCONCLUSIVE, f"not checked{give}"
        items.append(ChecklistItem(rid, spec.label, state, text))
    return Checklist(plan.title, tuple(items))
