"""Every corpus case: no crash, a broken case never ok, a healthy one quiet, the cause in the top 3."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks" / "accuracy.py")
assert _spec and _spec.loader
accuracy = importlib.util.module_from_spec(_spec)
sys.modules["accuracy"] = accuracy  # dataclasses look their module up there
_spec.loader.exec_module(accuracy)

CASES = accuracy.load_cases()
# Top-1 each family's issue asks for, checked once a family has enough cases to mean something.
TOP1 = {"build": 0.95, "ssl": 0.95, "webhooks": 0.95, "env": 0.95}
MIN_CASES = 10


_RAN: dict[Path, object] = {}


def _run(case):  # type: ignore[no-untyped-def]
    """Each case runs once per session, whichever test asks first."""
    if case.folder not in _RAN:
        _RAN[case.folder] = accuracy.run_case(case)
    return _RAN[case.folder]


def _marks(family: str) -> list[pytest.MarkDecorator]:
    """A family whose harness starts servers (a TLS server per chain) runs with the lab tests."""
    return [pytest.mark.lab] if (ROOT / "corpus" / family / "harness.py").is_file() else []


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=f"{c.family}/{c.name}", marks=_marks(c.family)) for c in CASES]
)
def test_case(case) -> None:
    out = _run(case)
    assert not out.crashed, out.error
    if case.expect == accuracy.HEALTHY:
        assert out.status == "ok", f"healthy case reported {out.status}: {out.ids}"
    else:
        assert out.status != "ok", f"{case.expect} expected, reported ok"
        assert out.top3, f"{case.expect} not in the top 3: {out.ids[:3]}"


def test_case_files_name_their_source() -> None:
    for case in CASES:
        assert case.source.strip() and case.why.strip(), case.folder
        assert case.expect == accuracy.HEALTHY or "." in case.expect, case.folder


@pytest.mark.parametrize("family", [pytest.param(f, marks=_marks(f)) for f in sorted(TOP1)])
def test_family_top1(family: str) -> None:
    cases = [c for c in CASES if c.family == family]
    if len(cases) < MIN_CASES:
        pytest.skip(f"corpus/{family} has {len(cases)} cases (< {MIN_CASES})")
    figures = accuracy.score([_run(c) for c in cases])
    assert figures["top1"] >= TOP1[family], figures["misses"]
