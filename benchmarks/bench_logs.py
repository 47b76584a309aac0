"""Log window and full scan: `diagnose webhooks --log big.jsonl` beside `grep -c webhook`.

Usage: python benchmarks/bench_logs.py [-n RUNS] [--sizes 100,300,1000] [--full]
Generates time-ordered Convex JSONL files (benchmarks/convexgen.py; 10 MiB of records an hour, so
the last hour of the 1 GB file is about 1 % of it) in benchmarks/data/ (gitignored, reused), then:

- window: `diagnose webhooks --log F --since 1h --now NOW` beside `grep -c webhook F` on the same
  file, for every size (target: at most 2x grep, and flat as the file grows);
- full scan (--full): the reader alone (`read_log` over the whole file, in a child process) in
  MB/s and its peak memory (ru_maxrss of the child), and the whole command with a window covering
  the whole file (median wall time of the runs, start-up included, and the largest peak memory;
  targets: 150 MB/s, under 1 GB for the 1 GB file).
Sizes are in MB (10^6 bytes); `--data DIR` puts the files elsewhere.

The commands run with a rules cache of their own (a fresh XDG_CACHE_HOME, warmed by one untimed
run): the user's cache is shared by every checkout on the machine, and a run whose rules differ
replaces it, so concurrent runs elsewhere would make some timed runs parse every rule again.
Beside each window the same command on the file's first record (nothing in the window) is
timed: the start-up (interpreter, imports, rules) that no file size changes, and `window` minus
it is what the window itself costs. The load average is printed before and after: the figures
hold for the load they were measured at.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import convexgen  # noqa: E402 - the generator lives beside this script

HERE = Path(__file__).resolve().parent
NOW = "2026-11-27T12:00:00Z"
READER = """
import json, resource, sys, time
from diagnose.readers.convex import ConvexFormat, read_log
t0 = time.perf_counter()
parsed = read_log(sys.argv[1], ConvexFormat.AUTO, None, None)
elapsed = time.perf_counter() - t0
rows = sum(part.num_rows if hasattr(part, "num_rows") else len(part) for part in parsed.parts)
print(json.dumps({"seconds": elapsed, "rows": rows, "bad": len(parsed.bad),
                  "lines": parsed.lines_read,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


# RUSAGE_CHILDREN is the maximum over every child so far: a fresh parent per measured command.
PEAK = (
    "import resource, subprocess, sys; sys.stdout.write(subprocess.run(sys.argv[1:],"
    " capture_output=True, text=True).stdout);"
    " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


CACHE = tempfile.mkdtemp(prefix="bench-logs-cache-")  # this run's own rules cache
atexit.register(shutil.rmtree, CACHE, True)
ENV = {**os.environ, "XDG_CACHE_HOME": CACHE}


def run(argv: list[str]) -> tuple[float, int, str]:
    """Run a child; return wall seconds, its peak RSS in kB (ru_maxrss) and its stdout."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *argv], capture_output=True, text=True, check=False, env=ENV
    )
    elapsed = time.perf_counter() - t0
    out, _, peak = done.stdout.rstrip("\n").rpartition("\n")
    return elapsed, int(peak or 0), out


def median(argv: list[str], runs: int) -> tuple[float, str]:
    """Return the median wall time and the last stdout."""
    times, out = [], ""
    for _ in range(runs):
        elapsed, _, out = run(argv)
        times.append(elapsed)
    return statistics.median(times), out


def main() -> None:
    """Generate the files, time the window and (with --full) the full scan."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,300,1000", help="file sizes in MB")
    parser.add_argument("--full", action="store_true", help="also the full scan of the largest")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()
    sizes = [int(float(s) * 1_000_000) for s in args.sizes.split(",")]
    files = [convexgen.ensure(args.data, size) for size in sizes]
    diagnose = [sys.executable, "-m", "diagnose", "webhooks", "--now", NOW, "--format", "json"]
    print(f"load average {_load()}; rules cache {CACHE} (warmed by one untimed run)")
    one = Path(CACHE) / "first-record.jsonl"
    with files[0].open("rb") as fh:
        one.write_bytes(fh.readline())
    run([*diagnose, "--log", str(one), "--since", "1h"])  # warms this run's rules cache
    start_s, _ = median([*diagnose, "--log", str(one), "--since", "1h"], args.runs)
    print(f"log window (--since 1h), median of {args.runs} runs; grep -c webhook as the baseline")
    print(f"  start-up: the same command on the file's first record: {start_s:5.2f} s")
    for path in files:
        size = path.stat().st_size
        grep_s, _ = median(["grep", "-c", "webhook", str(path)], args.runs)
        ours_s, out = median([*diagnose, "--log", str(path), "--since", "1h"], args.runs)
        facts = json.loads(out)["facts"] if out else {}
        print(
            f"  {size / 1e6:6.0f} MB  grep {grep_s:5.2f} s   diagnose {ours_s:5.2f} s"
            f"  ({ours_s / grep_s:4.1f}x grep; target <= 2x)"
            f"  window beyond start-up {max(ours_s - start_s, 0):5.2f} s"
            f" ({max(ours_s - start_s, 0) / grep_s:4.1f}x grep)"
            f"  lines read {facts.get('webhook.logs.lines_read')}"
            f" deliveries {facts.get('webhook.logs.deliveries')}"
        )
    if not args.full:
        print(f"load average {_load()}")
        return
    path = files[-1]
    size = path.stat().st_size
    print(f"full scan of {path.name} ({size / 1e6:.0f} MB), {args.runs} runs")
    rates, rss = [], []
    for _ in range(args.runs):
        _, _, out = run([sys.executable, "-c", READER, str(path)])
        got = json.loads(out)
        rates.append(size / got["seconds"] / 1e6)
        rss.append(got["maxrss_kb"])
    grep_s, _ = median(["grep", "-c", "webhook", str(path)], args.runs)
    print(
        f"  reader (read_log, Arrow blocks): median {statistics.median(rates):5.0f} MB/s"
        f" (grep -c: {size / grep_s / 1e6:5.0f} MB/s; target >= 150)"
        f"  peak RSS {max(rss) / 1024:5.0f} MiB (target < 1024)  rows {got['rows']}"
        f" bad {got['bad']}"
    )
    since = "200000h"  # a window covering the whole file
    walls, peaks, out = [], [], ""
    for _ in range(args.runs):
        elapsed, peak, out = run(
            [*diagnose, "--log", str(path), "--since", since, "--timeout", "900"]
        )
        if not out:
            print(f"  whole command: failed after {elapsed:.1f} s")
            return
        walls.append(elapsed)
        peaks.append(peak)
    wall = statistics.median(walls)
    print(
        f"  whole command (--since {since}): median {wall:5.1f} s = {size / wall / 1e6:4.0f} MB/s"
        f" (target >= 150; runs {', '.join(f'{w:.1f}' for w in walls)} s),"
        f" peak RSS {max(peaks) / 1024:5.0f} MiB (target < 1024);"
        f" deliveries {json.loads(out)['facts']['webhook.logs.deliveries']}"
    )
    print(f"load average {_load()}")


def _load() -> str:
    """The 1, 5 and 15 minute load averages, as uptime prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
