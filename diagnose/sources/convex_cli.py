"""Convex through its own CLI: `convex logs` as a log file would be, `convex env list` as the env
list the runbook saves.

The CLI already holds the auth (CONVEX_DEPLOY_KEY, the logged-in config, or
CONVEX_SELF_HOSTED_URL + CONVEX_SELF_HOSTED_ADMIN_KEY), so diagnose never reads or sends a key.
`convex logs` never exits by itself: it prints the history from its first poll of
/api/stream_function_logs, then long-polls for new entries. So the run stops it once the history
is out (stdout idle after the first poll) or at the deadline, whichever comes first.
`convex env list` subscribes to `_system/cli/queryEnvironmentVariables` over the sync WebSocket,
prints the answer and exits; a refused key is retried forever by the client, so the run stops it
at the client's "Failed to authenticate" line.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from diagnose.sources.base import FailureKind, Fetched, SourceFailure
from diagnose.sources.http import Api, get_json
from diagnose.sources.options import SourcesOptions

SOURCE = "convex"
SELF_HOSTED = ("CONVEX_SELF_HOSTED_URL", "CONVEX_SELF_HOSTED_ADMIN_KEY")
SECRET_ENV = ("CONVEX_DEPLOY_KEY", "CONVEX_SELF_HOSTED_ADMIN_KEY")
WATCHING = "Watching logs"  # what `convex logs` prints on stderr just before its first poll
LINE_IDLE_S = 0.75  # the history is written in one synchronous loop: a pause means it is out
FIRST_POLL_S = 3.0  # after "Watching logs" with no line yet: an empty history
STOP_GRACE_S = 1.0
AUTH_REFUSED = "Failed to authenticate"  # the sync client's line for an AuthError (auth manager)
NO_VARIABLES = "No environment variables set"  # `env list` on a deployment with none (stderr)
# A line of `env list` output: NAME=value (or NAME with --names-only). The sync client also
# logs to stdout ("Attempting reconnect in 1011ms"), and such lines are not variables.
ENV_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(=|$)")


@dataclass(frozen=True)
class Deployment:
    """How the CLI will find the deployment, and where it is (never the key)."""

    mode: str  # "self-hosted", "deploy-key", "logged-in"
    origin: str

    def args(self) -> list[str]:
        """`--prod` picks production for a logged-in CLI; a deploy key or self-hosted URL already
        names the deployment (and the CLI refuses --prod for a self-hosted one)."""
        return ["--prod"] if self.mode == "logged-in" else []


def deployment(project: Path, env: dict[str, str] | None = None) -> Deployment | None:
    """The deployment the CLI would use, or None when nothing configures one (the source is off)."""
    env = dict(os.environ) if env is None else env
    if all(env.get(v) for v in SELF_HOSTED):
        return Deployment("self-hosted", env["CONVEX_SELF_HOSTED_URL"])
    if key := env.get("CONVEX_DEPLOY_KEY"):
        # prod:happy-otter-123|<token>: only the part before the bar names the deployment.
        name = key.split("|", 1)[0] if "|" in key else "the deploy key's deployment"
        return Deployment("deploy-key", name)
    if env.get("CONVEX_DEPLOYMENT") or _dotenv_names(project / ".env.local", "CONVEX_DEPLOYMENT"):
        home = Path(env.get("HOME", str(Path.home())))
        if (home / ".convex" / "config.json").is_file():
            return Deployment("logged-in", "the production deployment of the logged-in project")
    return None


def find_cli(opts: SourcesOptions, project: Path) -> list[str]:
    """The command that runs the CLI; raise SourceFailure (missing tool) when there is none."""
    if opts.convex_cli:
        return [opts.convex_cli]
    local = project / "node_modules" / ".bin" / "convex"
    if local.is_file():
        return [str(local)]
    if found := shutil.which("convex"):
        return [found]
    raise SourceFailure(
        SOURCE,
        FailureKind.MISSING_TOOL,
        f"no convex CLI in {project}/node_modules/.bin or on PATH",
        f"cd {project} && npm install convex (or set sources.convex_cli)",
    )


def fetch_logs(opts: SourcesOptions, where: Deployment, dest: Path, deadline: float) -> Fetched:
    """Run `convex logs --jsonl --history N --success` into dest; raise SourceFailure."""
    project = Path(opts.convex_project)
    args = [
        *find_cli(opts, project),
        "logs",
        *where.args(),
        "--jsonl",
        "--history",
        str(opts.convex_history),
        "--success",
    ]
    shown = "convex " + " ".join(args[1:])
    t0 = time.monotonic()
    with dest.open("wb") as out:
        lines, stderr, exited, cut = _run(args, project, out, deadline, opts.max_bytes)
    seconds = time.monotonic() - t0
    if lines == 0 and exited is not None and exited != 0:
        raise _failure(stderr, exited, where, shown)
    if lines == 0 and not any(WATCHING in s for s in stderr):
        raise SourceFailure(
            SOURCE,
            FailureKind.TIMEOUT,
            f"`{shown}` printed nothing within {seconds:.1f} s" + _last(stderr),
            "run it by hand to see why; give --timeout more seconds, or save its output and "
            "pass --log FILE",
        )
    if lines == 0 and any("Failed to fetch logs" in s for s in stderr):
        raise SourceFailure(
            SOURCE,
            FailureKind.UNREACHABLE,
            f"`{shown}` could not fetch logs from {where.origin}" + _last(stderr),
            _auth_fix(where),
        )
    if lines == 0:
        if where.mode == "self-hosted":
            _check_key(where, deadline, opts.max_bytes)  # the CLI retries a refused key silently
        # No entry is not "no webhook traffic": the history may be empty or the first poll
        # unanswered, and the CLI hides a refused key. Nothing is judged from it.
        raise SourceFailure(
            SOURCE,
            FailureKind.EMPTY,
            f"`{shown}` printed no log entry within {seconds:.1f} s from {where.origin}",
            "run it by hand in the project; if the deployment has logs, give --timeout more "
            "seconds or save them and pass --log FILE",
        )
    notes = (f"ran `{shown}` ({where.mode})",)
    return Fetched(
        SOURCE,
        where.origin,
        "log entries",
        lines,
        window=f"the deployment's last {opts.convex_history} entries",
        seconds=seconds,
        truncated=cut,
        notes=notes,
    )


def fetch_env(
    opts: SourcesOptions, where: Deployment, project: Path, deadline: float
) -> tuple[str, Fetched]:
    """Run `convex env list` in the project; return its output (dotenv lines, or names) and the
    record.

    With `sources.convex_env_values` the values are asked for (`--include-values`, the CLI's
    default unless it detects an AI agent) so that empty, placeholder and test-mode values are
    judged as with a saved `npx convex env list --prod`; they stay in memory and are masked in
    everything written. Otherwise `--names-only`.
    """
    mode = "--include-values" if opts.convex_env_values else "--names-only"
    args = [*find_cli(opts, project), "env", "list", *where.args(), mode]
    shown = "convex " + " ".join(args[1:])
    t0 = time.monotonic()
    out = io.BytesIO()
    _, stderr, exited, cut = _run(
        args, project, out, deadline, opts.max_bytes, idle_stop=False, fatal=AUTH_REFUSED
    )
    seconds = time.monotonic() - t0
    refused = next((line for line in stderr if AUTH_REFUSED in line), None)
    if refused is not None:
        raise SourceFailure(
            SOURCE,
            FailureKind.AUTH,
            f"`{shown}`: the deployment refused the CLI's key ({refused})",
            _auth_fix(where),
        )
    if exited is None:
        raise SourceFailure(
            SOURCE,
            FailureKind.TIMEOUT,
            f"`{shown}` did not finish within {seconds:.1f} s" + _last(stderr),
            "run it by hand in the project; give --timeout more seconds, or save its output and "
            "pass --convex-env FILE",
        )
    if exited != 0:
        raise _failure(stderr, exited, where, shown)
    if cut:
        raise SourceFailure(
            SOURCE,
            FailureKind.BAD_ANSWER,
            f"`{shown}` printed more than {opts.max_bytes} bytes (sources.max_bytes); not read",
            "raise sources.max_bytes, or save its output and pass --convex-env FILE",
        )
    text = env_output(out.getvalue().decode("utf-8", "replace"))
    count = sum(1 for line in text.splitlines() if ENV_LINE.match(line))
    if count == 0 and not any(NO_VARIABLES in line for line in stderr):
        raise SourceFailure(
            SOURCE,
            FailureKind.EMPTY,
            f"`{shown}` printed no variable and did not say there are none" + _last(stderr),
            "run it by hand in the project to see why",
        )
    return text, Fetched(
        SOURCE,
        where.origin,
        "variables" + ("" if opts.convex_env_values else " (names only)"),
        count,
        window="the deployment's environment variables",
        seconds=seconds,
        notes=(f"ran `{shown}` ({where.mode})",),
    )


def env_output(text: str) -> str:
    """The variables of `env list` output: NAME=value lines (a quoted value may span lines) or
    bare names; the sync client's own log lines on stdout are dropped."""
    kept: list[str] = []
    quote = ""
    for line in text.splitlines():
        if quote:  # inside a quoted multi-line value ('...' as formatEnvValueForDotfile writes)
            kept.append(line)
            quote = "" if line.endswith(quote) else quote
            continue
        if not ENV_LINE.match(line):
            continue
        kept.append(line)
        value = line.partition("=")[2]
        if value[:1] in ("'", '"') and (len(value) == 1 or not value.endswith(value[0])):
            quote = value[0]
    return "\n".join(kept) + ("\n" if kept else "")


