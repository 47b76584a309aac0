"""`diagnose rules lint` finds each kind of mistake, with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli

pytestmark = pytest.mark.lab  # every test here starts a server or a process

GOOD = """\
title: Health fails
severity: critical
confidence: high
when: {fact: smoke.health.status, op: ne, value: 200}
message: "health {smoke.health.status}"
remediation: ["curl -i the health endpoint and read the body"]
commands: ["curl -i {smoke.health.url}"]
"""


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_good_user_rule_lints_clean(tmp_path: Path) -> None:
    _write(tmp_path, "mine/health-down.yaml", GOOD)
    result = run_cli("rules", "lint", str(tmp_path))
    assert result.code == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (GOOD + "colour: red\n", 8, "unknown key 'colour'"),
        (GOOD.replace("op: ne", "op: differs"), 4, "unknown operator 'differs'"),
        (GOOD.replace("op: ne, value: 200", "op: is_true, value: 1"), 4, "takes no value"),
        (
            GOOD.replace("smoke.health.status, op", "smoke.helth.status, op"),
            4,
            "unknown fact name 'smoke.helth.status'",
        ),
        (GOOD.replace("severity: critical", "severity: urgent"), 2, "severity 'urgent'"),
        (
            GOOD.replace("op: ne, value: 200", 'op: matches, value: "(["'),
            4,
            "bad regular expression",
        ),
        (GOOD + "explains: [smoke.nope]\n", 8, "explains unknown rule 'smoke.nope'"),
        (GOOD + "id: mine.other\n", 8, "does not match its path"),
        (GOOD.replace("remediation:", "remedy:"), 6, "unknown key 'remedy'"),
        ("title: [unclosed\n", 2, "invalid YAML:"),
    ],
)
def test_lint_reports_problem_with_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    path = _write(tmp_path, "mine/health-down.yaml", text)
    result = run_cli("rules", "lint", str(tmp_path))
    assert result.code == 1
    assert f"{path}:{line}: " in result.stdout, result.stdout
    assert needle in result.stdout


def test_nested_condition_line_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace(
        "when: {fact: smoke.health.status, op: ne, value: 200}",
        "when:\n  any:\n    - {fact: smoke.health.status, op: ne, value: 200}\n    - {fact: smoke.health.error, op: sorta}",
    )
    path = _write(tmp_path, "mine/health-down.yaml", text)
    result = run_cli("rules", "lint", str(tmp_path))
    assert f"{path}:7: when.any[1]: unknown operator 'sorta'" in result.stdout, result.stdout


def test_duplicate_id_with_builtin(tmp_path: Path) -> None:
    _write(tmp_path, "smoke/health.yaml", GOOD)
    result = run_cli("rules", "lint", str(tmp_path))
    assert result.code == 1
    assert "duplicate id 'smoke.health'" in result.stdout


def test_explains_cycle(tmp_path: Path) -> None:
    _write(tmp_path, "mine/a.yaml", GOOD + "explains: [mine.b]\n")
    _write(tmp_path, "mine/b.yaml", GOOD + "explains: [mine.a]\n")
    result = run_cli("rules", "lint", str(tmp_path))
    assert "cycle" in result.stdout


def test_bad_user_rule_stops_a_run_with_one_line(tmp_path: Path) -> None:
    _write(tmp_path, "mine/x.yaml", GOOD.replace("op: ne", "op: nope"))
    result = run_cli("smoke", "--url", "http://127.0.0.1:9", "--rules", str(tmp_path))
    assert result.code == 3
    assert "rule error:" in result.stderr and "x.yaml:4" in result.stderr
    assert "Traceback" not in result.stderr


CASES = (
    "cases:\n"
    "  - {name: down, expect: fire, base: down, facts: {}}\n"
    "  - {name: up, expect: quiet, facts: {smoke.health.status: 200}}\n"
)


def test_user_rules_test_command(tmp_path: Path) -> None:
    """A user's cases sit beside the rule (<name>.test.yaml); bases in DIR/_bases."""
    _write(tmp_path, "mine/health-down.yaml", GOOD)
    _write(tmp_path, "mine/health-down.test.yaml", CASES)
    _write(tmp_path, "_bases/down.yaml", "smoke.health.status: 503\n")
    result = run_cli("rules", "test", str(tmp_path))
    assert result.code == 0, result.stdout
    assert "2 passed, 0 failed (1 rules)" in result.stdout
    assert run_cli("rules", "lint", str(tmp_path)).code == 0, "a .test.yaml is not a rule"
    _write(
        tmp_path,
        "mine/health-down.test.yaml",
        "cases:\n  - {name: down, expect: fire, facts: {smoke.health.status: 200}}\n",
    )
    result = run_cli("rules", "test", str(tmp_path))
    assert result.code == 1
    assert "FAIL mine.health-down: down: expected fire, got quiet" in result.stdout
    assert "needs a 'quiet' case" in result.stdout


