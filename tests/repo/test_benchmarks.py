"""Each benchmark script runs in its tiny mode: proof that it still works, never a timing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import ROOT

BENCH = ROOT / "benchmarks"


def bench(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.lab
def test_startup_tiny() -> None:
    out = bench("bench_startup.py", "-n", "1")
    assert "diagnose rules list" in out and "over bare Python" in out


@pytest.mark.lab
def test_ssl_tiny() -> None:
    out = bench("bench_ssl.py", "-n", "1")
    assert "sum of its probes" in out


@pytest.mark.lab
def test_fanout_tiny() -> None:
    out = bench("bench_fanout.py", "-n", "1", "--domains", "4")
    assert "--targets (4 judged)" in out


@pytest.mark.lab
def test_logs_tiny(tmp_path: Path) -> None:
    out = bench("bench_logs.py", "-n", "1", "--sizes", "0.3,0.6", "--full", "--data", str(tmp_path))
    assert "x grep" in out and "MB/s" in out and "deliveries" in out


@pytest.mark.parametrize("size", [200_000])
def test_generator_is_time_ordered_convex_jsonl(tmp_path: Path, size: int) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import convexgen
    finally:
        sys.path.remove(str(BENCH))
    from diagnose.readers.convex import ConvexFormat, line_time, read_log

    path = convexgen.write(tmp_path / "g.jsonl", size, bad_every=97)
    times = [line_time(t) for t in path.read_text().splitlines()]
    stamps = [t for t in times if t is not None]
    assert stamps == sorted(stamps) and abs(stamps[-1] - convexgen.NOW.timestamp()) < 60
    parsed = read_log(str(path), ConvexFormat.AUTO, None, None)
    assert len(parsed.bad) == len(times) // 97 and parsed.rows
