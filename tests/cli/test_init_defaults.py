"""`diagnose init` writes the options classes' own defaults, so its config and what reports
suggest agree (issue 19: it used to write a latency sample its own deadline could not hold)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from diagnose.budgets import Budgets
from diagnose.commands.init import Detected, detect, render
from diagnose.families.latency.options import LatencyOptions
from diagnose.families.webhooks.options import WebhooksOptions
from diagnose.options import default_of, fields
from diagnose.settings import RunOptions
from tests.support.cli import ROOT


def _default(cls: type, key: str) -> object:
    return next(default_of(f) for f, s in fields(cls) if s.config == key)


def test_init_writes_the_options_defaults(tmp_path: Path) -> None:
    config = tomllib.loads(render(Detected(), "."))
    assert config["run"]["timeout"] == _default(RunOptions, "run.timeout")
    assert config["latency"]["n"] == _default(LatencyOptions, "latency.n")
    assert config["latency"]["concurrency"] == _default(LatencyOptions, "latency.concurrency")
    assert config["budgets"]["p95_ms"] == _default(Budgets, "budgets.p95_ms")
    assert config["budgets"]["error_rate"] == _default(Budgets, "budgets.error_rate")
    assert tuple(config["webhooks"]["secret_env"]) == _default(
        WebhooksOptions, "webhooks.secret_env"
    )
    assert config["project"]["dir"] == "."


def test_init_names_the_webhook_secret_the_project_reads(tmp_path: Path) -> None:
    """The sample project's convex/http.ts reads DODO_PAYMENTS_WEBHOOK_KEY: init writes that one."""
    found = detect(ROOT / "fixtures" / "projects" / "complete")
    config = tomllib.loads(render(found, "."))
    assert config["webhooks"]["secret_env"] == "DODO_PAYMENTS_WEBHOOK_KEY"
    assert f"# what {found.secret_used_at} reads" in render(found, ".")
    assert found.secret_used_at is not None and found.secret_used_at.startswith("convex/http.ts:")
    # A project that reads neither (or both) keeps the default order.
    assert detect(tmp_path).secret_env is None