def _run(
    args: list[str],
    cwd: Path,
    out: BinaryIO,
    deadline: float,
    max_bytes: int,
    *,
    idle_stop: bool = True,
    fatal: str | None = None,
) -> tuple[int, list[str], int | None, bool]:
    """Run the CLI until it exits, its output pauses (idle_stop: the log history is out), it says
    `fatal` on stderr, or the deadline; return (lines, stderr tail, exit code, cut short)."""
    env = {
        **os.environ,
        "CI": "1",  # no prompts, and the CLI's Sentry reporting stays off (lib/utils/sentry.ts)
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
    }
    try:
        proc = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
            args,
            cwd=cwd if cwd.is_dir() else None,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: npx and node stop together
        )
    except OSError as exc:
        raise SourceFailure(
            SOURCE,
            FailureKind.MISSING_TOOL,
            f"cannot run {args[0]}: {exc.strerror or exc}",
            "install Node.js 18+ and the convex package (npm install convex)",
        ) from None
    state = {"lines": 0, "bytes": 0, "last": 0.0, "cut": False}
    stderr: deque[str] = deque(maxlen=20)
    watching = threading.Event()

    stopped = threading.Event()

    def pump_out() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            if state["bytes"] + len(raw) > max_bytes:
                state["cut"] = True
                break
            out.write(raw)
            state["bytes"] += len(raw)
            state["lines"] += 1
            state["last"] = time.monotonic()

    def pump_err() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            text = raw.decode("utf-8", "replace").strip()
            if text:
                stderr.append(text[:300])
            if WATCHING in text:
                watching.set()
                state["watching_at"] = time.monotonic()
            if fatal is not None and fatal in text:
                stopped.set()

    threads = [threading.Thread(target=f, daemon=True) for f in (pump_out, pump_err)]
    for t in threads:
        t.start()
    exited: int | None = None
    try:
        while True:
            now = time.monotonic()
            exited = proc.poll()
            if exited is not None or now >= deadline or state["cut"] or stopped.is_set():
                break
            if idle_stop and state["lines"] and now - float(state["last"]) >= LINE_IDLE_S:
                break
            if watching.is_set() and not state["lines"]:
                if now - float(state.get("watching_at", now)) >= FIRST_POLL_S:
                    break
            time.sleep(0.05)
    finally:
        if exited is None and not stopped.is_set():
            exited = proc.poll()  # it may have exited since the last look (before any stop)
        if proc.poll() is None:
            _stop(proc)
        threads[0].join(STOP_GRACE_S)
        threads[1].join(0.2)
    cut = bool(state["cut"]) or (exited is None and time.monotonic() >= deadline)
    return int(state["lines"]), list(stderr), exited, cut


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the CLI's process group (npx, node): TERM, then KILL after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(STOP_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue


