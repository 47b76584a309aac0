"""The attack table of docs/reliability.md: issue 21's attacks run against the real CLI.

Usage: python benchmarks/attacks.py [--timeout S] [--only TEXT]
Each attack runs `python -m diagnose ...` in a child process behind a wrapper that reports the
child's peak RSS; the table prints the exit code, wall time, peak RSS and whether the defence
held (the expected exit, within --timeout + start-up, under 200 MB, nothing leaked, nothing
overwritten). The first row is the baseline: `diagnose --version` in the same run, so start-up
on this machine is read beside every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's diagnose, not an installed one
MAX_RSS_MB = 200
# Wall time beyond --timeout + 1 s that start-up may take (imports on a loaded 2-core machine):
# a hang guard; the promise itself is checked on the run's own clock.
HANG_GUARD_S = 10.0
NOW = "2026-11-27T10:00:30Z"
SECRET = "sk_live_Zq9_x<K&t*m_P2Wv"
HANG_S = 60  # a child still running after this is killed and its row says "hang"
_WRAPPER = (
    "import json, resource, subprocess, sys\n"
    "try:\n"
    f"    p = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout={HANG_S})\n"
    "    code, out, err = p.returncode, p.stdout, p.stderr\n"
    "except subprocess.TimeoutExpired:\n"
    "    code, out, err = 'hang', '', 'hang: killed'\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(json.dumps({'code': code, 'kb': peak,"
    " 'out': out[-20000:], 'err': err[-2000:]}))\n"
)


@dataclass(frozen=True)
class Attack:
    """One row: the issue's point, what is tried, the command, and what must hold."""

    point: str
    name: str
    args: Callable[[Path], list[str]]
    expect: Callable[[dict, Path], bool]
    env: dict[str, str] | None = None
    stdin: str | None = None  # a path the child reads as its stdin (/dev/zero: endless)


