"""Accuracy on every corpus in the repo: top-1, top-3 and healthy-quiet per family.

    python benchmarks/accuracy.py [--family build] [--verbose] [--json]

Each case is a folder corpus/<family>/<case>/ with the material untouched and a case.toml
(source, expect, why, args; see corpus/README.md). The diagnosis runs in this process (the
command line of `args`), and its ranked findings are scored against `expect`. Beside the figures
the script prints a baseline run in the same process: the majority guess (always the family's
most frequent expected id), so a figure can be read against what knowing nothing scores.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
HEALTHY = "healthy"


@dataclass(frozen=True)
class Case:
    """One corpus case as case.toml describes it."""

    family: str
    name: str
    folder: Path
    expect: str
    args: tuple[str, ...]
    source: str
    why: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What diagnose said about one case."""

    case: Case
    code: int
    ids: tuple[str, ...]  # ranked: warning or worse first, as the report lists them
    status: str
    error: str = ""
    seconds: float = 0.0

    @property
    def crashed(self) -> bool:
        """An internal error or a traceback: never acceptable."""
        return "internal error" in self.error or "Traceback" in self.error

    @property
    def top1(self) -> bool:
        """The expected cause first (or, for a healthy case, status ok)."""
        if self.case.expect == HEALTHY:
            return self.status == "ok"
        return bool(self.ids) and self.ids[0] == self.case.expect

    @property
    def top3(self) -> bool:
        """The expected cause among the first three (healthy: status ok)."""
        if self.case.expect == HEALTHY:
            return self.status == "ok"
        return self.case.expect in self.ids[:3]

    @property
    def false_ok(self) -> bool:
        """A broken case reported as ok: the worst kind of miss."""
        return self.case.expect != HEALTHY and self.status == "ok"


def load_cases(family: str | None = None) -> list[Case]:
    """Every case under corpus/ (or one family's), sorted."""
    found = []
    for toml in sorted(CORPUS.glob("*/*/case.toml")):
        fam = toml.parent.parent.name
        if family and fam != family:
            continue
        data = tomllib.loads(toml.read_text(encoding="utf-8"))
        found.append(
            Case(
                family=fam,
                name=toml.parent.name,
                folder=toml.parent,
                expect=str(data["expect"]),
                args=tuple(str(a) for a in data["args"]),
                source=str(data["source"]),
                why=str(data["why"]),
                data=data,
            )
        )
    return found


def _harness(family: str) -> Any:
    """corpus/<family>/harness.py, when the family needs servers or files made per case."""
    path = CORPUS / family / "harness.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"corpus_harness_{family}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def prepared(case: Case) -> Iterator[dict[str, str]]:
    """The values {case} and whatever the family's harness provides (a server's address)."""
    values = {"case": str(case.folder)}
    harness = _harness(case.family)
    if harness is None or not hasattr(harness, "prepare"):
        yield values
        return
    with harness.prepare(case) as extra:
        yield {**values, **extra}


def run_diagnose(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in this process; return (exit code, stdout, stderr)."""
    from diagnose.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 3
    return code, out.getvalue(), err.getvalue()


def run_case(case: Case) -> Outcome:
    """Diagnose one case with --format json and read the ranked ids."""
    t0 = time.perf_counter()
    with prepared(case) as values:
        argv = [a.format(**values) for a in case.args] + ["--format", "json"]
        code, out, err = run_diagnose(argv)
    seconds = time.perf_counter() - t0
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        return Outcome(case, code, (), "unknown", err.strip() or out[:200], seconds)
    ids = tuple(
        f["id"] for f in doc.get("findings", []) if f.get("severity") in ("critical", "warning")
    )
    return Outcome(case, code, ids, str(doc.get("status")), err.strip(), seconds)


def score(outcomes: list[Outcome]) -> dict[str, Any]:
    """Figures for one family."""
    broken = [o for o in outcomes if o.case.expect != HEALTHY]
    healthy = [o for o in outcomes if o.case.expect == HEALTHY]
    majority = Counter(o.case.expect for o in outcomes).most_common(1)[0][0] if outcomes else ""
    return {
        "cases": len(outcomes),
        "top1": sum(o.top1 for o in outcomes) / len(outcomes) if outcomes else 0.0,
        "top3": sum(o.top3 for o in outcomes) / len(outcomes) if outcomes else 0.0,
        "healthy": len(healthy),
        "healthy_quiet": sum(o.status == "ok" for o in healthy),
        "false_ok": sum(o.false_ok for o in broken),
        "crashes": sum(o.crashed for o in outcomes),
        "baseline_top1": (
            sum(o.case.expect == majority for o in outcomes) / len(outcomes) if outcomes else 0.0
        ),
        "baseline_guess": majority,
        "median_s": sorted(o.seconds for o in outcomes)[len(outcomes) // 2] if outcomes else 0.0,
        "misses": [
            {
                "case": o.case.name,
                "expect": o.case.expect,
                "got": list(o.ids[:3]),
                "status": o.status,
            }
            for o in outcomes
            if not o.top1
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures per family (and the misses with --verbose)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    by_family: dict[str, list[Outcome]] = {}
    for case in load_cases(args.family):
        by_family.setdefault(case.family, []).append(run_case(case))
    figures = {fam: score(outs) for fam, outs in by_family.items()}
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{'family':<10} {'cases':>5} {'top-1':>7} {'top-3':>7} {'healthy quiet':>14} "
          f"{'failed ok':>9} {'crash':>5} {'median':>7}   baseline (majority guess) top-1")  # fmt: skip
    for fam, f in figures.items():
        quiet = f"{f['healthy_quiet']}/{f['healthy']}"
        print(
            f"{fam:<10} {f['cases']:>5} {f['top1']:>7.1%} {f['top3']:>7.1%} {quiet:>14} "
            f"{f['false_ok']:>9} {f['crashes']:>5} {f['median_s']:>6.2f}s   "
            f"{f['baseline_top1']:.1%} ({f['baseline_guess']})"
        )
        if args.verbose:
            for miss in f["misses"]:
                print(
                    f"    miss {miss['case']}: expected {miss['expect']}, got {miss['got']} ({miss['status']})"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