def _failure(stderr: list[str], code: int, where: Deployment, shown: str) -> SourceFailure:
    """Classify the CLI's own error message (its last lines) into a failure with its fix."""
    said = " ".join(stderr[-3:])
    low = said.lower()
    if "you do not have permission" in low:  # the CLI's PERMISSION_DENIED_MESSAGE_PREFIX
        return SourceFailure(
            SOURCE,
            FailureKind.FORBIDDEN,
            f"`{shown}` was refused: {said}",
            "the key's role cannot do this: make a production deploy key with full access "
            "(Convex dashboard > Settings > Deploy keys)",
        )
    if "add `convex` to your package.json" in low:
        return SourceFailure(
            SOURCE,
            FailureKind.NOT_FOUND,
            f"`{shown}` needs the Convex project: {said}",
            "run diagnose in the Convex project's folder, or set sources.convex_project to it "
            "(its package.json lists convex)",
        )
    if "badadminkey" in low or "admin key" in low or "403" in low or "unauthorized" in low:
        return SourceFailure(
            SOURCE, FailureKind.AUTH, f"the CLI was refused: {said}", _auth_fix(where)
        )
    if "no convex_deployment" in low or "expected `convex_deploy_key`" in low or "login" in low:
        return SourceFailure(
            SOURCE,
            FailureKind.NOT_LOGGED_IN,
            f"the CLI has no deployment: {said}",
            "set CONVEX_DEPLOY_KEY (Convex dashboard > Settings > Deploy keys), or run "
            "`npx convex login` in the project",
        )
    if "node" in low and ("not found" in low or "no such file" in low):
        return SourceFailure(
            SOURCE, FailureKind.MISSING_TOOL, f"the CLI cannot start: {said}", "install Node.js 18+"
        )
    return SourceFailure(
        SOURCE,
        FailureKind.BAD_ANSWER,
        f"`{shown}` exited {code}: {said or 'no message'}",
        f"run `timeout 20 npx {shown}` in the project to see the error",
    )


