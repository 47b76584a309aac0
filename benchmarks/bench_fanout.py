"""Fan-out: `diagnose ssl --targets FILE` and `diagnose dns --targets FILE` on N lab domains.

Usage: python benchmarks/bench_fanout.py [-n RUNS] [--domains N]
Each figure (wall time of the whole process, start-up included) is printed beside the baseline
measured in the same run: the same command on one domain. Target: 100 domains in 3 s or less.
The domains cycle through lab names (healthy, wrong host, CNAME, no address, unknown), so the
batch holds every kind of verdict; every one goes to the one lab TLS server with --connect-to.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from diagnose.lab.dns_server import serve_dns
from diagnose.lab.tls_server import serve_tls

NAMES = (
    "good",
    "www",
    "wrong-host",
    "moved",
    "noaddr",
    "caa-blocked",
    "expired",
    "nowhere",
)


def timed(argv: list[str], runs: int) -> tuple[float, str, int]:
    """Return the median wall time in seconds, the last stdout and the last exit code."""
    times: list[float] = []
    out, code = "", 0
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - t0)
        out, code = done.stdout, done.returncode
    return statistics.median(times), out, code


def main() -> None:
    """Start the lab, time one domain and the batch for ssl and dns, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--runs", type=int, default=5, help="runs of each [default: 5]")
    parser.add_argument("--domains", type=int, default=100, help="batch size [default: 100]")
    args = parser.parse_args()
    with serve_tls() as lab, serve_dns("good") as resolver, tempfile.TemporaryDirectory() as tmp:
        names = [f"{NAMES[i % len(NAMES)]}.dashtray.test" for i in range(args.domains)]
        targets = Path(tmp) / "targets.txt"
        targets.write_text("\n".join(names) + "\n", encoding="utf-8")
        base = [sys.executable, "-m", "diagnose"]
        common = ["--resolver", resolver.address, "--format", "json", "--timeout", "10"]
        ssl_opts = ["--connect-to", lab.address("good"), "--ca-file", str(lab.root_file)]
        print(f"{args.domains} domains, median of {args.runs} runs (wall time, start-up included)")
        for command, extra in (("ssl", ssl_opts), ("dns", [])):
            one, _, _ = timed([*base, command, "good.dashtray.test", *common, *extra], args.runs)
            many, out, code = timed(
                [*base, command, "--targets", str(targets), *common, *extra], args.runs
            )
            docs = [json.loads(line) for line in out.splitlines() if line.strip()]
            statuses = sorted({d["status"] for d in docs})
            print(f"  diagnose {command} DOMAIN (baseline)      {one:6.2f} s")
            print(
                f"  diagnose {command} --targets ({len(docs)} judged) {many:6.2f} s"
                f"  ({many / one:.1f}x one domain; target <= 3.00 s)  statuses {statuses},"
                f" exit {code}"
            )


if __name__ == "__main__":
    main()