def test_user_cases_in_the_old_cases_folder_still_run(tmp_path: Path) -> None:
    """Folders written for older releases keep DIR/_cases/<id>.yaml (and DIR/_cases/_bases)."""
    rules = tmp_path / "rules"
    _write(rules, "mine/health-down.yaml", GOOD)
    _write(rules, "_cases/mine.health-down.yaml", CASES)
    _write(rules, "_cases/_bases/down.yaml", "smoke.health.status: 503\n")
    result = run_cli("rules", "test", str(rules))
    assert result.code == 0, result.stdout
    assert "2 passed, 0 failed" in result.stdout
    # --cases names the folder explicitly, as before.
    moved = tmp_path / "elsewhere"
    (rules / "_cases").rename(moved)
    assert run_cli("rules", "test", str(rules)).code == 1
    result = run_cli("rules", "test", str(rules), "--cases", str(moved))
    assert result.code == 0, result.stdout


def test_missing_base_is_one_clear_failure(tmp_path: Path) -> None:
    _write(tmp_path, "mine/health-down.yaml", GOOD)
    _write(tmp_path, "mine/health-down.test.yaml", CASES)
    result = run_cli("rules", "test", str(tmp_path))
    assert result.code == 1
    assert "no base 'down'" in result.stdout and "Traceback" not in result.stderr


def test_stray_cases_file_is_a_lint_problem(tmp_path: Path) -> None:
    _write(tmp_path, "mine/health-down.yaml", GOOD)
    _write(tmp_path, "mine/health-dwn.test.yaml", CASES)
    result = run_cli("rules", "lint", str(tmp_path))
    assert result.code == 1
    assert "health-dwn.test.yaml:1: cases file beside no rule (expected health-dwn.yaml)" in (
        result.stdout
    )


def test_builtin_rules_lint_and_test_pass() -> None:
    assert run_cli("rules", "lint").code == 0
    result = run_cli("rules", "test")
    assert result.code == 0, result.stdout


def test_unbalanced_brace_in_a_template(tmp_path: Path) -> None:
    """A stray brace would print literally or swallow a placeholder: lint says where."""
    path = _write(
        tmp_path,
        "mine/health-down.yaml",
        GOOD.replace(
            'message: "health {smoke.health.status}"', 'message: "health {smoke.health.status"'
        ),
    )
    result = run_cli("rules", "lint", str(tmp_path))
    assert result.code == 1
    assert f"{path}:5: 'message': unbalanced '{{'" in result.stdout


# GOOD over every smoke check: one rule, the names written once with $check.
EACH_RULE = (
    GOOD.replace(
        "when: {fact: smoke.health.status, op: ne, value: 200}",
        "when:\n  each: check\n  in: [homepage, auth, health]\n"
        "  where: {fact: smoke.$check.status, op: ne, value: 200}",
    )
    .replace("{smoke.health.", "{smoke.$check.")
    .replace('"health ', '"{$check} ')
)


def test_lint_checks_fact_names_inside_the_quantifier(tmp_path: Path) -> None:
    _write(tmp_path, "mine/any-5xx.yaml", EACH_RULE)
    assert run_cli("rules", "lint", str(tmp_path)).code == 0
    _write(
        tmp_path, "mine/any-5xx.yaml", EACH_RULE.replace("$check.status, op", "$check.statsu, op")
    )
    result = run_cli("rules", "lint", str(tmp_path))
    assert result.code == 1
    assert (
        "any-5xx.yaml:7: unknown fact name 'smoke.$check.statsu': no probe provides "
        "smoke.auth.statsu, smoke.health.statsu, smoke.homepage.statsu\n"
    ) in result.stdout
    assert result.stdout.count("\n") == 1, "one problem per name as written"
    # A subject no probe has: its names are unknown facts too.
    _write(tmp_path, "mine/any-5xx.yaml", EACH_RULE.replace("auth, health", "auth, helth"))
    assert (
        "any-5xx.yaml:7: unknown fact name 'smoke.$check.status': no probe provides smoke.helth.status"
        in run_cli("rules", "lint", str(tmp_path)).stdout
    )
    # A template variable that no quantifier binds.
    _write(tmp_path, "mine/any-5xx.yaml", EACH_RULE.replace('"{$check} {', '"{$chk} {'))
    result = run_cli("rules", "lint", str(tmp_path))
    assert "'$chk' uses $chk, which no 'each' in 'when' binds" in result.stdout
