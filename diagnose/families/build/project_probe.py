"""Facts from a project folder's build settings: Node versions, pnpm versions, workflow order."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.probe import FactSink, ProbeContext

FACTS = (
    "checked",
    "dir",
    "expected_node_major",
    "package_manager",
    "engines_node",
    "node_specs",
    "node_mismatches",
    "pnpm_versions",
    "pnpm_version_conflicts",
    "pnpm_setup_problems",
    "workflows",
    "lockfiles",
    "problems",
)


class ProjectProbe:
    """Read package.json, .nvmrc / .node-version and .github/workflows against the runbook."""

    name: ClassVar[str] = "project"
    provides: ClassVar[frozenset[str]] = frozenset(f"project.{f}" for f in FACTS) | {
        fact_name("project")
    }

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Read the folder; no folder given is recorded as project.checked false."""
        from diagnose.families.build.project import read_project

        folder = ctx.options.get("project_dir")
        major = int(ctx.options["node_major"])
        sink.put("project.checked", folder is not None)
        sink.put("project.expected_node_major", major)
        if folder is None:
            for f in FACTS:
                if f not in ("checked", "expected_node_major"):
                    sink.put(f"project.{f}", None)
            return
        settings = read_project(Path(str(folder)), major)
        sink.update(
            {
                "project.dir": str(folder),
                "project.package_manager": settings.package_manager,
                "project.engines_node": settings.engines_node,
                "project.node_specs": settings.node_specs,
                "project.node_mismatches": settings.node_mismatches,
                "project.pnpm_versions": settings.pnpm_versions,
                "project.pnpm_version_conflicts": settings.pnpm_version_conflicts,
                "project.pnpm_setup_problems": settings.pnpm_setup_problems,
                "project.workflows": settings.workflows,
                "project.lockfiles": settings.lockfiles,
                "project.problems": settings.problems,
            }
        )
        sink.put(fact_name(self.name), checked(Path(str(folder)), settings).to_json())


VERSION_FILES = ("package.json", ".nvmrc", ".node-version", ".tool-versions")


def checked(folder: Path, settings: Any) -> Checked:
    """Say which build files the folder held: none means nothing was checked."""
    files = [n for n in VERSION_FILES if (folder / n).is_file()]
    files += [*settings.workflows, *settings.lockfiles]
    return Checked(
        len(files),
        "files",
        f"read {', '.join(files) or 'no build file'} in {folder}",
        f"no package.json, Node version file or workflow in {folder}: give --project the "
        "folder that holds package.json",
    )
