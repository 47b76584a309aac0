"""Issue 21, point 16: a user's regex runs in a linear-time engine, lint rejects what it cannot
run, and rule evaluation has a deadline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnose.model import FactSet, ProbeOutcome, ProbeStatus, Status
from diagnose.rules.conditions import ConditionError, parse
from diagnose.rules.evaluate import NOT_JUDGED, evaluate, overall_status
from diagnose.rules.load import load_rules

# The pattern on a text far past where Python's backtracking engine gives up in
# practice (34 a's already take minutes): RE2 answers at once, whatever the length.
CATASTROPHIC = "(a+)+$"
HOSTILE_LINE = "a" * 5000 + "b"

RULE = """\
title: A user's rule with a catastrophic pattern
severity: warning
confidence: low
when:
  all:
    - {fact: build.failed, op: is_true}
    - {fact: build.error_lines, op: matches, value: 'PATTERN'}
message: the build log says so
remediation: [look at the log]
"""


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process; return its exit code, stdout and stderr."""
    from diagnose.cli import main

    with pytest.raises(SystemExit) as done:
        main(list(args))
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


def _rule_dir(tmp_path: Path, pattern: str, extra: str = "") -> Path:
    folder = tmp_path / "rules" / "mine"
    folder.mkdir(parents=True)
    text = RULE.replace("'PATTERN'}", f"'{pattern}'{extra}}}")
    (folder / "slow.yaml").write_text(text)
    return tmp_path / "rules"


def _failed_build_log(tmp_path: Path, line: str) -> Path:
    log = tmp_path / "build.log"
    log.write_text(
        "$ pnpm run build\n\n> tsc --noEmit && vite build\n\n"
        f"{line}\n\n ELIFECYCLE  Command failed with exit code 2.\n"
    )
    return log


def test_16_a_catastrophic_pattern_runs_in_linear_time() -> None:
    leaf = parse({"fact": "x", "op": "matches", "value": CATASTROPHIC})
    assert leaf.evaluate(lambda _n: HOSTILE_LINE)[0] is False
    assert leaf.evaluate(lambda _n: [HOSTILE_LINE, "aaa"])[0] is True


def test_16_a_user_rule_with_a_catastrophic_pattern_judges_a_hostile_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = _rule_dir(tmp_path, CATASTROPHIC)
    log = _failed_build_log(tmp_path, HOSTILE_LINE)
    assert run_cli(capsys, "rules", "lint", str(rules))[0] == 0
    _code, out, err = run_cli(
        capsys, "build", str(log), "--rules", str(rules), "--format", "json", "--timeout", "5"
    )
    doc = json.loads(out)
    assert "internal error" not in err
    assert "mine.slow" in doc["quiet"]  # judged (the line ends in b), not cut off


@pytest.mark.parametrize(
    ("pattern", "extra", "needle"),
    [
        (
            "(?<!TS2307: )Cannot find module",
            "",
            "value: bad regular expression: negative lookbehind",
        ),
        ("foo(?!bar)", "", "value: bad regular expression: negative lookahead (?!...)"),
        ("(?=x)y", "", "value: bad regular expression: lookahead (?=...)"),
        ("(a)\\\\1", "", "value: bad regular expression: backreferences (\\1)"),
        ("x", ", except: '(?<=a)b'", "except: bad regular expression: lookbehind (?<=...)"),
        (
            "(a)(b)",
            ", groups_differ: [1, 3]",
            "'groups_differ' names group 3, but the pattern has 2",
        ),
        ("([", "", "value: bad regular expression: missing ]"),
    ],
)
def test_16_lint_rejects_what_the_engine_cannot_run_in_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], pattern: str, extra: str, needle: str
) -> None:
    rules = _rule_dir(tmp_path, pattern.replace("\\\\", "\\"), extra)
    code, out, err = run_cli(capfd, "rules", "lint", str(rules))
    assert code == 1
    lines = [ln for ln in out.splitlines() if "slow.yaml" in ln]
    assert len(lines) == 1, out
    assert lines[0].startswith(f"{rules / 'mine' / 'slow.yaml'}:7: when.all[1]: "), lines
    assert needle in lines[0], lines[0]
    assert "E0000" not in err and "re2.cc" not in err  # RE2's own logging (fd 2) stays off


def test_16_a_pattern_the_engine_cannot_run_never_loads(tmp_path: Path) -> None:
    from diagnose.families import catalog
    from diagnose.rules.load import RuleFileError

    rules = _rule_dir(tmp_path, "foo(?!bar)")
    with pytest.raises(RuleFileError, match="negative lookahead"):
        load_rules([rules], catalog())


def test_16_except_excludes_a_line_and_groups_differ_compares_two_groups() -> None:
    cannot = parse(
        {
            "fact": "x",
            "op": "matches",
            "value": "Cannot find module '",
            "except": "(?:TS2307|Type error): Cannot find module '",
        }
    )
    assert cannot.evaluate(lambda _n: ["Error: Cannot find module 'a'"])[0] is True
    assert cannot.evaluate(lambda _n: ["TS2307: Cannot find module 'a'"])[0] is False
    counting = parse(
        {
            "fact": "x",
            "op": "matches",
            "value": r"Generating static pages \((\d+)/(\d+)\)",
            "groups_differ": [1, 2],
        }
    )
    assert counting.evaluate(lambda _n: ["info  - Generating static pages (15/21)"])[0] is True
    assert counting.evaluate(lambda _n: ["info  - Generating static pages (21/21)"])[0] is False
    with pytest.raises(ConditionError, match="go with op: matches only"):
        parse({"fact": "x", "op": "eq", "value": "a", "except": "b"})


def test_16_every_builtin_pattern_runs_in_the_engine() -> None:
    from diagnose.families import catalog
    from diagnose.paths import builtin_rules_dir
    from diagnose.rules.load import rule_files

    assert load_rules([builtin_rules_dir()], catalog())  # lint compiles each with RE2
    texts = "\n".join(p.read_text() for p in rule_files(builtin_rules_dir()))
    for python_only in ("(?<!", "(?<=", "(?!", "(?="):
        assert python_only not in texts


def _facts() -> FactSet:
    probe = ProbeOutcome("buildlog", ProbeStatus.OK, 0.0)
    facts = {"build.failed": True, "build.error_lines": ["x"], "build.checked": True}
    return FactSet("build", "t", "2026-11-27T10:00:00Z", (probe,), facts)


def test_16_rule_evaluation_has_a_deadline() -> None:
    from diagnose.engine.api import all_rules
    from diagnose.families import catalog

    rules = all_rules()
    findings, inconclusive, quiet, _ = evaluate(rules, _facts(), catalog(), budget=0.0)
    assert not findings and not quiet
    assert len(inconclusive) == len(rules)
    assert all(i.reason.startswith(NOT_JUDGED) for i in inconclusive)
    assert overall_status(findings, _facts(), quiet, inconclusive) is Status.UNKNOWN
    # With its budget, the same facts are judged: the deadline is a bound, not a schedule.
    findings, inconclusive, quiet, _ = evaluate(rules, _facts(), catalog())
    assert quiet and not any(i.reason.startswith(NOT_JUDGED) for i in inconclusive)
