"""diagnose build: the first causal error of a failed build log, and the project's build settings."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from diagnose.commands.common import common_options
from diagnose.engine.api import gather_facts
from diagnose.errors import BadInput
from diagnose.output import finish
from diagnose.settings import Common, make_common

MAX_LOG_BYTES = 64 * 1024 * 1024  # a job log is megabytes at worst; refuse to read a disk image


def read_bytes(source: str, what: str, limit: int) -> bytes:
    """Read a file or stdin ('-') up to limit bytes; raise BadInput naming it when it cannot be."""
    label = f"{what} {source}".strip()
    try:
        if source == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with Path(source).open("rb") as fh:
                data = fh.read(limit + 1)
    except FileNotFoundError:
        raise BadInput(f"{label}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{label}: is a folder, give a file (or - for stdin)") from None
    except OSError as exc:
        raise BadInput(f"{label}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise BadInput(f"{label}: larger than {limit // 2**20} MB")
    return data


def read_log(source: str) -> str:
    """Read a build log as text; a stray byte from a tool must not make the whole log unreadable."""
    data = read_bytes(source, "", MAX_LOG_BYTES)
    if b"\x00" in data[:4096]:
        raise BadInput(f"{source}: not a text log (binary data; unzip a run archive first)")
    return data.decode("utf-8", "replace")


def project_dir(value: str | None) -> str | None:
    """Return the project folder if it is one; raise BadInput otherwise."""
    if value is None:
        return None
    path = Path(value)
    if not path.is_dir():
        raise BadInput(f"--project {value}: not a folder")
    return str(path)


def run_build(log: str | None, project: str | None, params: dict[str, Any]) -> int:
    """Gather the build-log and project facts, judge them, write the report; return the exit code."""
    from diagnose.engine.api import judge

    common: Common = make_common(params)
    project = project_dir(project)
    if log is None and project is None:
        raise BadInput(
            "nothing to read: give a build log (a file, or - for stdin) or --project DIR"
        )
    text = read_log(log) if log is not None else None
    rules = common.rules()
    started = datetime.now(UTC)
    options = {
        "log_text": text,
        "log_source": "stdin" if log == "-" else log,
        "project_dir": project,
    }
    target = " ".join(x for x in (log if log != "-" else "stdin", project) if x)
    factset = gather_facts(
        common,
        "build",
        target,
        ["buildlog", "project"],
        options,
    )
    return finish(judge(factset, rules, started), common)


@click.command("build")
@click.argument("log", required=False, metavar="[LOG|-]")
@click.option(
    "--project",
    type=click.Path(),
    help="Project folder: package.json engines/packageManager, .nvmrc, .github/workflows.",
)
@common_options
def command(log: str | None, project: str | None, **params: Any) -> None:
    """The first causal error of a failed build log (GitHub Actions, gh, Cloudflare Pages, raw)."""
    sys.exit(run_build(log, project, params))
