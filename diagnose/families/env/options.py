"""The env family's options: the only place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.options import setting


@dataclass(frozen=True)
class EnvOptions:
    """Where the present names come from, and the code that needs them."""

    project: str | None = setting(
        None,
        "the project folder, relative to the config file",
        config="project.dir",
        path=True,
        flag="--project",
    )
    convex_env: str | None = setting(
        None,
        "output of 'npx convex env list --prod' (a file, or - for stdin)",
        config="project.convex_env",
        flag="--convex-env",
        path=True,
    )
    env_files: tuple[str, ...] = setting((), "the frontend build's .env files", flag="--env-file")
