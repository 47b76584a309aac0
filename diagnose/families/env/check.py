"""Compare what the code needs with what is set; return facts that carry names and hints, never values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diagnose.families.env.dotenv import Entry, parse_dotenv
from diagnose.families.env.formats import Visibility
from diagnose.families.env.scan import BUILD_TIME_ONLY, Required, Scope, build_time, required_names
from diagnose.families.env.values import shape
from diagnose.safefiles import read_project_text

# What Vite reads for `vite build` (mode production), lowest priority first.
VITE_PRODUCTION_FILES = (".env", ".env.local", ".env.production", ".env.production.local")
MAX_BUNDLE = 32 * 1024 * 1024
CREDENTIAL_RX = re.compile(r"(?i)KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL")
# A VITE_ name that says it holds a secret: a warning when its value's format is not known public.
SECRET_NAME_RX = re.compile(
    r"^VITE_\w*(?:SECRET|PRIVATE|PASSWORD|WEBHOOK_KEY|DEPLOY_KEY|ADMIN_KEY|SERVICE_ROLE)\w*$"
)


@dataclass
class Source:
    """One place variables are set: the Convex deployment's list, an env file, a workflow."""

    label: str
    scope: Scope  # CONVEX for the deployment, BUILD for the frontend build
    production: bool
    entries: list[Entry] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    path: Path | None = None


def source_from_text(
    text: str, label: str, scope: Scope, production: bool, path: Path | None = None
) -> Source:
    """Parse dotenv text into a source; bad lines are kept as 'label:line: reason'."""
    entries, bad = parse_dotenv(text)
    return Source(
        label, scope, production, entries, [f"{label}:{b.line}: {b.reason}" for b in bad], path
    )


def workflow_sources(project: Path) -> list[Source]:
    """Names mapped into env: blocks of the workflows (values are ${{ }} expressions, not read)."""
    import yaml

    out: list[Source] = []
    folder = project / ".github" / "workflows"
    if not folder.is_dir():
        return out
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        text = read_project_text(path)  # a planted FIFO or /dev/zero link is skipped, not read
        try:
            doc = yaml.safe_load(text) if text is not None else None
        except yaml.YAMLError:
            continue
        if text is None:
            continue
        names: set[str] = set()
        _env_names(doc, names)
        rel = path.relative_to(project).as_posix()
        entries = [Entry(n, None, 0) for n in sorted(names)]
        out.append(Source(rel, Scope.BUILD, True, entries, [], path))
    return out


def _env_names(node: Any, names: set[str]) -> None:
    """Collect the keys of every env: mapping (workflow, job and step level)."""
    if isinstance(node, dict):
        env = node.get("env")
        if isinstance(env, dict):
            names.update(str(k) for k in env)
        for value in node.values():
            _env_names(value, names)
    elif isinstance(node, list):
        for value in node:
            _env_names(value, names)


def _bundle_text(dist: Path) -> str | None:
    if not (dist / "index.html").is_file():
        return None
    chunks: list[str] = []
    size = 0
    for path in sorted(dist.rglob("*")):
        if path.suffix in (".js", ".mjs", ".html") and path.is_file():
            size += path.stat().st_size
            if size > MAX_BUNDLE:
                break
            chunks.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(chunks)


