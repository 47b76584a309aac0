"""The Markdown's Mermaid blocks, parsed and drawn by Mermaid itself in headless chromium.

GitHub draws ```mermaid blocks with Mermaid; a block its grammar refuses shows as an error box
in the issue. scripts/ci/chromium.sh installs chromium and the npm mermaid package; the blocks
of two real runs' Markdown are rendered one by one and each must give an SVG with its labels.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from diagnose.lab.convex_logs import write_scenario
from diagnose.lab.log_writers import synth_requests, write_logpush
from tests.render.test_html_browser import CHROMIUM, _chromium
from tests.support.cli import ROOT, run_cli

pytestmark = pytest.mark.lab

MERMAID_JS = ROOT / ".ci-cache/mermaid/node_modules/mermaid/dist/mermaid.min.js"
needs_mermaid = pytest.mark.skipif(
    CHROMIUM is None or not MERMAID_JS.exists(),
    reason="chromium or the npm mermaid package is missing: bash scripts/ci/chromium.sh installs both",
)

# Renders every block alone, so that one refused block names itself; marks the body when done.
SCRIPT = """
mermaid.initialize({startOnLoad: false});
(async () => {
  const blocks = JSON.parse(document.getElementById("blocks").textContent);
  for (let i = 0; i < blocks.length; i++) {
    const out = document.createElement("div");
    out.id = "block-" + i;
    try {
      out.innerHTML = (await mermaid.render("m" + i, blocks[i])).svg;
      out.dataset.ok = "1";
    } catch (e) {
      out.dataset.error = String(e && e.message || e);
    }
    document.body.appendChild(out);
  }
  document.body.dataset.done = "1";
})();
"""


def _markdown(tmp_path: Path) -> str:
    spike = write_logpush(tmp_path / "requests.jsonl", synth_requests("traffic-spike"))
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    log = tmp_path / "convex.jsonl"
    write_scenario(log, "handler-errors", now)
    out = []
    for args in (
        ["latency", "--log", str(spike), "--now", "2026-11-27T10:31:00Z", "--since", "1h"],
        ["webhooks", "--log", str(log), "--now", now.isoformat(), "--since", "1h", "--offline"],
    ):
        done = run_cli(*args, "--format", "markdown")
        assert done.code in (0, 1, 2), done.stderr
        out.append(done.stdout)
    return "\n".join(out)


@needs_mermaid
def test_markdown_charts_parse_and_draw_in_mermaid(tmp_path: Path) -> None:
    blocks = re.findall(r"```mermaid\n(.*?)```", _markdown(tmp_path), re.S)
    kinds = [next(line for line in b.splitlines() if not line.startswith("%%")) for b in blocks]
    assert kinds.count("xychart-beta") == 2 and kinds.count("timeline") == 2, kinds
    page = tmp_path / "mermaid.html"
    data = json.dumps(blocks).replace("</", "<\\/")  # script text: only "</" could end it
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        f'<script id="blocks" type="application/json">{data}</script>'
        f'<script src="{MERMAID_JS.as_uri()}"></script><script>{SCRIPT}</script></body></html>',
        encoding="utf-8",
    )
    dom = _chromium(
        tmp_path / "profile", "--virtual-time-budget=15000", "--dump-dom", page.as_uri()
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-done="1"' in dom.stdout, "Mermaid did not finish"
    errors = re.findall(r'id="block-(\d+)" data-error="([^"]*)"', dom.stdout)
    assert not errors, [(blocks[int(i)], e) for i, e in errors]
    drawn = re.findall(r'<div id="block-(\d+)" data-ok="1">(.*?)</div>', dom.stdout, re.S)
    assert len(drawn) == len(blocks)
    # The drawn text, without the tags Mermaid splits it into (a tspan a word).
    svgs = {i: " ".join(re.sub(r"<[^>]+>", " ", svg).split()) for i, svg in drawn}
    assert "p95 per minute (UTC), budget 2.0 s" in svgs["0"]
    assert "latency logs begin" in svgs["1"] and "10∶20∶00" in svgs["1"]
    assert "webhook deliveries per minute (UTC), ok and failed" in svgs["2"]
    assert "first failed webhook delivery" in svgs["3"]
