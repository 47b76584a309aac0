"""What `diagnose env` runs: the required names against Convex's env list, .env files, workflows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput
from diagnose.families.env.check import (
    CREDENTIAL_RX,
    VITE_PRODUCTION_FILES,
    Source,
    source_from_text,
    workflow_sources,
)
from diagnose.families.env.dotenv import Entry
from diagnose.families.env.formats import Visibility, classify
from diagnose.families.env.options import EnvOptions
from diagnose.families.env.scan import Scope
from diagnose.family import Plan
from diagnose.inputs import read_bytes
from diagnose.options import resolve
from diagnose.readers.text import strict_decode
from diagnose.settings import Common
from diagnose.sources import plans as live_sources

MAX_ENV_BYTES = 1024 * 1024
SHORT_PLAIN = 16  # a plain value shorter than this, of a name that is no credential, is a setting
NOTHING_TO_CHECK = (
    "nothing to check against: give --convex-env FILE|- (npx convex env list --prod), "
    "--env-file FILE, or --project DIR with .env files or workflows"
)


def read_text(source: str, what: str) -> str:
    """Read an env file or stdin as text (UTF-8 or UTF-16, BOM or not, CRLF); raise BadInput
    when it is not text."""
    data = read_bytes(source, what, MAX_ENV_BYTES)
    try:
        return strict_decode(data)
    except UnicodeDecodeError as exc:
        raise BadInput(f"{what} {source}: not UTF-8 text (byte {exc.start})") from None


def env_sources(
    root: Path | None, convex_env: str | None, env_files: Sequence[str]
) -> list[Source]:
    """Where the present names come from: Convex's env list, the build's .env files, workflows."""
    sources: list[Source] = []
    if convex_env is not None:
        label = "npx convex env list" + ("" if convex_env == "-" else f" ({convex_env})")
        sources.append(
            source_from_text(read_text(convex_env, "--convex-env"), label, Scope.CONVEX, True)
        )
    files = [Path(f) for f in env_files]
    if not files and root is not None:
        # What `vite build` itself would read.
        files = [root / n for n in VITE_PRODUCTION_FILES if (root / n).is_file()]
    for path in files:
        text = read_text(str(path), "--env-file")
        label = path.name if root is not None and path.parent == root else str(path)
        production = "development" not in path.name and not path.name.endswith(".test")
        sources.append(source_from_text(text, label, Scope.BUILD, production, path))
    if root is not None:
        sources.extend(workflow_sources(root))
    return sources


def file_values(sources: Sequence[Source]) -> tuple[str, ...]:
    """Return the values the redactor masks: all but the public by design and short plain
    settings of names that are no credential (masking 'production' everywhere, a file name
    included, would garble the report and hide nothing)."""
    return tuple(
        e.value for s in sources for e in s.entries if e.value and _maybe_secret(e.name, e.value)
    )


def _maybe_secret(name: str, value: str) -> bool:
    fmt = classify(name, value)
    if fmt.visibility is Visibility.PUBLIC:
        return False
    plain = fmt.visibility is Visibility.PLAIN and len(value.strip()) < SHORT_PLAIN
    return not plain or bool(CREDENTIAL_RX.search(name)) or "@" in value


def command_plan(opts: EnvOptions, common: Common, *, required: bool = True) -> Plan | None:
    """The envvars probe over every source given; None (or BadInput) when there is none."""
    root = Path(opts.project) if opts.project else None
    if root is not None and not root.is_dir():
        raise BadInput(f"--project {opts.project}: not a folder")
    sources = env_sources(root, opts.convex_env, opts.env_files)
    # Convex env list, GitHub, Cloudflare Pages (diagnose/sources); a --convex-env file wins.
    live = live_sources.env(common, opts.project, opts.convex_env is not None)
    for found in live.env_sets:
        scope = Scope.CONVEX if found.deployment else Scope.BUILD
        production = found.deployment or "production" in found.label
        if found.text is not None:
            sources.append(source_from_text(found.text, found.label, scope, production))
        else:
            sources.append(
                Source(found.label, scope, production, [Entry(n, None, 0) for n in found.names])
            )
    if not sources and not live.any():
        if required and root is not None:
            raise BadInput(
                f"nothing to check against in {root}: no {', '.join(VITE_PRODUCTION_FILES)} "
                "and no .github/workflows; give --convex-env FILE|- (npx convex env list --prod) "
                "or --env-file FILE"
            )
        if required:
            raise BadInput(NOTHING_TO_CHECK)
        return None
    extra: dict[str, str] = {}
    for key in ("secret_env", "previous_secret_env"):
        named = common.config.get("webhooks", key)
        # A list names alternatives (the first one set holds the secret): none is required alone.
        names = [named] if isinstance(named, str) else list(named or [])
        if len(names) == 1 and names[0]:
            extra[str(names[0])] = f"diagnose.toml webhooks.{key}"
    options: dict[str, Any] = {
        "project_dir": opts.project,
        "sources": sources,
        "extra_required": extra,
    }
    convex = opts.convex_env
    named = [*([convex] if convex not in (None, "-") else []), *opts.env_files]
    stdin = "stdin" if convex == "-" else None
    target = opts.project or " ".join(named) or stdin or live.target
    # Values read from files are masked in everything written, just in case.
    probes = (("envvars",) if sources else ()) + live.probes
    options = {**live.options, **options}
    return Plan("env", str(target), probes, options, file_values(sources) + live.secrets)


def plan(common: Common, window: Mapping[str, Any]) -> Plan | None:
    """Env variables when project.dir or project.convex_env is set."""
    opts = resolve(EnvOptions, common.config)
    if not (opts.project or opts.convex_env):
        return None
    return command_plan(opts, common, required=False)
