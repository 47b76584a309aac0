"""Which variables the code needs: process.env under convex/, import.meta.env.VITE_* under src/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from diagnose.families.env.dotenv import parse_dotenv
from diagnose.safefiles import read_project_text

CODE_SUFFIXES = {".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".vue", ".svelte"}
SKIP_DIRS = {"node_modules", "_generated", "dist", "build", ".git"}
PROCESS_ENV_RX = re.compile(
    r"process\.env(?:\.(?P<a>[A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"](?P<b>[A-Za-z_][A-Za-z0-9_]*)['\"]\s*\])"
)
VITE_ENV_RX = re.compile(
    r"import\.meta\.env(?:\.(?P<a>[A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"](?P<b>[A-Za-z_][A-Za-z0-9_]*)['\"]\s*\])"
)
# Set by the platform, never by the team: Convex provides these to every function, Vite these.
PROVIDED = {
    "CONVEX_CLOUD_URL",
    "CONVEX_SITE_URL",
    "NODE_ENV",
    "MODE",
    "DEV",
    "PROD",
    "SSR",
    "BASE_URL",
}
MAX_FILE = 2 * 1024 * 1024
# Read by the convex CLI (npx convex deploy / dev), never by functions: convex 1.48.0,
# dist/cjs/cli/lib/utils/utils.js (CONVEX_DEPLOY_KEY_ENV_VAR_NAME ... _ADMIN_KEY_VAR_NAME).
BUILD_TIME_ONLY = frozenset(
    {
        "CONVEX_DEPLOY_KEY",
        "CONVEX_DEPLOYMENT_TOKEN",
        "CONVEX_DEPLOYMENT",
        "CONVEX_SELF_HOSTED_URL",
        "CONVEX_SELF_HOSTED_ADMIN_KEY",
    }
)


def build_time(name: str) -> str:
    """Say who reads a build-time variable, and where it belongs."""
    if name in BUILD_TIME_ONLY:
        return (
            "the convex CLI reads it when it deploys (npx convex deploy in the build), so it "
            "belongs in the build's environment (a GitHub Actions secret, Cloudflare Pages > "
            "Settings > Environment variables)"
        )
    return (
        "vite build inlines VITE_ variables into the bundle, so it belongs in the build's "
        "environment (env files, a GitHub Actions variable, Cloudflare Pages > Settings > "
        "Environment variables)"
    )


class Scope(StrEnum):
    """Where a variable must be set: on the Convex deployment, or in the frontend build."""

    CONVEX = "convex"
    BUILD = "build"
    ANY = "any"


@dataclass
class Required:
    """A variable the project needs, where it is used, and where it must be set."""

    name: str
    scope: Scope
    used_at: list[str] = field(default_factory=list)


def _files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if any(part in SKIP_DIRS for part in path.relative_to(root).parts):
            continue
        if path.suffix in CODE_SUFFIXES and path.is_file() and path.stat().st_size <= MAX_FILE:
            yield path


def _scan(
    project: Path, folder: str, rx: re.Pattern[str], scope: Scope, out: dict[str, Required]
) -> None:
    for path in _files(project / folder):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        rel = path.relative_to(project).as_posix()
        for lineno, line in enumerate(text.splitlines(), 1):
            for m in rx.finditer(line):
                name = m.group("a") or m.group("b")
                if name in PROVIDED:
                    continue
                req = out.setdefault(name, Required(name, scope))
                if scope is Scope.CONVEX and req.scope is Scope.BUILD:
                    req.scope = Scope.ANY
                req.used_at.append(f"{rel}:{lineno}")


# t3-env (`createEnv({ server: {...}, client: {...}, shared: {...} })`): its schema lists the
# names the app validates at build and start. Where create-t3-app and the t3-env docs put it.
SCHEMA_FILES = tuple(
    f"{folder}env{suffix}"
    for folder in ("src/", "", "src/env/", "app/")
    for suffix in (".js", ".mjs", ".ts", ".mts")
)
_SCHEMA_BLOCK_RX = re.compile(r"\b(server|client|shared)\s*:\s*\{")
_PROD_ONLY_RX = re.compile(r"NODE_ENV\s*={2,3}\s*[\"']production")
_SCHEMA_KEY_RX = re.compile(r"^\s*([A-Z][A-Z0-9_]*)\s*:", re.M)


def _block(text: str, start: int) -> str:
    """Return the text of the {...} whose opening brace is just before `start`."""
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return text[start:]


def schema_names(text: str) -> list[tuple[str, str, int, bool]]:
    """Return (name, block, line, optional) for each key of a t3-env schema's blocks.

    A key whose validator ends optional or with a default (`.optional()`, `.default(...)`) is
    not required, unless only outside production (`NODE_ENV === "production" ? ... : ...`).
    """
    if "createEnv" not in text:
        return []
    out: list[tuple[str, str, int, bool]] = []
    for block in _SCHEMA_BLOCK_RX.finditer(text):
        body = _block(text, block.end())
        body = re.sub(
            r"//[^\n]*|/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), body, flags=re.S
        )
        keys = list(_SCHEMA_KEY_RX.finditer(body))
        for i, key in enumerate(keys):
            value = body[key.end() : keys[i + 1].start() if i + 1 < len(keys) else len(body)]
            loose = ".optional()" in value or ".default(" in value
            optional = loose and not _PROD_ONLY_RX.search(value)
            line = text.count("\n", 0, block.end() + key.start(1)) + 1
            out.append((key.group(1), block.group(1), line, optional))
    return out


def required_names(project: Path, extra: dict[str, str] | None = None) -> dict[str, Required]:
    """Collect required names from the code, .env.example and extra names (name -> where)."""
    out: dict[str, Required] = {}
    _scan(project, "convex", PROCESS_ENV_RX, Scope.CONVEX, out)
    _scan(project, "src", VITE_ENV_RX, Scope.BUILD, out)
    # process.env in src/ is unusual under Vite but appears in SSR code and config.
    for name in ("vite.config.ts", "vite.config.js", "vite.config.mts"):
        path = project / name
        if (_scan_file := read_project_text(path)) is not None:
            for lineno, line in enumerate(_scan_file.splitlines(), 1):
                for m in PROCESS_ENV_RX.finditer(line):
                    n = m.group("a") or m.group("b")
                    if n not in PROVIDED:
                        out.setdefault(n, Required(n, Scope.BUILD)).used_at.append(
                            f"{name}:{lineno}"
                        )
    for rel in SCHEMA_FILES:
        path = project / rel
        if not path.is_file() or path.stat().st_size > MAX_FILE:
            continue
        for key, block, at, optional in schema_names(path.read_text("utf-8", "replace")):
            if optional or key in PROVIDED:
                continue
            # client: names ship in the bundle (built in); server:/shared: wherever it runs.
            scope = Scope.BUILD if block == "client" else Scope.ANY
            out.setdefault(key, Required(key, scope)).used_at.append(f"{rel}:{at}")
    example = project / ".env.example"
    if (example_text := read_project_text(example)) is not None:
        entries, _ = parse_dotenv(example_text)
        for entry in entries:
            build = entry.name.startswith("VITE_") or entry.name in BUILD_TIME_ONLY
            scope = Scope.BUILD if build else Scope.ANY
            out.setdefault(entry.name, Required(entry.name, scope)).used_at.append(
                f".env.example:{entry.line}"
            )
    for req in out.values():
        if req.name in BUILD_TIME_ONLY:
            req.scope = Scope.BUILD  # even when convex/ code mentions it (a script, a comment)
    for name, where in (extra or {}).items():
        out.setdefault(name, Required(name, Scope.CONVEX)).used_at.append(where)
    return out
