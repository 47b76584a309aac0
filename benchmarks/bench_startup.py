"""Start-up: `diagnose --help` and `diagnose rules list` against bare `python -c pass`, same run.

Usage: python benchmarks/bench_startup.py [-n RUNS]
Prints the median wall time of each, and the difference to bare Python (target: <= 0.15 s).
Each run is a new process ("cold" interpreter, warm page cache). Measured twice: with compiled
bytecode, as after `pip install` (which compiles every module; here the cache goes to
benchmarks/data/pycache), and with PYTHONDONTWRITEBYTECODE=1 as in some dev shells, where every
import of the project's own modules compiles its source again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "data" / "pycache"
CASES = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "diagnose --help": [sys.executable, "-m", "diagnose", "--help"],
    "diagnose rules list": [sys.executable, "-m", "diagnose", "rules", "list"],
}


def median_time(argv: list[str], runs: int, env: dict[str, str]) -> float:
    """Return the median wall time of running argv `runs` times (each a cold process)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env
        )
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def environments() -> dict[str, dict[str, str]]:
    """The two set-ups: bytecode cached (as installed) and never cached."""
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(CACHE)
    return {
        "bytecode cached (as installed)": cached,
        "PYTHONDONTWRITEBYTECODE=1": {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    }


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--runs", type=int, default=15)
    runs = parser.parse_args().runs
    for label, env in environments().items():
        for argv in CASES.values():  # warm-up: fills the bytecode cache and the page cache
            subprocess.run(argv, capture_output=True, check=True, env=env)
        results = {name: median_time(argv, runs, env) for name, argv in CASES.items()}
        base = results["python -c pass (baseline)"]
        print(f"start-up, {label}, median of {runs} cold runs")
        for name, value in results.items():
            delta = (
                ""
                if value is base
                else f"  (+{value - base:.3f} s over bare Python; target <= 0.150 s)"
            )
            print(f"  {name:28} {value:.3f} s{delta}")


if __name__ == "__main__":
    main()
