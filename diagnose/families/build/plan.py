"""What `diagnose build` runs: the build log's first causal error, the project's build settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput
from diagnose.families.build.options import BuildOptions
from diagnose.family import Plan
from diagnose.inputs import read_bytes
from diagnose.options import resolve
from diagnose.readers.text import decode
from diagnose.settings import Common
from diagnose.sources import plans as live_sources
from diagnose.sources.plans import Live

MAX_LOG_BYTES = 64 * 1024 * 1024  # a job log is megabytes at worst; refuse to read a disk image
PROBES = ("buildlog", "project")


def read_log(source: str) -> str:
    """Read a build log as text; a stray byte from a tool must not make the whole log unreadable."""
    data = read_bytes(source, "", MAX_LOG_BYTES)
    text = decode(data)  # UTF-16 from PowerShell's `>`, a BOM, CRLF: read, not garbage
    if "\x00" in text[:4096]:
        raise BadInput(f"{source}: not a text log (binary data; unzip a run archive first)")
    return text


def project_dir(value: str | None) -> str | None:
    """Return the project folder if it is one; raise BadInput otherwise."""
    if value is None:
        return None
    if not Path(value).is_dir():
        raise BadInput(f"--project {value}: not a folder")
    return str(value)


def command_plan(opts: BuildOptions, common: Common | None = None) -> Plan:
    """The build-log and project probes for what was given."""
    project = project_dir(opts.project)
    # Live source (diagnose/sources): the latest failed GitHub Actions job's log when no LOG.
    live = live_sources.build(common, project) if common and opts.log is None else Live()
    if opts.log is None and project is None and not live.any():
        raise BadInput(
            "nothing to read: give a build log (a file, or - for stdin) or --project DIR"
        )
    options: dict[str, Any] = {
        "log_text": read_log(opts.log) if opts.log is not None else None,
        "log_source": "stdin" if opts.log == "-" else opts.log,
        "project_dir": project,
        "node_major": opts.node_major,
    }
    options.update(live.options)
    log = opts.log if opts.log != "-" else "stdin"
    target = " ".join(x for x in (log, project) if x) or live.target
    return Plan("build", target, PROBES + live.probes, options, live.secrets)


def plan(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """The project's build settings when project.dir is set (no log: nothing failed yet)."""
    opts = resolve(BuildOptions, common.config)
    if not opts.project:
        return None
    if not Path(opts.project).is_dir():
        raise BadInput(f"config {common.config.path}: project.dir {opts.project}: not a folder")
    return Plan(
        "build",
        opts.project,
        ("project",),
        {"project_dir": opts.project, "log_text": None, "node_major": opts.node_major},
    )
