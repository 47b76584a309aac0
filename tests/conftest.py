"""Shared fixtures (the lab app, per-test endpoint checks) and the `lab` marker's bookkeeping."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests are derandomized unless asked otherwise: a green CI must not turn red by chance.
# The hunt for new cases is benchmarks/fuzz.py (profile "fuzz", random seeds); what it finds
# becomes a fixed @example or a case in a test, and so stays found.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("fuzz", derandomize=False, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# How many times the fuzz properties' example counts the fuzz run multiplies.
FUZZ_SCALE = max(1, int(os.environ.get("DIAGNOSE_FUZZ_SCALE", "1") or 1))

# Every test session gets its own data folder (platformdirs reads XDG_DATA_HOME): no incident or
# deployment record of the user's own diagnose, or of another run, can reach a diagnosis here.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="diagnose-tests-data-")

# The developer's own credentials never reach a test, nor a process a test starts: with them a
# source would turn on by itself (a test's verdict would depend on the machine) and could send a
# real token off loopback from a subprocess, where the network guard does not reach. Tests of a
# source set what they need themselves.
CREDENTIALS = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_ACCOUNT_ID",
    "DODO_PAYMENTS_API_KEY",
    "CONVEX_DEPLOY_KEY",
    "CONVEX_SELF_HOSTED_URL",
    "CONVEX_SELF_HOSTED_ADMIN_KEY",
)
for _name in CREDENTIALS:
    os.environ.pop(_name, None)
# `gh auth token` reads its login from GH_CONFIG_DIR: an empty one is "not logged in".
os.environ["GH_CONFIG_DIR"] = tempfile.mkdtemp(prefix="diagnose-tests-gh-")

# Every test, lab or not, may reach 127.0.0.1 and ::1 only (DNS included).
pytest_plugins = ("tests.support.network",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that takes the `lab` fixture starts a lab server: mark it `lab` without being told."""
    for item in items:
        if "lab" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.lab)


def _refuse(item: pytest.Item) -> Callable[..., NoReturn]:
    def refuse(*_args: object, **_kwargs: object) -> NoReturn:
        raise RuntimeError(f"{item.nodeid} starts a process or a server: mark it @pytest.mark.lab")

    return refuse


@contextmanager
def _in_process_only(item: pytest.Item) -> Iterator[None]:
    """A test not marked `lab` may start no process and bind no socket, its fixtures included.

    This keeps `pytest -m "not lab"` what it claims to be: the in-process tests.
    """
    if item.get_closest_marker("lab") is not None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess, "Popen", _refuse(item))
        patch.setattr(socket.socket, "bind", _refuse(item))
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Setup (module and session fixtures too) runs under the in-process guard."""
    with _in_process_only(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """The test body runs under the in-process guard."""
    with _in_process_only(item):
        return (yield)


# A skip whose reason says CI installs the tool: in CI (.ci/run sets DIAGNOSE_REQUIRE_TOOLS=1)
# it is a failure, so a green CI means the interoperability tests ran, not that they were skipped.
CI_TOOL_SKIP = ("scripts/ci/", "CI installs", "CI runs")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Turn a missing-tool skip into a failure when the run requires the tools."""
    report = yield
    if report.skipped and os.environ.get("DIAGNOSE_REQUIRE_TOOLS") == "1":
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if any(mark in reason for mark in CI_TOOL_SKIP):
            report.outcome = "failed"
            report.longrepr = f"required tool missing (DIAGNOSE_REQUIRE_TOOLS=1): {reason}"
    return report


@pytest.fixture(autouse=True)
def _own_incident_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test has its own incident and deployment log: a deployment recorded by one test is
    no evidence in the next (a test that wants one sets DIAGNOSE_INCIDENT_DB itself)."""
    monkeypatch.setenv("DIAGNOSE_INCIDENT_DB", str(tmp_path / "incidents.sqlite3"))


@pytest.fixture(autouse=True)
def _own_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test remembers its own endpoint checks (diagnose/families/webhooks/own_checks.py) only."""
    monkeypatch.setenv("DIAGNOSE_OWN_CHECKS", str(tmp_path / "endpoint-checks.txt"))


@pytest.fixture
def lab() -> Iterator[Any]:
    """Return a starter: lab("cf-522") -> a running app (stopped after the test)."""
    from diagnose.lab.http_app import serve

    with ExitStack() as stack:
        yield lambda scenario: stack.enter_context(serve(scenario))
