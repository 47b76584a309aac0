"""What every diagnosing command shares: options -> gather -> judge -> redact -> write -> exit code."""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diagnose.config import Config, load_config
from diagnose.engine.rules import Rule, RuleFileError
from diagnose.errors import BadInput
from diagnose.model import Diagnosis, FactSet
from diagnose.redact import Redactor
from diagnose.timeparse import parse_instant

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Common:
    """The common options of every diagnosing command, parsed and checked."""

    fmt: str = "text"
    output: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    config: Config = field(default_factory=Config)
    rules_dirs: tuple[Path, ...] = ()
    save_facts: Path | None = None
    attach: str | None = None
    verbose: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    extra_secret_env: tuple[str, ...] = ()
    extra_secret_values: tuple[str, ...] = ()

    def redactor(self) -> Redactor:
        """Return the redactor that knows every configured secret's value."""
        return Redactor(
            [*self.config.secret_values(self.extra_secret_env), *self.extra_secret_values]
        )

    def rules(self) -> list[Rule]:
        """Load built-in and user rules, turning rule problems into one clear line."""
        from diagnose.engine.api import all_rules

        try:
            return all_rules([*self.config.rule_dirs(), *self.rules_dirs])
        except RuleFileError as exc:
            more = len(exc.problems) - 1
            suffix = f" (+{more} more: run 'diagnose rules lint')" if more else ""
            raise BadInput(f"rule error: {exc.problems[0]}{suffix}") from None


def make_common(
    params: Mapping[str, Any], secret_env: Sequence[str] = (), secret_values: Sequence[str] = ()
) -> Common:
    """Build Common from click's parameters, validating each.

    `secret_env` names extra environment variables whose values must never be written
    (e.g. the one given to --secret-env); `secret_values` are values read from elsewhere
    (an env file) that must never be written either.
    """
    config = load_config(params.get("config_path"))
    timeout = params.get("timeout")
    if timeout is None:
        timeout = float(config.get("run", "timeout", DEFAULT_TIMEOUT))
    if not 0 < timeout <= 3600:
        raise BadInput(f"bad --timeout {timeout!r}: give seconds between 0 and 3600")
    now_text = params.get("now")
    now = parse_instant(now_text) if now_text is not None else datetime.now(UTC)
    if params.get("attach"):
        # Refuse a bad incident or sink before the probes run, not after the report is out.
        from diagnose.incidents.attach import check_target

        check_target(str(params["attach"]), config)
    rules_dirs = tuple(Path(p) for p in params.get("rules_dirs") or ())
    for d in rules_dirs:
        if not d.is_dir():
            raise BadInput(f"--rules {d}: not a folder")
    return Common(
        fmt=params.get("fmt") or ("text"),
        output=Path(params["output"]) if params.get("output") else None,
        timeout=float(timeout),
        config=config,
        rules_dirs=rules_dirs,
        save_facts=Path(params["save_facts"]) if params.get("save_facts") else None,
        attach=params.get("attach"),
        verbose=bool(params.get("verbose")),
        now=now,
        extra_secret_env=tuple(secret_env),
        extra_secret_values=tuple(secret_values),
    )


def invocation(argv: Sequence[str] | None = None) -> str:
    """Return the command line as typed, for "how to re-run this" (redacted on output)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return "diagnose " + shlex.join(args)


def use_color(stream: Any) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (no-color.org)."""
    return "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


def write_text(text: str, path: Path | None, redactor: Redactor) -> None:
    """Write text to a file or stdout, always through the redactor."""
    safe = redactor.text(text)
    if path is None:
        sys.stdout.write(safe)
        sys.stdout.flush()
        return
    try:
        path.write_text(safe, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}") from None


def save_facts(factset: FactSet, path: Path, redactor: Redactor) -> None:
    """Write the facts for `diagnose replay`, redacted."""
    write_text(redactor.json(factset.to_json(), indent=2) + "\n", path, Redactor())


def read_json_object(path: str, what: str) -> dict[str, Any]:
    """Read a JSON object from a file or `-`; raise BadInput naming the file, line and problem."""
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise BadInput(f"{path}: not {what}: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: not {what} (expected a JSON object)")
    return data


def load_facts(path: str) -> FactSet:
    """Read a facts file written by --save-facts; raise BadInput naming what is wrong."""
    data = read_json_object(path, "a facts file")
    try:
        return FactSet.from_json(data)
    except KeyError as exc:
        raise BadInput(f"{path}: not a facts file: missing key {exc}") from None
    except (ValueError, TypeError) as exc:
        raise BadInput(f"{path}: not a facts file: {exc}") from None


def gather_facts(
    common: Common,
    command: str,
    target: str,
    probes: Sequence[str],
    options: Mapping[str, Any],
    *,
    secrets: Sequence[str] = (),
    timeout: float | None = None,
    how: str | None = None,
) -> FactSet:
    """Run a command's probes with the run's clock, deadline, config and command line."""
    from diagnose.engine.api import gather

    return gather(
        command,
        target,
        probes,
        options,
        now=common.now,
        timeout=common.timeout if timeout is None else timeout,
        invocation=invocation() if how is None else how,
        secrets=secrets,
        config=common.config,
    )


def finish(diagnosis: Diagnosis, common: Common) -> int:
    """Render, write, save facts, attach; return the exit code."""
    from diagnose.render import OutputFormat, renderer

    redactor = common.redactor()
    fmt = OutputFormat(common.fmt)
    color = common.output is None and fmt is OutputFormat.TEXT and use_color(sys.stdout)
    text = renderer(fmt, color=color, verbose=common.verbose)(diagnosis)
    if fmt is OutputFormat.JSON:
        # JSON goes through the data redactor so that the document stays valid JSON.
        text = redactor.json(diagnosis.to_json(), indent=2) + "\n"
    write_text(text, common.output, redactor)
    if common.save_facts is not None:
        save_facts(diagnosis.factset, common.save_facts, redactor)
    if common.attach:
        # The incident package owns where and how (local log, GitHub, Slack...); it is handed
        # the redactor so that nothing it stores or sends can carry a secret.
        from diagnose.incidents.attach import attach_diagnosis

        attach_diagnosis(diagnosis, common.attach, common.config, redactor)
    return diagnosis.status.exit_code
