"""Progress on stderr: on a terminal only, after a second, never on stdout or through a pipe."""

from __future__ import annotations

import http.server
import io
import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from diagnose.progress import ERASE, Board, wanted
from tests.support.cli import run_cli


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        time.sleep(0.25)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def slow_site() -> Iterator[str]:
    """A site that takes a quarter of a second per answer: latency -n 8 lasts over 2 s."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _env() -> dict[str, str]:
    drop = ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "TERM")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, "TERM": "xterm"}


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal and stdout on a pipe."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "diagnose", *args],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=_env(),
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    return proc.wait(timeout=60), out, seen.decode()


@pytest.mark.lab
def test_progress_on_a_terminal_counts_requests_and_leaves_no_trace(slow_site: str) -> None:
    code, out, err = _on_a_terminal(
        "latency", slow_site, "-n", "8", "--warmup", "0", "--concurrency", "1"
    )
    assert code in (0, 1), err
    assert "running latency_sample (" in err and " of 8 requests)" in err, repr(err)
    # The line is erased before the run ends: the terminal is left clean.
    assert err.rstrip("\r\n").endswith(ERASE) or err.rindex(ERASE) > err.rindex("requests)")
    assert "\x1b" not in out and "running" not in out  # stdout is the report, untouched


@pytest.mark.lab
def test_progress_never_in_json_or_through_a_pipe(slow_site: str) -> None:
    code, out, err = _on_a_terminal(
        "latency", slow_site, "-n", "8", "--warmup", "0", "--concurrency", "1", "--format", "json"
    )
    assert code in (0, 1) and out.lstrip().startswith("{") and "\x1b" not in out
    piped = run_cli(
        "latency", slow_site, "-n", "8", "--warmup", "0", "--concurrency", "1", env={"CI": ""}
    )
    assert "running" not in piped.stderr and "\x1b" not in piped.stderr + piped.stdout


@pytest.mark.lab
def test_a_command_that_runs_no_probe_draws_nothing() -> None:
    # (A probe run under a second draws nothing either: test_board_line_after_a_second below;
    # timing it through a process would be flaky on a loaded machine.)
    code, out, err = _on_a_terminal("rules", "list")
    assert code == 0 and out and err == ""


def test_board_line_after_a_second_with_counts() -> None:
    board = Board()
    board.started("latency_sample")
    board.started("tls")
    board.started("tls")
    t0 = time.monotonic()
    assert board.line(t0 + 0.5) is None  # under a second: silent
    board.step("latency_sample", 4, 10, "requests")
    assert board.line(t0 + 3.2) == (
        "diagnose: 3 s, running latency_sample (4 of 10 requests), tls ×2"
    )
    board.ended("tls")
    board.ended("latency_sample")
    assert board.line(t0 + 4) == "diagnose: 4 s, running tls"
    board.ended("tls")
    assert board.line(t0 + 5) is None


def test_wanted_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    for name in ("CI", "GITHUB_ACTIONS", "TERM"):
        monkeypatch.delenv(name, raising=False)
    assert wanted(Tty()) and not wanted(io.StringIO())
    monkeypatch.setenv("TERM", "dumb")
    assert not wanted(Tty())
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("CI", "true")
    assert not wanted(Tty())
