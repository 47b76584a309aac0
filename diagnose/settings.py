"""The options every diagnosing command shares, parsed and checked once: the run's settings."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diagnose.config import Config, load_config
from diagnose.errors import BadInput
from diagnose.options import resolve
from diagnose.redact import Redactor
from diagnose.rules.load import Rule, RuleFileError
from diagnose.runoptions import COLOR, FORMAT, RunOptions
from diagnose.timeparse import parse_instant

DEFAULT_TIMEOUT: float = RunOptions.timeout


@dataclass(frozen=True)
class Common:
    """The common options of every diagnosing command, parsed and checked."""

    fmt: str = FORMAT
    output: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    request_timeout: float = RunOptions.request_timeout
    config: Config = field(default_factory=Config)
    rules_dirs: tuple[Path, ...] = ()
    save_facts: Path | None = None
    attach: str | None = None
    verbose: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    extra_secret_env: tuple[str, ...] = ()
    extra_secret_values: tuple[str, ...] = ()
    offline: bool = False  # --offline: files only, no live source (diagnose/sources)
    brief: bool = False  # --brief: the first screen only (diagnose/render/text.py)
    color: str = COLOR  # --color auto|always|never (diagnose/output.py)
    junit: Path | None = None  # --junit FILE: also a JUnit report (diagnose/render/junit.py)

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
    run = resolve(RunOptions, config, {"timeout": params.get("timeout")})
    now_text = params.get("now")
    now = parse_instant(now_text) if now_text is not None else datetime.now(UTC)
    if params.get("attach"):
        # Refuse a bad incident or sink before the probes run, not after the report is out.
        from diagnose.incidents.attach import check_target

        check_target(str(params["attach"]), config)
    _refuse_format_as_file(params.get("output"))
    rules_dirs = tuple(Path(p) for p in params.get("rules_dirs") or ())
    for d in rules_dirs:
        if not d.is_dir():
            raise BadInput(f"--rules {d}: not a folder")
    return Common(
        fmt=params.get("fmt") or FORMAT,
        output=Path(params["output"]) if params.get("output") else None,
        timeout=float(run.timeout),
        request_timeout=float(run.request_timeout),
        config=config,
        rules_dirs=rules_dirs,
        save_facts=Path(params["save_facts"]) if params.get("save_facts") else None,
        attach=params.get("attach"),
        verbose=bool(params.get("verbose")),
        now=now,
        extra_secret_env=tuple(secret_env),
        extra_secret_values=tuple(secret_values),
        offline=bool(params.get("offline")),
        brief=bool(params.get("brief")),
        color=params.get("color") or COLOR,
        junit=Path(params["junit"]) if params.get("junit") else None,
    )


# `-o json` is kubectl's habit for "output as JSON"; here it would write a text report to ./json.
_FORMAT_NAMES = frozenset({"text", "json", "markdown", "md", "html", "junit", "xml", "yaml"})


_FORMAT_ALIAS = {"md": "markdown"}


def _refuse_format_as_file(output: str | None) -> None:
    """Refuse a bare format name as the --output file, with the option that was meant."""
    if output and output.lower() in _FORMAT_NAMES:
        name = output.lower()
        meant = (
            "--junit FILE"
            if name in ("junit", "xml")
            else f"--format {_FORMAT_ALIAS.get(name, name)}"
        )
        raise BadInput(
            f"-o {output}: that would write the report to a file named {output!r}; "
            f"did you mean {meant}? (to write that file, give ./{output})"
        )


def invocation(argv: Sequence[str] | None = None) -> str:
    """Return the command line as typed, for "how to re-run this" (redacted on output)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return "diagnose " + shlex.join(args)
