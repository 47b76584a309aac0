"""The long fuzz run: every property test with random seeds and many more examples.

Usage: python benchmarks/fuzz.py [--scale N] [--seeds K] [--seed S ...]
The suite itself runs the properties derandomized (tests/conftest.py, profile "ci"), so CI is
deterministic; this hunts. Each seed runs the properties once with HYPOTHESIS_PROFILE=fuzz and
N times their usual example counts, and prints per seed the tests that failed. A failure prints
hypothesis' falsifying example (and a @reproduce_failure blob): make it a fixed regression case
(an @example on the property, or a case in the fixed matrix), fix it, and it stays found.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROPERTIES = (
    "tests/readers/test_fuzz.py",
    "tests/core/test_fuzz.py",
    "tests/families/env/test_env.py",
    "tests/families/build/test_build.py",
)


def run_seed(seed: int, scale: int) -> tuple[float, list[str], str]:
    """Run every property with one seed; return the wall time, the failed tests and the log."""
    env = {**os.environ, "HYPOTHESIS_PROFILE": "fuzz", "DIAGNOSE_FUZZ_SCALE": str(scale)}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "not lab",
         f"--hypothesis-seed={seed}", *PROPERTIES],
        capture_output=True, text=True, cwd=ROOT, env=env, check=False,
    )  # fmt: skip
    failed = re.findall(r"^FAILED (\S+)", proc.stdout, re.M)
    return time.monotonic() - t0, failed, proc.stdout + proc.stderr


def main(argv: list[str] | None = None) -> int:
    """Run K random seeds (or the given ones); exit 1 when any property failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10, help="x the usual example counts")
    parser.add_argument("--seeds", type=int, default=3, help="how many random seeds")
    parser.add_argument("--seed", type=int, action="append", help="run this seed (repeatable)")
    args = parser.parse_args(argv)
    seeds = args.seed or [random.SystemRandom().randrange(2**32) for _ in range(args.seeds)]
    found = 0
    for seed in seeds:
        elapsed, failed, log = run_seed(seed, args.scale)
        print(f"seed {seed:>10}  x{args.scale}  {elapsed:6.1f} s  failed: {len(failed)}")
        for name in failed:
            print(f"    {name}")
        if failed:
            found += len(failed)
            print(log[-4000:])
    print(f"{found} failing properties over {len(seeds)} seeds (re-run one: --seed S)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
