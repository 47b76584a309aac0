"""Docs that cannot drift: every generated block in docs/commands/*.md is what its command prints."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_commands", ROOT / "scripts" / "docs" / "render_commands.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_commands"] = module
    spec.loader.exec_module(module)
    return module


render = _script()


def test_pages_have_generated_blocks_and_each_names_a_real_command() -> None:
    found = [b for page in sorted(render.PAGES.glob("*.md")) for b in render.blocks(page)]
    assert len(found) >= 8
    for block in found:
        assert block.text.startswith(f"$ {block.command}\n"), block


def test_normalise_ignores_what_varies_and_nothing_else() -> None:
    one = "probes: webhook_logs ok 344 ms at http://127.0.0.1:40111 in /tmp/diagnose-demo-ab12\n"
    two = "probes: webhook_logs ok 4822 ms at http://127.0.0.1:38713 in /tmp/diagnose-demo-zz99\n"
    assert render.normalise(one) == render.normalise(two)
    assert render.normalise("run 2026-12-01T12:41:51.562Z") == render.normalise(
        "run 2026-12-01T13:02:11.001Z"
    )
    # A real change of what a command prints is never normalised away.
    assert render.normalise("CRITICAL webhook.body-modified") != render.normalise(
        "CRITICAL webhook.missing-headers"
    )
    assert render.normalise("15 checks passed") != render.normalise("16 checks passed")


@pytest.mark.lab
def test_no_generated_block_is_stale() -> None:
    stale = [line for page in sorted(render.PAGES.glob("*.md")) for line in render.stale(page)]
    assert stale == [], "regenerate with: python scripts/docs/render_commands.py\n" + "\n".join(
        stale
    )
