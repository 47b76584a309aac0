"""A page slower than the deadline allows: what `diagnose latency` measures, and what it says.

Usage: python benchmarks/bench_latency_deadline.py [--scale S]

The lab app answers every request in 2.1 s x S. The figure is the run with every default
(-n 20, concurrency 4, warm-up 1) and `--timeout 10 x S`: requests measured, not sent, cut,
errors and the verdict. The baseline, in the same process, is the command the report itself
suggests (`latency.sample.rerun`, the deadline sized to the sample): every request measured. The
two verdicts must agree; the first must count no error.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from diagnose.lab.latency_app import serve

PAGE_MS = 2100.0
BUDGET_MS = 2000.0


def run(args: list[str], config: Path) -> dict[str, Any]:
    """Run diagnose latency; return its JSON report."""
    proc = subprocess.run(
        [sys.executable, "-m", "diagnose", "latency", *args, "--config", str(config)]
        + ["--format", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def line(label: str, doc: dict[str, Any]) -> str:
    """One row: measured / requested, not sent, cut, errors, status and first finding."""
    f = doc["facts"]
    first = doc["findings"][0]["id"] if doc["findings"] else "-"
    return (
        f"{label:<28} measured {f['latency.sample.count']:>2}/{f['latency.sample.requested']}"
        f"  not sent {f['latency.sample.not_sent']:>2}  cut {f['latency.sample.cut']:>2}"
        f"  errors {f['latency.sample.errors']}  {doc['status'].upper():<8} {first}"
    )


def main() -> int:
    """Run both and print them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="lab time scale (1 = real 2.1 s)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "diagnose.toml"
        config.write_text(f"[budgets]\np95_ms = {BUDGET_MS * opts.scale:g}\n", encoding="utf-8")
        with serve("healthy", time_scale=opts.scale, base_ms=PAGE_MS, origin_share=None) as app:
            timeout = f"{10 * opts.scale:g}"
            cut = run([app.url, "--timeout", timeout], config)
            rerun = shlex.split(cut["facts"]["latency.sample.rerun"])[2:]
            full = run(rerun, config)
    print(f"page {PAGE_MS * opts.scale:.0f} ms, budget p95 {BUDGET_MS * opts.scale:.0f} ms")
    print(line(f"defaults, --timeout {timeout}", cut))
    print(line("baseline: the suggested rerun", full) + f"  ({' '.join(rerun[-2:])})")
    same = cut["status"] == full["status"] and [x["id"] for x in cut["findings"]] == [
        x["id"] for x in full["findings"]
    ]
    print(
        f"same verdict: {'yes' if same else 'NO'}; errors counted from our deadline: "
        f"{cut['facts']['latency.sample.errors']}"
    )
    return 0 if same and cut["facts"]["latency.sample.errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
