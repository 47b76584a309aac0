"""The build family's options: the only place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.families.build.project import RUNBOOK_NODE_MAJOR
from diagnose.options import setting


@dataclass(frozen=True)
class BuildOptions:
    """Which log and project to read."""

    log: str | None = setting(None, "the build log, a file or - for stdin", flag="LOG")
    project: str | None = setting(
        None,
        "the project folder, relative to the config file",
        config="project.dir",
        path=True,
        flag="--project",
    )
    node_major: int = setting(
        RUNBOOK_NODE_MAJOR,
        "the Node major version the build must use (runbook: 20)",
        low=1,
        high=99,
    )
