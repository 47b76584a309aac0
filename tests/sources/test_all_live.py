"""Every command with no file at all, against the lab's `sources` scenario (docs/sources.md).

`diagnose lab up sources` starts the vendors' stand-ins beside the lab; these run what its
"Try:" lines print, from the lab's folder, the way a new user follows them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from diagnose.lab import stack
from tests.sources.conftest import convex_cli
from tests.support.cli import Result, run_cli

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("lab")
    with stack.start("sources", folder) as running:
        yield folder, running.env


def _run(lab: tuple[Path, dict[str, str]], *args: str) -> Result:
    folder, env = lab
    home = folder / "home"
    home.mkdir(exist_ok=True)
    return run_cli(
        *args, "--format", "json", env={**env, "HOME": str(home)}, cwd=folder, timeout=120
    )


def _records(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc["facts"].items() if k.startswith("source.")}


def test_all_uses_every_configured_source_in_one_run(lab: tuple[Path, dict[str, str]]) -> None:
    convex_cli()  # the Convex records need the real CLI
    result = _run(lab, "all", "--since", "1h")
    doc = result.json()
    records = _records(doc)
    for key in ("source.convex.logs", "source.convex.env", "source.cloudflare.pages_env"):
        assert records[key]["status"] == "ok", (key, records.get(key))
    facts = doc["facts"]
    assert facts["webhook.sender.rejected"] == 14  # DodoPayments
    assert facts["cloudflare.ssl_mode"] == "flexible"  # Cloudflare API v4
    assert facts["cloudflare.analytics.requests"] > 0  # Cloudflare GraphQL Analytics
    assert facts["github.secret_names"] == []  # GitHub
    ids = [f["id"] for f in doc["findings"]]
    assert set(stack.SCENARIOS["sources"].expect) <= set(ids), ids
    for name, secret in lab[1].items():
        if name.endswith(("_KEY", "_TOKEN")):  # the URL is no secret, the keys are
            assert secret not in result.stdout + result.stderr, name


@pytest.mark.parametrize(
    ("args", "fetched"),
    [
        (("webhooks", "--since", "1h"), "webhook.sender.rejected"),
        (("env",), "github.secret_names"),
        (("build",), "source.github.build_log"),
        (("ssl", "good.dashtray.test"), "cloudflare.ssl_mode"),
        (("latency",), "cloudflare.analytics.requests"),
    ],
)
def test_each_command_runs_with_no_file_and_says_what_it_fetched(
    lab: tuple[Path, dict[str, str]], args: tuple[str, ...], fetched: str
) -> None:
    result = _run(lab, *args)
    doc = result.json()
    assert fetched in doc["facts"], (args, sorted(doc["facts"])[:40])
    notes = " ".join(doc.get("notes", []))
    assert "fetched" in notes or "checked by" in notes, notes