def _check_key(where: Deployment, deadline: float, max_bytes: int) -> None:
    """Ask the self-hosted backend whether its admin key is good (GET /api/check_admin_key).

    `convex logs` retries a 401 quietly for minutes, so an empty history and a refused key look
    the same from outside. The key goes only to the deployment it was made for.
    """
    key = os.environ.get("CONVEX_SELF_HOSTED_ADMIN_KEY", "")
    api = Api(
        SOURCE,
        where.origin,
        {"authorization": f"Convex {key}"},
        {FailureKind.AUTH: _auth_fix(where), FailureKind.FORBIDDEN: _auth_fix(where)},
        max_bytes,
        max(deadline, time.monotonic() + 2.0),
    )
    get_json(api, "/api/check_admin_key", accept_404=True)


def _auth_fix(where: Deployment) -> str:
    if where.mode == "self-hosted":
        return (
            "check CONVEX_SELF_HOSTED_ADMIN_KEY against the backend "
            "(docker compose exec backend ./generate_admin_key.sh) and CONVEX_SELF_HOSTED_URL"
        )
    if where.mode == "deploy-key":
        return "make a new production deploy key (Convex dashboard > Settings > Deploy keys)"
    return "run `npx convex login` again in the project"


def _last(stderr: list[str]) -> str:
    return f" (last said: {stderr[-1]})" if stderr else ""


def _dotenv_names(path: Path, name: str) -> bool:
    """Whether a .env file sets a variable (values are not read)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.strip().startswith(f"{name}=") for line in text.splitlines())
