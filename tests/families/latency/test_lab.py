"""diagnose latency against the lab over real sockets, and on logs the lab writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from diagnose.lab.latency_app import serve
from diagnose.lab.log_writers import LOG_SCENARIOS, write_scenario
from tests.support.cli import ROOT

pytestmark = pytest.mark.lab  # every test here starts a server or a process

SCALE = 0.04  # lab delays x 0.04: the 2.5 s slow requests take 100 ms
SCALED_BUDGET = 2000 * SCALE


def run(*args: str, cwd: Path = ROOT) -> tuple[int, dict[str, Any] | None, str]:
    """Run diagnose in a subprocess; return the exit code, parsed JSON (if any), stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "diagnose", "latency", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )
    data = json.loads(proc.stdout) if proc.stdout.startswith("{") else None
    return proc.returncode, data, proc.stderr


@pytest.fixture(scope="module")
def scaled_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config whose p95 budget is scaled like the lab's delays."""
    path = tmp_path_factory.mktemp("cfg") / "diagnose.toml"
    path.write_text(f"[budgets]\np95_ms = {SCALED_BUDGET:g}\n", encoding="utf-8")
    return path


LIVE = {
    "slow": ("latency.p95-over-budget", 1),
    "errors": ("latency.error-rate-over-budget", 2),
    "origin-slow": ("latency.origin-slow", 1),
    "cache-miss": ("latency.cache-miss", 1),
}


@pytest.mark.parametrize("scenario", sorted(LIVE))
def test_live_fault_ranks_first(scenario: str, scaled_config: Path) -> None:
    """Each lab fault, sampled live, ranks its own rule first."""
    expected, code = LIVE[scenario]
    with serve(scenario, time_scale=SCALE) as app:
        rc, data, err = run(
            app.url, app.asset_url, "-n", "12", "--config", str(scaled_config), "--format", "json"
        )
    assert data is not None, err
    assert data["findings"][0]["id"] == expected
    assert rc == code


@pytest.mark.parametrize("scenario", ["healthy", "cold-start"])
def test_live_healthy_is_ok(scenario: str, scaled_config: Path) -> None:
    """A healthy app is ok; the cold start's slow first requests are warm-ups, not statistics."""
    with serve(scenario, time_scale=SCALE) as app:
        rc, data, err = run(
            app.url,
            app.asset_url,
            "-n",
            "10",
            "--warmup",
            "1",
            "--config",
            str(scaled_config),
            "--format",
            "json",
        )
    assert data is not None, err
    assert (rc, data["status"], data["findings"]) == (0, "ok", [])
    facts = data["facts"]
    assert facts["latency.sample.count"] == 20
    assert facts["latency.sample.warmup"] == 2
    assert facts["latency.sample.p95_ms"] < SCALED_BUDGET
    first = facts["latency.sample.requests"][0]
    assert first["warmup"] is True
    assert {"dns_ms", "connect_ms", "ttfb_ms", "total_ms", "cache_status"} <= set(first)
    assert first["connect_ms"] is not None  # from httpx's trace events, on a fresh connection


def test_live_text_shows_the_shape(scaled_config: Path) -> None:
    """The text report carries the per-request sparkline and the percentiles."""
    with serve("slow", time_scale=SCALE) as app:
        proc = subprocess.run(
            [sys.executable, "-m", "diagnose", "latency", app.url, "-n", "8"]
            + ["--config", str(scaled_config)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert proc.returncode == 1, proc.stderr
    assert "each request, in order:" in proc.stdout
    assert "latency.sample.sparkline = " in proc.stdout  # quoted as the finding's evidence
    assert "latency.sample.p95_ms" in proc.stdout


def test_unreachable_url_is_an_error_not_a_crash() -> None:
    """A refused connection is a failed request (evidence), and the run ends in time."""
    with serve("healthy") as app:
        url = app.url
    rc, data, err = run(url, "-n", "3", "--warmup", "0", "--timeout", "5", "--format", "json")
    assert data is not None, err
    assert data["findings"][0]["id"] == "latency.error-rate-over-budget"
    assert data["facts"]["latency.sample.error_rate"] == 1.0
    assert rc == 2


@pytest.mark.parametrize("scenario", sorted(LOG_SCENARIOS))
def test_log_scenarios(scenario: str, tmp_path: Path) -> None:
    """Each log fault ranks its id first; healthy logs are ok."""
    files = write_scenario(tmp_path, scenario)
    args = [a for f in files for a in ("--log", str(f))]
    rc, data, err = run(*args, "--format", "json")
    assert data is not None, err
    if scenario == "healthy":
        assert (rc, data["status"]) == (0, "ok")
        return
    expected = {"slow": "p95-over-budget", "errors": "error-rate-over-budget"}.get(
        scenario, scenario
    )
    assert data["findings"][0]["id"] == f"latency.{expected}"
    assert data["facts"]["latency.logs.series"], "the per-minute series is in the JSON"


def test_since_until_window(tmp_path: Path) -> None:
    """--since/--until keep only the spike's minutes: the window's own baseline has no spike."""
    files = write_scenario(tmp_path, "traffic-spike")
    rc, data, err = run(
        "--log",
        str(files[0]),
        "--since",
        "2026-11-27T10:20:00Z",
        "--until",
        "2026-11-27T10:24:59.999Z",
        "--format",
        "json",
    )
    assert data is not None, err
    facts = data["facts"]
    assert facts["latency.logs.window_start"].startswith("2026-11-27T10:20")
    assert facts["latency.logs.requests"] == 5 * 160
    assert facts["latency.logs.spike_factor"] == 1.0
    assert data["findings"][0]["id"] == "latency.error-rate-over-budget"


def test_bad_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    """Broken lines are counted with an example; the rest is analysed."""
    files = write_scenario(tmp_path, "healthy")
    log = files[0]
    with log.open("a", encoding="utf-8") as out:
        out.write("{not json\n")
        out.write('{"EdgeStartTimestamp": "yesterday"}\n')
    rc, data, err = run("--log", str(log), "--format", "json")
    assert data is not None, err
    assert data["facts"]["latency.logs.bad_lines"] == 2
    assert f"{log}:601:" in data["facts"]["latency.logs.bad_examples"][0]
    assert rc == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((), "nothing to measure"),
        (("--log", "/nonexistent/access.log"), "--log /nonexistent/access.log: no such file"),
        (("ftp://example.com",), "bad URL 'ftp://example.com'"),
        (("http://127.0.0.1:9/", "-n", "0"), "bad -n 0"),
        (("--log", "x.log", "--since", "yesterday"), "bad time 'yesterday'"),
    ],
)
def test_bad_input_is_one_line_exit_3(args: tuple[str, ...], needle: str, tmp_path: Path) -> None:
    """Bad input: one clear line, exit 3, no traceback."""
    (tmp_path / "x.log").write_text("", encoding="utf-8")
    rc, _, err = run(*args, cwd=tmp_path)
    assert rc == 3
    assert needle in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_fixture_logs(tmp_path: Path) -> None:
    """The small sample logs in fixtures/latency parse whole, in all three formats."""
    folder = ROOT / "fixtures" / "latency"
    logs = sorted(folder.glob("*.*"))
    assert {p.suffix for p in logs} >= {".jsonl", ".log"}
    args = [a for p in logs for a in ("--log", str(p))]
    rc, data, err = run(*args, "--format", "json")
    assert data is not None, err
    facts = data["facts"]
    assert facts["latency.logs.bad_lines"] == 0
    assert {f["format"] for f in facts["latency.logs.files"]} == {"logpush", "combined", "convex"}
    assert facts["latency.logs.function_calls"] > 0


