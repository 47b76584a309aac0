"""The pickled rules cache keeps several rule sets: checkouts sharing a home do not evict each other."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from diagnose.families import catalog
from diagnose.rules import load
from tests.support.cli import ROOT


def test_two_rule_sets_alternating_both_stay_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DIAGNOSE_NO_CACHE", raising=False)
    other = tmp_path / "rules"
    shutil.copytree(ROOT / "rules" / "webhook", other / "webhook")
    facts = catalog()
    first = load.load_rules([ROOT / "rules"], facts)
    load.load_rules([other], facts)
    folder = tmp_path / "cache" / "diagnose"
    assert len(list(folder.glob("rules-*.pickle"))) == 2
    # The first set is served from its pickle again, not parsed: no YAML is read.
    monkeypatch.setattr(load, "_scan", lambda *a: pytest.fail("parsed again"))
    assert load.load_rules([ROOT / "rules"], facts) == first


def test_the_cache_keeps_a_bounded_number_of_rule_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DIAGNOSE_NO_CACHE", raising=False)
    facts = catalog()
    for i in range(load.CACHE_KEEP + 3):
        folder = tmp_path / f"rules{i}"
        shutil.copytree(ROOT / "rules" / "webhook", folder / "webhook")
        load.load_rules([folder], facts)
    assert len(list((tmp_path / "cache" / "diagnose").glob("rules-*.pickle"))) == load.CACHE_KEEP
