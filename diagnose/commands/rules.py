"""diagnose rules list|show|lint|test|docs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from diagnose.engine.api import all_rules
from diagnose.errors import BadInput
from diagnose.families import catalog
from diagnose.paths import builtin_rules_dir
from diagnose.rules.load import Rule, RuleFileError, lint, load_rules, rule_files
from diagnose.settings import make_common


def _dirs(dirs: tuple[str, ...]) -> list[Path]:
    paths = [Path(d) for d in dirs] or [builtin_rules_dir()]
    for p in paths:
        if not p.is_dir():
            raise BadInput(f"{p}: not a folder of rules")
    return paths


def list_rules(params: dict[str, Any]) -> int:
    """Print id, severity and title of every rule."""
    for rule in make_common(params).rules():
        click.echo(f"{rule.id:34} {rule.severity.value:8} {rule.title}")
    return 0


def show_rule(rule_id: str, params: dict[str, Any]) -> int:
    """Print one rule whole."""
    found = {r.id: r for r in make_common(params).rules()}
    if rule_id not in found:
        raise BadInput(f"unknown rule id {rule_id!r}: 'diagnose rules list' names them")
    click.echo(describe(found[rule_id]))
    return 0


def describe(rule: Rule) -> str:
    """Return a rule as readable text."""
    text = rule.path.read_text(encoding="utf-8")
    lines = [
        f"{rule.id}  [{rule.severity.value}, {rule.confidence.value} confidence]",
        f"  {rule.title}",
        f"  file: {rule.path}",
    ]
    if rule.description:
        lines += ["", *("  " + ln for ln in rule.description.strip().splitlines())]
    lines += ["", "  definition:", *("    " + ln for ln in text.strip().splitlines())]
    return "\n".join(lines)


def lint_rules(dirs: tuple[str, ...]) -> int:
    """Lint rule folders; exit 1 when any problem is found."""
    paths = _dirs(dirs)
    # A user folder is linted together with the built-ins so that `explains` may point at them.
    roots = paths if not dirs else [builtin_rules_dir(), *paths]
    problems = [
        p for p in lint(roots, catalog()) if not dirs or any(_under(p.path, d) for d in paths)
    ]
    if not problems:
        # Sound rules are rendered on their fire cases: how the message reads is linted too.
        from diagnose.rules.messages import lint_messages

        rules = [
            r
            for r in load_rules(roots, catalog())
            if not dirs or any(_under(r.path, d) for d in paths)
        ]
        problems = lint_messages(rules, catalog())
    for problem in problems:
        click.echo(str(problem))
    count = sum(len(rule_files(p)) for p in paths)
    click.echo(f"{len(problems)} problem(s) in {count} rule file(s)", err=True)
    return 1 if problems else 0


def _under(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def test_rules(dirs: tuple[str, ...], cases_dir: str | None, verbose: bool) -> int:
    """Run the fire/quiet cases of the rules in the folders; exit 1 on any failure."""
    from diagnose.rules.cases import run_all

    paths = _dirs(dirs)
    try:
        rules = load_rules([builtin_rules_dir(), *paths] if dirs else paths, catalog())
    except RuleFileError as exc:
        raise BadInput(f"rule error: {exc.problems[0]}") from None
    if dirs:
        rules = [r for r in rules if any(_under(r.path, d) for d in paths)]
    results = run_all(rules, catalog(), Path(cases_dir) if cases_dir else None)
    failed = [r for r in results if not r.passed]
    for r in results if verbose else failed:
        mark = "ok  " if r.passed else "FAIL"
        click.echo(
            f"{mark} {r.rule_id}: {r.name}: expected {r.expect}, got {r.got}"
            + (f" ({r.detail})" if r.detail and not r.passed else "")
        )
    click.echo(
        f"rules test: {len(results) - len(failed)} passed, {len(failed)} failed ({len(rules)} rules)"
    )
    return 1 if failed else 0


def rule_docs(output: str | None, check_file: str | None) -> int:
    """Write the generated rule reference, or check that a file is current."""
    from diagnose.rules.docs import render_rule_docs

    text = render_rule_docs(all_rules())
    if check_file:
        current = Path(check_file).read_text(encoding="utf-8") if Path(check_file).exists() else ""
        if current != text:
            click.echo(
                f"{check_file} is stale: run 'diagnose rules docs -o {check_file}'", err=True
            )
            return 1
        return 0
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot write {output}: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False)
    return 0