def evaluate(
    project: Path | None,
    sources: Sequence[Source],
    extra_required: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Return the env facts and the values read (for the redactor); values never enter the facts."""
    required: dict[str, Required] = (
        required_names(project, extra_required) if project is not None else {}
    )
    if project is None:
        for name, used in (extra_required or {}).items():
            required[name] = Required(name, Scope.CONVEX, [used])
    values_seen = [e.value for s in sources for e in s.entries if e.value]
    present: dict[str, list[tuple[Source, Entry]]] = {}
    for src in sources:
        for entry in src.entries:
            present.setdefault(entry.name, []).append((src, entry))
    have_convex = any(s.scope is Scope.CONVEX for s in sources)
    have_build = any(s.scope is Scope.BUILD for s in sources)

    missing: list[str] = []
    missing_names: list[str] = []
    unchecked: list[str] = []
    misplaced: list[str] = []
    for name, req in sorted(required.items()):
        used = ", ".join(req.used_at[:4]) + (" ..." if len(req.used_at) > 4 else "")
        on_convex = [s for s, _ in present.get(name, []) if s.scope is Scope.CONVEX]
        in_build = [s for s, _ in present.get(name, []) if s.scope is Scope.BUILD]
        if req.scope is Scope.BUILD and on_convex and not in_build:
            # Read at build time (by Vite or the convex CLI): the deployment never reads it.
            misplaced.append(
                f"{name} (used at {used}) is set on the Convex deployment, where nothing reads "
                f"it: {build_time(name)}"
            )
            continue
        where: list[Source]
        if req.scope is Scope.CONVEX:
            if not have_convex:
                unchecked.append(f"{name} (Convex deployment: give --convex-env)")
                continue
            where, needed_in = on_convex, "the Convex deployment's variables"
        elif req.scope is Scope.BUILD:
            if not have_build:
                unchecked.append(f"{name} (build environment: give --env-file or --project)")
                continue
            where, needed_in = in_build, "the build's variables (env files, workflow env:)"
        else:
            where, needed_in = [s for s, _ in present.get(name, [])], "any source given"
        if not where:
            missing.append(f"{name} (used at {used}) is not set in {needed_in}")
            missing_names.append(name)

    empty: list[str] = []
    placeholder: list[str] = []
    malformed: list[str] = []
    test_keys: list[str] = []
    hints: list[str] = []
    public_hints: list[str] = []
    public_secrets: list[str] = []
    public_suspect: list[str] = []
    for name, places in sorted(present.items()):
        for src, entry in places:
            s = shape(name, entry.value)
            at = f"{src.label}:{entry.line}" if entry.line else src.label
            if entry.value is not None:
                hints.append(f"{name} ({at}): {s.hint()}")
            if name.startswith("VITE_") and src.scope is Scope.BUILD:
                public_hints.append(f"{name} ({at}): {s.kind}")
                vis = s.fmt.visibility
                if vis is Visibility.SECRET:
                    public_secrets.append(f"{name} ({at}): {s.fmt.name} ({s.fmt.source})")
                elif vis is Visibility.UNKNOWN:
                    public_suspect.append(f"{name} ({at}): a {s.fmt.name}; {s.fmt.source}")
                elif vis is Visibility.PLAIN and SECRET_NAME_RX.match(name) and not s.placeholder:
                    seen = (
                        "its value was not read"
                        if entry.value is None
                        else "its value has no known public format"
                    )
                    public_suspect.append(f"{name} ({at}): the name says it holds a secret; {seen}")
            # Empty on purpose is common (VITE_BASE_URL=''): only a name the code needs, or a
            # credential's, is a finding when empty.
            if s.empty and (name in required or CREDENTIAL_RX.search(name)):
                empty.append(f"{name} ({at}) is set but empty")
            if s.placeholder:
                placeholder.append(f"{name} ({at}) holds a placeholder ({s.hint()})")
            if s.malformed:
                malformed.append(f"{name} ({at}): {s.malformed} ({s.hint()})")
            if s.test_mode and src.production:
                test_keys.append(
                    f"{name} ({at}): a test-mode value in the production set ({s.kind})"
                )
    for name in sorted(n for n in required if n.startswith("VITE_") and n not in present):
        if SECRET_NAME_RX.match(name):
            public_suspect.append(
                f"{name} (used at {', '.join(required[name].used_at[:2])}): the name says it "
                "holds a secret, and the code reads it in the browser bundle"
            )
    build_only = sorted(n for n in {*required, *present} if n in BUILD_TIME_ONLY)

    stale, build_dir, built_at = _stale_build(project, sources, required)
    public_names = sorted(
        {n for n in present if n.startswith("VITE_")}
        | {n for n in required if n.startswith("VITE_")}
    )
    facts = {
        "env.sources": [s.label for s in sources],
        "env.required": sorted(required),
        "env.present": sorted(present),
        "env.missing": missing,
        "env.missing_names": missing_names,
        "env.empty": empty,
        "env.placeholder": placeholder,
        "env.malformed": malformed,
        "env.test_keys_in_prod": test_keys,
        "env.public_names": public_names,
        "env.public_hints": public_hints,
        "env.public_secrets": public_secrets,
        "env.public_suspect": public_suspect,
        "env.build_time_misplaced": misplaced,
        "env.build_time_only": build_only,
        "env.unchecked": unchecked,
        "env.hints": hints,
        "env.stale_build": stale,
        "env.build_dir": build_dir,
        "env.built_at": built_at,
        "env.bad_lines": [b for s in sources for b in s.bad],
    }
    return facts, values_seen


def _stale_build(
    project: Path | None, sources: Sequence[Source], required: dict[str, Required]
) -> tuple[list[str], str | None, str | None]:
    """VITE_ values are inlined by `vite build`: a value absent from dist/ changed after the build."""
    if project is None:
        return [], None, None
    dist = project / "dist"
    bundle = _bundle_text(dist)
    if bundle is None:
        return [], None, None
    built = datetime.fromtimestamp((dist / "index.html").stat().st_mtime, UTC)
    built_at = built.strftime("%Y-%m-%dT%H:%M:%SZ")
    stale: list[str] = []
    for src in sources:
        if src.scope is not Scope.BUILD or src.path is None or not src.path.name.startswith(".env"):
            continue
        for entry in src.entries:
            if not entry.name.startswith("VITE_") or not entry.value or entry.name not in required:
                continue
            if entry.value not in bundle:
                changed = datetime.fromtimestamp(src.path.stat().st_mtime, UTC)
                when = " (file changed after the build)" if changed > built else ""
                stale.append(
                    f"{entry.name} ({src.label}:{entry.line}): the value set now is not the one "
                    f"built into dist/ at {built_at}{when}"
                )
    return stale, "dist", built_at
