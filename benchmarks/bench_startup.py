"""Start-up: `diagnose --help` and `diagnose rules list` against bare `python -c pass`, same run.

Usage: python benchmarks/bench_startup.py [-n RUNS]
Prints the median wall time of each, and the difference to bare Python (target: <= 0.15 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "diagnose --help": [sys.executable, "-m", "diagnose", "--help"],
    "diagnose rules list": [sys.executable, "-m", "diagnose", "rules", "list"],
}


def median_time(argv: list[str], runs: int) -> float:
    """Return the median wall time of running argv `runs` times (each a cold process)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--runs", type=int, default=15)
    runs = parser.parse_args().runs
    results = {name: median_time(argv, runs) for name, argv in CASES.items()}
    base = results["python -c pass (baseline)"]
    print(f"start-up, median of {runs} cold runs")
    for name, value in results.items():
        delta = "" if value is base else f"  (+{value - base:.3f} s over bare Python; target <= 0.150 s)"
        print(f"  {name:28} {value:.3f} s{delta}")


if __name__ == "__main__":
    main()
