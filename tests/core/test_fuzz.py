"""Property-based fuzzing of the core readers: every input is a result or one clear BadInput."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnose.config import load_config
from diagnose.errors import BadInput
from diagnose.inputs import load_facts
from diagnose.rules.conditions import ConditionError, parse
from diagnose.rules.load import check_rule
from diagnose.timeparse import parse_when
from tests.conftest import FUZZ_SCALE

EXAMPLES = 300
FUZZ = settings(
    max_examples=EXAMPLES * FUZZ_SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(st.text(max_size=40))
def test_when_values(text: str) -> None:
    try:
        assert parse_when(text, NOW).tzinfo is not None
    except BadInput as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(st.binary(max_size=400))
def test_facts_files_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "facts.json"
    path.write_bytes(data)
    with pytest.raises(BadInput):
        load_facts(str(path))


@FUZZ
@given(json_values)
def test_facts_files_random_json(tmp_path: Path, value: object) -> None:
    path = tmp_path / "facts.json"
    doc = {
        "schema": "diagnose/facts@1",
        "command": "smoke",
        "now": "x",
        "probes": value,
        "facts": value,
    }
    path.write_text(json.dumps(doc))
    try:
        load_facts(str(path))
    except BadInput:
        pass


@FUZZ
@given(st.text(max_size=300))
def test_config_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "diagnose.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
    except BadInput as exc:
        assert str(path) in str(exc)


@FUZZ
@given(
    st.text(max_size=300)
    | st.sampled_from(["title: [", "when: {all: []}", "- a\n- b", "a: &x\n  b: *x"])
)
def test_rule_yaml_text(tmp_path: Path, text: str) -> None:
    root = tmp_path / "rules"
    (root / "fam").mkdir(parents=True, exist_ok=True)
    path = root / "fam" / "rule.yaml"
    path.write_text(text, encoding="utf-8")
    problems = check_rule(path, root, {"smoke.health.status"})
    assert all(p.line >= 1 for p in problems)


@FUZZ
@given(json_values)
def test_condition_trees(value: object) -> None:
    try:
        parse(value)
    except ConditionError:
        pass


def test_deep_nesting_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BadInput):
        load_facts(str(path))
