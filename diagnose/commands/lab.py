"""diagnose lab up|down|status: keep the lab running to rehearse the runbook against it."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from diagnose.errors import BadInput

START_TIMEOUT_S = 20.0


def state_dir() -> Path:
    """Return the folder of the running lab: $DIAGNOSE_LAB_DIR, else one per user in /tmp."""
    if given := os.environ.get("DIAGNOSE_LAB_DIR"):
        return Path(given)
    return Path(tempfile.gettempdir()) / f"diagnose-lab-{os.getuid()}"


_SHAPE = {"pid": int, "scenario": str, "config": str, "endpoints": dict, "env": dict, "token": str}


def _state() -> dict[str, Any] | None:
    """The running lab's state, or None: no file, a damaged one, or a pid that is not our lab."""
    path = state_dir() / "lab.json"
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or any(
        not isinstance(state.get(k), t) for k, t in _SHAPE.items()
    ):
        return None  # missing keys: not a state file we wrote (or a partial one)
    pid = state["pid"]
    return state if _alive(pid) and _identified(pid, state["token"]) else None


def _identified(pid: int, token: str) -> bool:
    """Does process `pid` hold the token `lab up` gave the daemon? A planted pid does not."""
    if len(token) < 16:
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False  # cannot tell: never signal a process we cannot identify
    return f"DIAGNOSE_LAB_TOKEN={token}".encode() in environ.split(b"\0")


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def try_commands(state: dict[str, Any]) -> list[str]:
    """Return the diagnose commands that exercise the running lab."""
    cfg = state["config"]
    ep = state["endpoints"]
    env = " ".join(f"{k}={v}" for k, v in state["env"].items())
    domain = ep["tls"].split("(")[1].rstrip(")")
    port = ep["tls"].split(" ")[0].split(":")[1]
    root = str(Path(cfg).parent / "lab-root.pem")
    if "cloudflare api" in ep:  # the `sources` scenario: every command with no file
        return [
            f"export {env}",
            f"cd {Path(cfg).parent}",
            "diagnose webhooks --since 1h",
            "diagnose env",
            "diagnose build",
            f"diagnose ssl {domain}",
            "diagnose latency",
            "diagnose all --since 1h",
        ]
    return [
        f"export {env}",
        f"diagnose all --config {cfg} --since 10m",
        f"diagnose ssl {domain} --resolver {ep['dns']} --port {port} --ca-file {root}",
        f"diagnose dns {domain} --resolver {ep['dns']}",
        f"diagnose smoke --url {ep['http']} --convex-url {ep['http']}",
        f"diagnose webhooks --log {ep['convex log']} --capture {ep['captured deliveries']} "
        f"--endpoint {ep['webhook receiver']} --since 10m",
        f"diagnose latency {ep['http']}/ -n 10",
    ]


def _print(state: dict[str, Any]) -> None:
    click.echo(f"lab '{state['scenario']}' is running (pid {state['pid']}):")
    for name, where in state["endpoints"].items():
        click.echo(f"  {name:20} {where}")
    click.echo(f"  {'config':20} {state['config']}")
    click.echo("\nTry:")
    for line in try_commands(state):
        click.echo(f"  {line}")
    click.echo("\nStop it with: diagnose lab down")


def lab_up(scenario: str) -> int:
    """Start the lab in the background and print how to use it."""
    from diagnose.lab.stack import SCENARIOS

    if scenario not in SCENARIOS:
        raise BadInput(f"unknown scenario {scenario!r}: 'diagnose demo --list' names them")
    running = _state()
    if running is not None:
        _print(running)
        raise BadInput(
            f"a lab is already running (pid {running['pid']}): 'diagnose lab down' first"
        )
    folder = state_dir()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    log = (folder / "daemon.log").open("w")
    token = secrets.token_hex(16)
    proc = subprocess.Popen(
        [sys.executable, "-m", "diagnose.lab.daemon", scenario, str(folder)],
        env={**os.environ, "DIAGNOSE_LAB_TOKEN": token},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # survives the terminal that started it
    )
    end = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < end:
        if (state := _state()) is not None:
            _print(state)
            return 0
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    detail = (folder / "daemon.log").read_text(errors="replace").strip().splitlines()
    raise BadInput(f"the lab did not start: {detail[-1] if detail else 'no output'}")


def lab_down() -> int:
    """Stop the running lab, if any."""
    state = _state()
    if state is None:
        click.echo("no lab is running")
        shutil.rmtree(state_dir(), ignore_errors=True)
        return 0
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(state_dir(), ignore_errors=True)
    click.echo(f"lab '{state['scenario']}' stopped")
    return 0


@click.group("lab")
def command() -> None:
    """Keep the lab running on 127.0.0.1 to rehearse the runbook (up, status, down)."""


@command.command("up")
@click.argument("scenario", required=False, default="incident")
def up(scenario: str) -> None:
    """Start the lab for SCENARIO (default: incident) and print the commands to try."""
    sys.exit(lab_up(scenario))


@command.command("status")
def status() -> None:
    """Print the running lab's endpoints, or say none is running (exit 1)."""
    state = _state()
    if state is None:
        click.echo("no lab is running")
        sys.exit(1)
    _print(state)
    sys.exit(0)


@command.command("down")
def down() -> None:
    """Stop the running lab."""
    sys.exit(lab_down())