def test_page_slower_than_the_deadline_allows(tmp_path: Path) -> None:
    """Every default (-n 20, concurrency 4) against a page whose requests do not all fit the
    deadline: the ones not sent or cut are 'not measured', never errors, and the verdict is the
    one the measured requests support (p95 over budget: a warning, not an error rate)."""
    scale = 0.25  # the 2.1 s page answers in 525 ms; 20 at 4 at once need 3.2 s, more than 3 s
    config = tmp_path / "diagnose.toml"
    config.write_text(f"[budgets]\np95_ms = {2000 * scale:g}\n", encoding="utf-8")
    with serve("healthy", time_scale=scale, base_ms=2100, origin_share=None) as app:
        rc, data, err = run(app.url, "--timeout", "3", "--config", str(config), "--format", "json")
    assert data is not None, err
    facts = data["facts"]
    assert [f["id"] for f in data["findings"]] == ["latency.p95-over-budget"], data["findings"]
    assert rc == 1
    assert facts["latency.sample.errors"] == 0
    assert facts["latency.sample.not_measured"] > 0
    assert facts["latency.sample.count"] + facts["latency.sample.not_measured"] == 20
    assert facts["latency.sample.sized_to"] == "deadline"
    seen = facts["checked.latency_sample"]
    assert seen["count"] == facts["latency.sample.count"]
    assert f"{facts['latency.sample.not_measured']} not measured" in seen["detail"]
    # The command the report suggests measures the whole sample within its deadline.
    rerun = facts["latency.sample.rerun"]
    assert f"--timeout {facts['latency.sample.fit_timeout_s']}" in rerun
    assert any("checked by latency_sample" in n for n in data["notes"])


def test_nothing_measured_is_unknown(tmp_path: Path) -> None:
    """A deadline too short for even one answer measures nothing: unknown with the way out.

    The budget is set above what the cut requests had waited: a wait past the budget would be
    evidence (a lower bound on the response time), see the next test.
    """
    config = tmp_path / "diagnose.toml"
    config.write_text("[budgets]\np95_ms = 5000\n", encoding="utf-8")
    with serve("healthy", time_scale=1.0, base_ms=9000) as app:
        rc, data, err = run(
            app.url, "-n", "2", "--warmup", "0", "--timeout", "3", "--format", "json",
            "--config", str(config),
        )  # fmt: skip
    assert data is not None, err
    assert (rc, data["status"], data["findings"]) == (3, "unknown", [])
    assert data["facts"]["checked.latency_sample"]["count"] == 0
    assert any(n.startswith("nothing checked by latency_sample") for n in data["notes"])
    assert data["facts"]["latency.sample.rerun"].endswith("--timeout 9")


def test_a_cut_request_that_waited_past_the_budget_is_slow_not_an_error() -> None:
    """Cut by our deadline after about 4 s against a 2 s budget: over budget for sure, never an
    error. (The deadline leaves a loaded machine seconds of slack past the budget.)"""
    with serve("healthy", time_scale=1.0, base_ms=9000) as app:
        rc, data, err = run(
            app.url, "-n", "2", "--warmup", "0", "--timeout", "5", "--format", "json"
        )
    assert data is not None, err
    assert (rc, data["status"]) == (1, "warning")
    assert [f["id"] for f in data["findings"]] == ["latency.p95-over-budget"]
    assert data["facts"]["latency.sample.errors"] == 0
    assert data["facts"]["latency.sample.slow_unfinished"] == 2
