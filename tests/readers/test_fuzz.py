"""Fuzzing every reader: hostile files become a diagnosis (bad parts counted) or one BadInput line.

Hypothesis drives each reader through the probe (or the command's own file reader) that uses it,
in this process: the outcome must be facts that serialise to JSON, or `BadInput`; any other
exception is a bug. A fixed matrix of hostile files (random bytes, truncation, latin-1, UTF-16,
a 5 MB line, deep nesting) then drives the commands themselves through `diagnose.cli.main`, and a
few of them through a real subprocess. `test_zz_cases_tried` prints how many cases ran.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnose.errors import BadInput
from diagnose.families import make_probe
from diagnose.families.webhooks.options import DEFAULT_SECRET_ENV, WebhooksOptions
from diagnose.probe import FactSink, ProbeContext
from tests.conftest import FUZZ_SCALE
from tests.support.cli import ROOT, Result, run_cli

EXAMPLES = 120
FUZZ = settings(
    max_examples=EXAMPLES * FUZZ_SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TRIED: Counter[str] = Counter()
# Bugs in files this suite may not change, each with an xfail reproducer below: counted, not hidden.
KNOWN: Counter[str] = Counter()
FIX = ROOT / "fixtures"
SAMPLES: dict[str, list[Path]] = {
    "convex_logs": [
        FIX / "webhooks" / "convex-handler-errors.jsonl",
        FIX / "webhooks" / "convex-healthy.log",
        FIX / "webhooks" / "log-stream-signature-failures.json",
    ],
    "captures": [FIX / "webhooks" / "deliveries.har"],
    "build": sorted((FIX / "build").glob("*.log")),
    "latency": sorted((FIX / "latency").glob("*.*")),
    "dotenv": [
        FIX / "projects" / "complete" / "convex.env",
        *sorted((FIX / "projects" / "convex-env").glob("*.env")),
    ],
}
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _encode(text: str, how: str) -> bytes:
    if how == "latin-1":
        return text.encode("latin-1", "replace")
    if how == "utf-16":
        return text.encode("utf-16")
    return text.encode("utf-8")


@st.composite
def hostile_bytes(draw: st.DrawFn, family: str) -> bytes:
    """A real sample of the family, mutated; or random bytes; or a pathological shape."""
    kind = draw(st.sampled_from(["mutate", "mutate", "mutate", "random", "shape"]))
    if kind == "random":
        return draw(st.binary(max_size=2000))
    if kind == "shape":
        n = draw(st.integers(1, 3000))
        return draw(
            st.sampled_from(
                [
                    b"[" * n + b"]" * n,
                    b'{"a":' * n + b"1" + b"}" * n,
                    (b'{"logLines": ' + b"[" * n + b"]" * n + b"}\n") * 2,
                    b"\n" * n,
                    b"\r" * n,
                    b"\xff\xfe" + b"\x00" * n,
                    b"x" * (n * 100),
                ]
            )
        )
    sample = draw(st.sampled_from(SAMPLES[family]))
    text = sample.read_text(encoding="utf-8")[:6000]
    data = _encode(text, draw(st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16"])))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["truncate", "insert", "delete", "dup-line"]))
        at = draw(st.integers(0, len(data)))
        if op == "truncate":
            data = data[:at]
        elif op == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 200)) :]
        else:
            lines = data.splitlines(keepends=True) or [b""]
            line = lines[at % len(lines)]
            data = data + line * draw(st.integers(1, 50))
    return data


def collect(
    probe: str, options: dict[str, Any], known: tuple[type[Exception], ...] = ()
) -> dict[str, Any]:
    """Run one probe in this process; return its facts, checked to be JSON."""
    p = make_probe(probe)
    # What a command's plan would pass besides the file: the options classes' defaults.
    defaults = {
        "request_timeout": 10.0,
        "function_match": WebhooksOptions.function_match,
        "log_format": WebhooksOptions.log_format,
        "tolerance_s": WebhooksOptions.tolerance_s,
        "secret_env": DEFAULT_SECRET_ENV[0],
        "secret_envs": list(DEFAULT_SECRET_ENV),
    }
    ctx = ProbeContext(
        options={"timeout": 30, **defaults, **options}, now=NOW, deadline=time.monotonic() + 30
    )
    sink = FactSink(p.name, p.provides)
    try:
        p.collect(ctx, sink)
    except BadInput as exc:
        assert "\n" not in str(exc)
        return {}
    except known as exc:
        KNOWN[f"{probe}: {type(exc).__name__}"] += 1
        return {}
    facts = sink.close()
    json.dumps(facts)
    return facts


def _file(tmp_path: Path, data: bytes, name: str = "input") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@FUZZ
@given(hostile_bytes("convex_logs"), st.sampled_from(["auto", "jsonl", "stream", "text"]))
def test_convex_logs(tmp_path: Path, data: bytes, fmt: str) -> None:
    """Convex JSONL, log-stream JSON and text logs (the webhooks --log reader)."""
    TRIED["convex logs (jsonl, stream, text)"] += 1
    facts = collect(
        "webhook_logs",
        {"logs": [_file(tmp_path, data)], "log_format": fmt, "since": None, "until": NOW},
    )
    if facts:
        assert facts["webhook.logs.bad_lines"] >= 0


@FUZZ
@given(hostile_bytes("captures") | hostile_bytes("convex_logs"))
def test_captures(tmp_path: Path, data: bytes) -> None:
    """HAR and JSON-lines captures, verified with a secret (the webhooks --capture reader)."""
    TRIED["captures (HAR, JSON lines)"] += 1
    collect("webhook_captures", {"captures": [_file(tmp_path, data)], "secret": SECRET})


@FUZZ
@given(hostile_bytes("build"))
def test_build_logs(tmp_path: Path, data: bytes) -> None:
    """Build logs, read as `diagnose build` reads them, then parsed and triaged."""
    from diagnose.families.build.plan import read_log

    TRIED["build logs"] += 1
    try:
        text = read_log(_file(tmp_path, data))
    except BadInput:
        return
    collect("buildlog", {"log_text": text, "log_source": "fuzz.log"})


@FUZZ
@given(hostile_bytes("latency"))
def test_latency_logs(tmp_path: Path, data: bytes) -> None:
    """Cloudflare Logpush, Common/Combined access logs and Convex JSONL (latency --log)."""
    TRIED["latency logs (Logpush, access, Convex)"] += 1
    collect("latency_logs", {"latency_logs": [_file(tmp_path, data)]})


@FUZZ
@given(hostile_bytes("dotenv"), st.booleans())
def test_env_sources(tmp_path: Path, data: bytes, convex: bool) -> None:
    """`convex env list` output and .env files, read as `diagnose env` reads them."""
    from diagnose.families.env.check import source_from_text
    from diagnose.families.env.plan import read_text as _read
    from diagnose.families.env.scan import Scope

    TRIED["convex env list / dotenv"] += 1
    try:
        text = _read(_file(tmp_path, data), "--convex-env")
    except BadInput:
        return
    scope = Scope.CONVEX if convex else Scope.BUILD
    source = source_from_text(text, "fuzz", scope, True)
    collect(
        "envvars",
        {"project_dir": str(FIX / "projects" / "complete"), "sources": [source]},
    )


# The fixed matrix: hostile files through the commands themselves.


def _shapes() -> dict[str, bytes]:
    har = (FIX / "webhooks" / "deliveries.har").read_text()
    jsonl = (FIX / "webhooks" / "convex-handler-errors.jsonl").read_text()
    return {
        "random": bytes(range(256)) * 8,
        "truncated-har": har[: len(har) // 2].encode(),
        "truncated-jsonl": jsonl[: len(jsonl) // 2 + 7].encode(),
        "latin-1": "DODO_PAYMENTS_WEBHOOK_KEY=caf\xe9\nSITE_URL=https://dashtray.com\n".encode(
            "latin-1"
        ),
        "utf-16": jsonl.encode("utf-16"),
        "huge-line": b'{"kind": "Completion", "identifier": "' + b"x" * (5 << 20) + b'"}\n',
        "deep-nesting": b"[" * 200_000 + b"]" * 200_000,
    }


COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "webhooks --log": lambda f: ["webhooks", "--log", f],
    "webhooks --capture": lambda f: ["webhooks", "--capture", f],
    "build": lambda f: ["build", f],
    "env --convex-env": lambda f: ["env", "--convex-env", f],
    "env --env-file": lambda f: ["env", "--env-file", f],
    "latency --log": lambda f: ["latency", "--log", f],
}


def check_outcome(code: int, out: str, err: str) -> None:
    """A diagnosis whose probes all ran, or one clear line and exit 3; never a traceback."""
    assert "Traceback" not in out + err
    assert "internal error" not in err, err
    if code == 3 and not out.strip():
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("diagnose: "), err
        return
    doc = json.loads(out)
    assert code in (0, 1, 2, 3)
    bad = [p for p in doc["probes"] if p["status"] != "ok"]
    assert not bad, bad


# (command, shape) -> why it fails today, for bugs in files this suite may not change.
XFAIL: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize(
    ("command", "shape"),
    [
        pytest.param(
            c,
            s,
            marks=[pytest.mark.xfail(reason=XFAIL[c, s], strict=False)] if (c, s) in XFAIL else [],
        )
        for c in COMMANDS
        for s in _shapes()
    ],
)
def test_commands_on_hostile_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, shape: str
) -> None:
    from diagnose.cli import main

    TRIED["commands x hostile files (in process)"] += 1
    path = _file(tmp_path, _shapes()[shape], f"{shape}.input")
    with pytest.raises(SystemExit) as done:
        main([*COMMANDS[command](path), "--format", "json", "--now", "2026-11-27T10:00:00Z"])
    captured = capsys.readouterr()
    check_outcome(int(done.value.code or 0), captured.out, captured.err)


@pytest.mark.lab
@pytest.mark.parametrize(
    ("command", "shape"),
    [("webhooks --log", "utf-16"), ("build", "random"), ("webhooks --capture", "deep-nesting")],
)
def test_commands_on_hostile_files_subprocess(tmp_path: Path, command: str, shape: str) -> None:
    TRIED["commands x hostile files (subprocess)"] += 1
    path = _file(tmp_path, _shapes()[shape], f"{shape}.input")
    result: Result = run_cli(*COMMANDS[command](path), "--format", "json")
    check_outcome(result.code, result.stdout, result.stderr)


@pytest.mark.parametrize("fmt", ["auto", "jsonl", "stream"])
def test_convex_jsonl_deep_nesting(tmp_path: Path, fmt: str) -> None:
    from diagnose.readers.convex import ConvexFormat, read_log

    path = _file(tmp_path, b"[" * 5000 + b"]" * 5000 + b"\n")
    parsed = read_log(path, ConvexFormat(fmt), None, None)
    assert len(parsed.bad) == 1


def test_convex_truncated_gzip(tmp_path: Path) -> None:
    import gzip

    from diagnose.readers.convex import ConvexFormat, read_log

    whole = gzip.compress((FIX / "webhooks" / "convex-handler-errors.jsonl").read_bytes())
    path = _file(tmp_path, whole[: len(whole) // 2], "convex.jsonl.gz")
    parsed = read_log(path, ConvexFormat.AUTO, None, None)
    assert parsed.lines_read > 0


def test_zz_cases_tried() -> None:
    """Print the count docs/reliability.md quotes (pytest -s); runs last in this file."""
    total = sum(TRIED.values())
    for name, n in sorted(TRIED.items()):
        print(f"{name:45} {n:5}")
    print(f"{'cases tried':45} {total:5}")
    for name, n in sorted(KNOWN.items()):
        print(f"known bug hit (xfail above): {name} x{n}")
    if len(TRIED) >= 5:  # the whole file ran, not a -k selection
        assert total >= 5 * 50
