"""What a project folder says about deploying Convex and limiting request rates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from diagnose.safefiles import read_project_text

DEPLOY_RX = re.compile(r"convex\s+deploy\b[^\n'\"&|;]*")
PROD_RX = re.compile(r"convex\s+deploy\b[^\n&|;]*?\s--prod\b")
LIMITER_RX = re.compile(r"@convex-dev/rate-limiter|\bRateLimiter\b|\brateLimit(?:er)?\b")
MAX_FILE = 1024 * 1024


def _read(path: Path) -> str:
    # Never blocks: a workflow planted as a FIFO (or a link to /dev/zero) is skipped, not read.
    return read_project_text(path, MAX_FILE) or ""


def _candidates(root: Path) -> list[Path]:
    files: list[Path] = []
    for folder, patterns in (
        (root / ".github" / "workflows", ("*.yml", "*.yaml")),
        (root / "scripts", ("*.sh",)),
    ):
        if folder.is_dir():
            for pattern in patterns:
                files.extend(sorted(folder.glob(pattern)))
    for name in ("Makefile", "justfile", "netlify.toml", "wrangler.toml"):
        if (root / name).is_file():
            files.append(root / name)
    return files


def deploy_commands(root: Path) -> dict[str, Any]:
    """Return where `convex deploy` is run (package.json scripts, workflows, scripts/*.sh)."""
    found: list[str] = []
    prod: list[str] = []
    key_missing: list[str] = []
    pkg = root / "package.json"
    if pkg.is_file():
        try:
            scripts = json.loads(_read(pkg) or "{}").get("scripts") or {}
        except (json.JSONDecodeError, AttributeError):
            scripts = {}
        for name, cmd in scripts.items() if isinstance(scripts, dict) else ():
            if isinstance(cmd, str) and DEPLOY_RX.search(cmd):
                where = f"package.json scripts.{name}: {cmd.strip()}"
                found.append(where)
                if PROD_RX.search(cmd):
                    prod.append(where)
    for path in _candidates(root):
        text = _read(path)
        rel = path.relative_to(root).as_posix()
        hits = 0
        for number, line in enumerate(text.splitlines(), 1):
            if DEPLOY_RX.search(line) and not line.lstrip().startswith("#"):
                hits += 1
                where = f"{rel}:{number}: {line.strip()}"
                found.append(where)
                if PROD_RX.search(line):
                    prod.append(where)
        # A workflow that deploys Convex needs the production deploy key in its environment.
        if hits and rel.startswith(".github/") and "CONVEX_DEPLOY_KEY" not in text:
            key_missing.append(rel)
    return {"deploy_commands": found, "prod_flag": prod, "deploy_key_missing": key_missing}


def rate_limiter(root: Path) -> list[str]:
    """Return where a rate limiter is configured (package.json dependency, convex/ sources)."""
    where: list[str] = []
    pkg = _read(root / "package.json")
    if "@convex-dev/rate-limiter" in pkg:
        where.append("package.json: @convex-dev/rate-limiter")
    convex = root / "convex"
    if convex.is_dir():
        for path in sorted(convex.rglob("*.ts")):
            if "_generated" in path.parts or "node_modules" in path.parts:
                continue
            text = _read(path)
            if match := LIMITER_RX.search(text):
                line = text.count("\n", 0, match.start()) + 1
                where.append(f"{path.relative_to(root).as_posix()}:{line}: {match.group(0)}")
                if len(where) >= 5:
                    break
    return where


CRON_RX = re.compile(
    r"crons\.(?P<kind>interval|hourly|daily|weekly|monthly|cron)\(\s*[\"'](?P<name>[^\"']+)[\"']\s*,"
    r"\s*(?P<spec>\{[^}]*\}|[\"'][^\"']*[\"'])\s*,\s*(?P<target>[\w.]+)",
    re.S,
)
_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600}


def _cron_expr_seconds(expr: str) -> int | None:
    fields = expr.split()
    if len(fields) != 5:
        return None
    minute, hour, dom, _mon, dow = fields
    if minute.startswith("*/") and hour == "*":
        return int(minute[2:]) * 60 if minute[2:].isdigit() else None
    if minute == "*" and hour == "*":
        return 60
    if hour == "*":
        return 3600
    if hour.startswith("*/") and hour[2:].isdigit():
        return int(hour[2:]) * 3600
    if dom == "*" and dow == "*":
        return 86400
    if dom == "*":
        return 7 * 86400
    return 31 * 86400


def declared_crons(root: Path) -> list[dict[str, Any]]:
    """Return the jobs convex/crons.ts declares: name, function identifier, interval in seconds."""
    text = _read(root / "convex" / "crons.ts") or _read(root / "convex" / "crons.js")
    jobs: list[dict[str, Any]] = []
    for m in CRON_RX.finditer(text):
        kind, spec = m.group("kind"), m.group("spec")
        seconds: int | None
        if kind == "interval":
            seconds = (
                sum(
                    int(n) * _UNITS[u]
                    for u, n in re.findall(r"(seconds|minutes|hours)\s*:\s*(\d+)", spec)
                )
                or None
            )
        elif kind == "cron":
            seconds = _cron_expr_seconds(spec.strip("\"'"))
        else:
            seconds = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 31 * 86400}[
                kind
            ]
        # internal.integrations.syncAll -> integrations:syncAll (how Convex logs name it)
        parts = m.group("target").split(".")[1:]
        ident = "/".join(parts[:-1]) + ":" + parts[-1] if len(parts) >= 2 else m.group("target")
        jobs.append({"name": m.group("name"), "function": ident, "interval_s": seconds})
    return jobs