def run(
    args: list[str], env: dict[str, str] | None, cwd: Path, stdin: str | None = None
) -> tuple[dict, float]:
    """Run the CLI once; return its code, output, peak RSS (kB) and the wall time."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        t0 = time.monotonic()
        source = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115
        try:
            subprocess.run(
                [sys.executable, "-c", _WRAPPER, report.name, sys.executable, "-m", "diagnose", *args],
                env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), **(env or {})},
                cwd=cwd, timeout=HANG_S + 60, check=True, stdin=source,
            )  # fmt: skip
        finally:
            if stdin:
                source.close()
        elapsed = time.monotonic() - t0
        return json.loads(Path(report.name).read_text()), elapsed


def _run_s(got: dict) -> float | None:
    """The run's own seconds (the diagnosis' started_at .. finished_at), when it wrote JSON."""
    from datetime import datetime

    try:
        doc = json.loads(got["out"])
        start, end = (datetime.fromisoformat(doc[k]) for k in ("started_at", "finished_at"))
    except (ValueError, KeyError, TypeError):
        return None
    return (end - start).total_seconds()


def _refused(got: dict, _tmp: Path) -> bool:
    lines = [ln for ln in got["err"].splitlines() if ln.strip()]
    return got["code"] == 3 and len(lines) == 1 and "internal error" not in got["err"]


def _no_secret(got: dict, _tmp: Path) -> bool:
    from diagnose.redact import escaped_forms

    text = got["out"] + got["err"]
    return not any(form in text for form in escaped_forms(SECRET))


def _strict_json(got: dict, _tmp: Path) -> bool:
    """The output parses as JSON with NaN, Infinity and -Infinity refused (RFC 8259)."""

    def refuse(name: str) -> None:
        raise ValueError(name)

    try:
        json.loads(got["out"], parse_constant=refuse)
    except ValueError:
        return False
    return "internal error" not in got["err"]


def _judged(rule: str) -> Callable[[dict, Path], bool]:
    """The run wrote its JSON and judged the rule (fired, quiet or inconclusive by the facts)."""

    def check(got: dict, _tmp: Path) -> bool:
        try:
            doc = json.loads(got["out"])
        except ValueError:
            return False
        judged = {f["id"] for f in doc["findings"]} | set(doc["quiet"])
        return rule in judged

    return check


def _ended(got: dict, _tmp: Path) -> bool:
    """One clear line or a report, never an internal error (an endless stdin may be either)."""
    return "internal error" not in got["err"] and "Traceback" not in got["err"]


def _bounded_err(got: dict, _tmp: Path) -> bool:
    """Never an internal error, and no stderr line quotes more than 1,000 characters of input."""
    return _ended(got, _tmp) and all(len(ln) <= 1200 for ln in got["err"].splitlines())


def _victim_intact(got: dict, tmp: Path) -> bool:
    return (tmp / "victim").read_text() == "precious\n" and got["code"] == 3


HUGE_LINE_MB = 100
PLANTED = (".env", ".env.local", "convex/auth.config.ts", ".github/workflows/deploy.yml")


def _plant(path: Path, kind: str, tmp: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero" if kind == "zero" else tmp / "huge-line")


def _setup(tmp: Path, timeout: float) -> None:
    os.mkfifo(tmp / "fifo")
    with (tmp / "huge-line").open("wb") as fh:  # one 100 MB line, no newline
        block = b"A" * (1 << 20)
        for _ in range(HUGE_LINE_MB):
            fh.write(block)
    for kind in ("fifo", "zero", "huge"):
        project = tmp / f"project-{kind}"
        (project / "convex").mkdir(parents=True)
        (project / ".github" / "workflows").mkdir(parents=True)
        (project / "package.json").write_text(
            '{"name": "dashtray", "scripts": {"build": "vite build"}}'
        )
        for planted in PLANTED:
            _plant(project / planted, kind, tmp)
    (tmp / "victim").write_text("precious\n")
    (tmp / "link").symlink_to(tmp / "victim")
    bomb = tmp / "rules" / "bomb"
    bomb.mkdir(parents=True)
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)
    ]
    (bomb / "boom.yaml").write_text("\n".join(levels) + "\ntitle: boom\n")
    good = (ROOT / "fixtures" / "latency" / "http_requests.jsonl").read_text()
    first = good.splitlines()[0].rstrip("}")
    (tmp / "nan.jsonl").write_text(good + first + ', "EdgeTimeToFirstByteMs": NaN}\n')
    slow = tmp / "user-rules" / "mine"
    slow.mkdir(parents=True)
    (slow / "slow.yaml").write_text(
        "title: A catastrophic pattern\nseverity: warning\nconfidence: low\n"
        "when:\n  all:\n    - {fact: build.failed, op: is_true}\n"
        "    - {fact: build.error_lines, op: matches, value: '(a+)+$'}\n"
        "message: the log says so\nremediation: [read the log]\n"
    )
    (tmp / "aab.log").write_text(
        "$ pnpm run build\n\n> tsc --noEmit && vite build\n\n" + "a" * 34 + "b\n\n"
        " ELIFECYCLE  Command failed with exit code 2.\n"
    )
    (tmp / "huge-int.jsonl").write_text(
        good + first + ', "EdgeResponseBytes": ' + "9" * 5000 + "}\n"
    )


def attacks(timeout: float) -> list[Attack]:
    """Every row of the table."""
    t = ["--timeout", str(timeout)]
    endless: dict[str, Callable[[str], list[str]]] = {
        "replay": lambda f: ["replay", f],
        "incident attach": lambda f: ["incident", "attach", "INC-1", f],
        "webhooks replay --capture": lambda f: [
            "webhooks", "replay", "msg_1", "--capture", f, "--to", "http://127.0.0.1:9/"
        ],
        "--config": lambda f: ["smoke", "--url", "http://127.0.0.1:9/", "--config", f, *t],
        "checklist post-deploy --log": lambda f: ["checklist", "post-deploy", "--log", f, *t],
        "ssl --ca-file": lambda f: ["ssl", "dashtray.test", "--ca-file", f, *t],
        "dns --targets": lambda f: ["dns", "--targets", f, *t],
        "webhooks --log": lambda f: ["webhooks", "--log", f, *t],
        "webhooks --capture": lambda f: ["webhooks", "--capture", f, *t],
        "latency --log": lambda f: ["latency", "--log", f, *t],
        "build": lambda f: ["build", f, *t],
    }  # fmt: skip
    endless |= {
        "ssl --targets": lambda f: ["ssl", "--targets", f, *t],
        "latency --ca-file": lambda f: ["latency", "http://127.0.0.1:9/", "--ca-file", f, *t],
        "env --env-file": lambda f: ["env", "--env-file", f, *t],
        "env --convex-env": lambda f: ["env", "--convex-env", f, *t],
    }  # fmt: skip
    rows: list[Attack] = []
    for name, build in endless.items():
        rows.append(Attack("13", f"{name} /dev/zero", lambda _t, b=build: b("/dev/zero"), _refused))
        rows.append(
            Attack("14", f"{name} FIFO", lambda tmp, b=build: b(str(tmp / "fifo")), _refused)
        )
        rows.append(Attack("19", f"{name} 100 MB line", lambda tmp, b=build: b(str(tmp / "huge-line")),
                           _bounded_err))  # fmt: skip
    stdin = {
        "replay -": ["replay", "-", *t],
        "incident attach -": ["incident", "attach", "INC-1", "-"],
        "dns --targets -": ["dns", "--targets", "-", *t],
        "build -": ["build", "-", *t],
        "latency --log -": ["latency", "--log", "-", *t],
        "webhooks --log -": ["webhooks", "--log", "-", *t],
    }
    for name, argv in stdin.items():
        rows.append(
            Attack("13", f"{name} < /dev/zero", lambda _t, a=argv: a, _ended, stdin="/dev/zero")
        )
    projects = {
        "env --project": lambda d: ["env", "--project", d, *t],
        "checklist pre-deploy --project": lambda d: ["checklist", "pre-deploy", "--project", d, *t],
    }
    for name, build in projects.items():
        for kind, what in (
            ("fifo", "FIFOs"),
            ("zero", "/dev/zero links"),
            ("huge", "100 MB lines"),
        ):
            rows.append(Attack("13", f"{name}: {what} as files",
                               lambda tmp, b=build, k=kind: b(str(tmp / f"project-{k}")), _ended))  # fmt: skip
    rows += [
        Attack("15", "rules lint: alias bomb", lambda tmp: ["rules", "lint", str(tmp / "rules")],
               lambda g, _t: g["code"] != 0 and "aliases" in g["out"] + g["err"]),
        Attack("17", "latency --log: a 5,000-digit integer",
               lambda tmp: ["latency", "--log", str(tmp / "huge-int.jsonl"), "--format", "json", "--now", NOW, *t],
               lambda g, _t: "internal error" not in g["err"] and bool(json.loads(g["out"]))),
        Attack("18", "latency --log: NaN", lambda tmp: ["latency", "--log", str(tmp / "nan.jsonl"),
               "--format", "json", "--now", NOW, *t],
               _strict_json),
        Attack("16", "rules lint: (a+)+$ in a user rule", lambda tmp: ["rules", "lint", str(tmp / "user-rules")],
               lambda g, _t: g["code"] == 0),
        Attack("16", "build --rules: (a+)+$ on 34 a's and a b",
               lambda tmp: ["build", str(tmp / "aab.log"), "--rules", str(tmp / "user-rules"),
                            "--format", "json", *t], _judged("mine.slow")),
        Attack("4", "stderr: URL with password and token",
               lambda _t: ["smoke", "--url", f"http://u:{SECRET}@127.0.0.1:99999/?token={SECRET}", *t],
               _no_secret),
        Attack("20", "--output through a planted symlink",
               lambda tmp: ["build", str(ROOT / "fixtures" / "build" / "healthy.gha.log"),
                            "--output", str(tmp / "link"), *t], _victim_intact),
        Attack("23", "--attach webhook:http://u:p@127.0.0.1:1x/",
               lambda _t: ["build", str(ROOT / "fixtures" / "build" / "healthy.gha.log"),
                           "--attach", "webhook:http://u:p@127.0.0.1:1x/", *t], _refused),
    ]  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 when a defence did not hold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--only", help="run the attacks whose name contains this text")
    args = parser.parse_args(argv)
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        _setup(tmp, args.timeout)
        base, base_s = run(["--version"], None, tmp)
        print(f"{'point':>5}  {'attack':56} exit  wall s  run s   RSS MB  held")
        print(f"{'-':>5}  {'baseline: diagnose --version':56} {base['code']:>4}  {base_s:6.1f}  "
              f"{'-':>5}  {base['kb'] / 1024:7.0f}  -")  # fmt: skip
        env = {"DIAGNOSE_INCIDENT_DB": str(tmp / "incidents.db"), "DIAGNOSE_LAB_DIR": str(tmp)}
        for attack in attacks(args.timeout):
            if args.only and args.only not in attack.name:
                continue
            got, elapsed = run(attack.args(tmp), {**env, **(attack.env or {})}, tmp, attack.stdin)
            rss = got["kb"] / 1024
            run_s = _run_s(got)
            held = (
                got["code"] != "hang"
                and attack.expect(got, tmp)
                and rss < MAX_RSS_MB
                and (run_s is None or run_s < args.timeout + 1)
                and elapsed < args.timeout + 1 + HANG_GUARD_S
            )
            failed += not held
            shown = "-" if run_s is None else f"{run_s:.1f}"
            print(f"{attack.point:>5}  {attack.name:56} {got['code']:>4}  {elapsed:6.1f}  "
                  f"{shown:>5}  {rss:7.0f}  {'yes' if held else 'NO'}")  # fmt: skip
    print(f"{failed} defences did not hold")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
