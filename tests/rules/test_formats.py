"""Template formats: {fact:count}, {fact:percent}, {fact:join}."""

from __future__ import annotations

from typing import Any


def test_template_formats() -> None:
    from diagnose.rules.evaluate import render_template

    facts: dict[str, Any] = {"a.list": ["x", "y"], "a.rate": 0.0123, "a.none": None}
    get = facts.get
    assert render_template("{a.list:count} {a.none:count} {a.rate:count}", get) == "2 0 0.0123"
    assert render_template("{a.rate:percent} {a.list:join} {a.none:join|-}", get) == "1.23 % x; y -"
