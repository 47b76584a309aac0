"""Read a project's build settings: Node versions declared, pnpm versions, workflow step order."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diagnose.safefiles import MAX_PROJECT_FILE, regular_file_problem

RUNBOOK_NODE_MAJOR = 20  # runbook, "Issue: Build Failure": "Check Node.js version (should be 20)"
# Node's LTS code names, for .nvmrc files that say lts/iron.
LTS_NAMES = {"hydrogen": 18, "iron": 20, "jod": 22, "krypton": 24}
_CMP_RX = re.compile(r"^(?P<op>\^|~|>=|<=|>|<|=)?\s*v?(?P<ver>[0-9xX*]+(?:\.[0-9xX*]+){0,2})")


@dataclass
class ProjectSettings:
    """What the project says about how it is built."""

    package_manager: str | None = None
    engines_node: str | None = None
    node_specs: list[str] = field(default_factory=list)
    node_mismatches: list[str] = field(default_factory=list)
    pnpm_versions: list[str] = field(default_factory=list)
    pnpm_version_conflicts: list[str] = field(default_factory=list)
    pnpm_setup_problems: list[str] = field(default_factory=list)
    workflows: list[str] = field(default_factory=list)
    lockfiles: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unreadable files, reported not fatal


def _version(text: str) -> tuple[int, int, int] | None:
    parts = text.split(".")
    if not parts or not parts[0].isdigit():
        return None
    nums = [int(p) if p.isdigit() else 0 for p in parts[:3]]
    while len(nums) < 3:
        nums.append(0)
    return nums[0], nums[1], nums[2]


def _satisfies(version: tuple[int, int, int], comparator: str) -> bool | None:
    """Tell whether a version meets one comparator; None when it cannot be read."""
    m = _CMP_RX.match(comparator.strip())
    if not m:
        return None
    op = m.group("op") or "="
    raw = m.group("ver")
    parts = raw.split(".")
    wild = [p in ("x", "X", "*") for p in parts]
    base = _version(".".join("0" if w else p for p, w in zip(parts, wild, strict=True)))
    if base is None:
        return True if parts[0] in ("x", "X", "*") else None
    precision = next((i for i, w in enumerate(wild) if w), len(parts))
    if op == "=":
        return version[:precision] == base[:precision]
    if op == "^":
        if base[0] != 0:
            return version >= base and version[0] == base[0]
        return version >= base and version[:2] == base[:2]
    if op == "~":
        keep = 2 if precision >= 2 else 1
        return version >= base and version[:keep] == base[:keep]
    if op in (">", "<=") and precision < 3:
        # ">20" means ">=21": a partial version compares by its given parts only.
        cmp = version[:precision] > base[:precision]
        return cmp if op == ">" else not cmp
    return {
        ">=": version >= base,
        ">": version > base,
        "<": version < base,
        "<=": version <= base,
    }[op]


def allows_major(spec: str, major: int) -> bool | None:
    """Tell whether a semver range (or a bare version) admits some release of a Node major."""
    spec = spec.strip().strip("'\"")
    if not spec:
        return None
    low = spec.lower()
    if low.startswith("lts/"):
        name = low[4:]
        return LTS_NAMES[name] == major if name in LTS_NAMES else None
    if low in ("node", "latest", "current", "*", "lts/*"):
        return None
    samples = [(major, minor, patch) for minor in range(0, 40) for patch in (0, 99)]
    # The versions the spec names itself (an exact 20.11.1) are the likeliest to match.
    for text in re.findall(r"\d+(?:\.\d+){0,2}", spec):
        named = _version(text)
        if named is not None and named[0] == major:
            samples.insert(0, named)
    verdict: bool | None = False
    for group in spec.split("||"):
        group = re.sub(r"\s+-\s+", " - ", group.strip())
        if " - " in group:
            lo, _, hi = group.partition(" - ")
            comparators = [f">={lo.strip()}", f"<={hi.strip()}"]
        else:
            comparators = re.findall(r"(?:\^|~|>=|<=|>|<|=)?\s*v?[0-9xX*][0-9xX*.]*", group)
        if not comparators:
            return None
        for sample in samples:
            results = [_satisfies(sample, c) for c in comparators]
            if any(r is None for r in results):
                return None
            if all(results):
                return True
    return verdict


def _read_text(path: Path, settings: ProjectSettings) -> str | None:
    if not path.exists():
        return None
    if problem := regular_file_problem(path):
        # A planted FIFO or a link to /dev/zero would never end: said, not read.
        settings.problems.append(f"{path.name}: {problem}")
        return None
    if path.stat().st_size > MAX_PROJECT_FILE:
        settings.problems.append(f"{path.name}: larger than {MAX_PROJECT_FILE >> 20} MiB, not read")
        return None
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        settings.problems.append(f"{path.name}: cannot read: {exc}")
        return None


def _node_spec(settings: ProjectSettings, where: str, spec: str, major: int) -> None:
    settings.node_specs.append(f"{where}: {spec}")
    if allows_major(spec, major) is False:
        settings.node_mismatches.append(f"{where}: {spec} (does not allow Node {major})")


def _steps(job: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    steps = job.get("steps") if isinstance(job, dict) else None
    for index, step in enumerate(steps if isinstance(steps, list) else [], 1):
        if isinstance(step, dict):
            yield index, step


def _workflow(path: Path, rel: str, settings: ProjectSettings, major: int, root: Path) -> None:
    import yaml

    text = _read_text(path, settings)
    if text is None:
        return
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        settings.problems.append(f"{rel}{line}: not valid YAML")
        return
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    if not isinstance(jobs, dict):
        return
    for job_name, job in jobs.items():
        setup_node_at: int | None = None
        setup_node_pnpm_cache = False
        for index, step in _steps(job):
            uses = str(step.get("uses") or "")
            raw_with = step.get("with")
            with_: dict[str, Any] = raw_with if isinstance(raw_with, dict) else {}
            where = f"{rel} job {job_name} step {index}"
            if uses.startswith("actions/setup-node"):
                setup_node_at = index
                setup_node_pnpm_cache = str(with_.get("cache") or "") == "pnpm"
                version = with_.get("node-version")
                if version is not None and "${{" not in str(version):
                    _node_spec(settings, f"{where} setup-node node-version", str(version), major)
                version_file = with_.get("node-version-file")
                if version_file and not version:
                    content = _read_text(root / str(version_file), settings)
                    if content is None:
                        settings.node_mismatches.append(
                            f"{where} setup-node node-version-file: {version_file} (no such file)"
                        )
            if uses.startswith("pnpm/action-setup"):
                if setup_node_at is not None and setup_node_pnpm_cache:
                    settings.pnpm_setup_problems.append(
                        f"{rel} job {job_name}: actions/setup-node with cache: pnpm "
                        f"(step {setup_node_at}) runs before pnpm/action-setup (step {index})"
                    )
                version = with_.get("version")
                if version is None and not (settings.package_manager or "").startswith("pnpm@"):
                    settings.pnpm_setup_problems.append(
                        f"{where}: pnpm/action-setup has no version and package.json has no "
                        "packageManager: pnpm/action-setup cannot tell which pnpm to install"
                    )
                if version is not None:
                    settings.pnpm_versions.append(f"{where} pnpm/action-setup version: {version}")
                    pm = settings.package_manager or ""
                    if pm.startswith("pnpm@") and str(version) != pm[5:].split("+")[0]:
                        settings.pnpm_version_conflicts.append(
                            f"{where} pnpm/action-setup version {version} vs package.json "
                            f"packageManager {pm}"
                        )
        if setup_node_pnpm_cache and not any(
            str(s.get("uses") or "").startswith("pnpm/action-setup") for _, s in _steps(job)
        ):
            settings.pnpm_setup_problems.append(
                f"{rel} job {job_name}: actions/setup-node with cache: pnpm "
                "but no pnpm/action-setup step installs pnpm"
            )


def read_project(root: Path, major: int = RUNBOOK_NODE_MAJOR) -> ProjectSettings:
    """Read package.json, .nvmrc / .node-version and .github/workflows of a project folder."""
    settings = ProjectSettings()
    text = _read_text(root / "package.json", settings)
    if text is not None:
        try:
            pkg = json.loads(text)
        except json.JSONDecodeError as exc:
            settings.problems.append(f"package.json:{exc.lineno}: not valid JSON: {exc.msg}")
            pkg = {}
        if isinstance(pkg, dict):
            pm = pkg.get("packageManager")
            settings.package_manager = str(pm) if pm else None
            if settings.package_manager and settings.package_manager.startswith("pnpm@"):
                settings.pnpm_versions.append(f"package.json packageManager: {pm}")
            raw_engines = pkg.get("engines")
            engines: dict[str, Any] = raw_engines if isinstance(raw_engines, dict) else {}
            if engines.get("node"):
                settings.engines_node = str(engines["node"])
                _node_spec(settings, "package.json engines.node", settings.engines_node, major)
    for name in (".nvmrc", ".node-version"):
        content = _read_text(root / name, settings)
        if content is not None:
            first = next((ln.strip() for ln in content.splitlines() if ln.strip()), "")
            if first:
                _node_spec(settings, name, first, major)
    for name in ("pnpm-lock.yaml", "package-lock.json", "yarn.lock", "bun.lockb"):
        if (root / name).exists():
            settings.lockfiles.append(name)
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        for path in sorted([*workflows.glob("*.yml"), *workflows.glob("*.yaml")]):
            rel = path.relative_to(root).as_posix()
            settings.workflows.append(rel)
            _workflow(path, rel, settings, major, root)
    return settings
