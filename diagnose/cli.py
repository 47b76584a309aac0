"""The command line: parse, hand over to the engine, render, exit. No diagnosis logic lives here."""

from __future__ import annotations

import difflib
import importlib
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from diagnose import __version__, progress
from diagnose.commands.examples import add_examples
from diagnose.errors import BadInput
from diagnose.families import FAMILIES

# name -> "module:attribute" of a click command: every family's command (diagnose.commands.<name>,
# from the family registry), then the commands that belong to no family. Each command module
# imports only click and the standard library at top level, so listing them for --help stays fast.
OTHER_COMMANDS: dict[str, str] = {
    "replay": "diagnose.commands.replay:command",
    "demo": "diagnose.commands.demo:command",
    "all": "diagnose.commands.all:command",
    "lab": "diagnose.commands.lab:command",
    "init": "diagnose.commands.init:command",
    "incident": "diagnose.commands.incident:command",
}
COMMANDS: dict[str, str] = {
    **{name: f"diagnose.commands.{name}:command" for name in FAMILIES},
    **OTHER_COMMANDS,
}


class _LazyGroup(click.Group):
    """A group whose commands live in their own modules, imported when named."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module, _, attr = COMMANDS[cmd_name].partition(":")
            found: click.Command = getattr(importlib.import_module(module), attr)
            add_examples(found, cmd_name)
            return found
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve as click does; a mistyped name gets "did you mean" from every command."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            name = args[0] if args else ""
            if not name or name.startswith("-") or "Did you mean" in exc.message:
                raise
            known = self.list_commands(ctx)
            # A prefix first (`diagnose web`), then the close spellings (`diagnose incidnt`).
            near = [c for c in known if c.startswith(name)] or difflib.get_close_matches(
                name, known, n=3, cutoff=0.6
            )
            if not near:
                raise
            which = " or ".join(f"'{c}'" for c in near[:3])
            raise click.UsageError(
                f"No such command '{name}'. Did you mean {which}?", ctx
            ) from None


COMPLETION_HELP = (
    "\b\nShell completion (click's): add one line to your shell's startup file\n"
    '  bash  eval "$(_DIAGNOSE_COMPLETE=bash_source diagnose)"        # ~/.bashrc\n'
    '  zsh   eval "$(_DIAGNOSE_COMPLETE=zsh_source diagnose)"         # ~/.zshrc\n'
    "  fish  _DIAGNOSE_COMPLETE=fish_source diagnose | source          # ~/.config/fish/config.fish"
)


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="\b\nExamples:\n  diagnose demo\n  diagnose init && diagnose all --brief\n"
    "  diagnose dns dashtray.com\n  diagnose webhooks --help\n\n" + COMPLETION_HELP,
)
@click.version_option(__version__, prog_name="diagnose")
def cli() -> None:
    """Turn an incident into a ranked list of causes, with evidence and the commands that fix them.

    Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown (bad input, or a probe failure that no
    finding explains).

    Start here: `diagnose demo` (offline, against the lab), then `diagnose init` and
    `diagnose all` against your service.
    """


@cli.group()
def rules() -> None:
    """List, show, lint and test rules (built-in and your own)."""


@rules.command("list")
@click.option(
    "--rules", "rules_dirs", multiple=True, type=click.Path(), help="Also list the rules in DIR."
)
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
def rules_list(**params: Any) -> None:
    """List every rule: id, severity, title."""
    from diagnose.commands.rules import list_rules

    sys.exit(list_rules(params))


@rules.command("show")
@click.argument("rule_id", metavar="ID")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(), help="Also search DIR.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
def rules_show(rule_id: str, **params: Any) -> None:
    """Show one rule whole: condition, message, remediation, references."""
    from diagnose.commands.rules import show_rule

    sys.exit(show_rule(rule_id, params))


@rules.command("lint")
@click.argument("dirs", nargs=-1, type=click.Path())
def rules_lint(dirs: tuple[str, ...]) -> None:
    """Check rule files: keys, operators, fact names, ids, explains. Default: the built-in rules."""
    from diagnose.commands.rules import lint_rules

    sys.exit(lint_rules(dirs))


@rules.command("test")
@click.argument("dirs", nargs=-1, type=click.Path())
@click.option(
    "--cases",
    "cases_dir",
    type=click.Path(),
    help="Read cases from D/<id>.yaml [default: <rule>.test.yaml beside each rule].",
)
@click.option("-v", "--verbose", is_flag=True, help="Show every case, not only failures.")
def rules_test(dirs: tuple[str, ...], cases_dir: str | None, verbose: bool) -> None:
    """Run every rule's fire/quiet cases (its .test.yaml). Default: the built-in rules."""
    from diagnose.commands.rules import test_rules

    sys.exit(test_rules(dirs, cases_dir, verbose))


@rules.command("docs")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE [default: stdout]."
)
@click.option(
    "--check", "check_file", type=click.Path(dir_okay=False), help="Exit 1 if FILE is stale."
)
def rules_docs(output: str | None, check_file: str | None) -> None:
    """Generate the rule reference (docs/rules.md) from the rule files."""
    from diagnose.commands.rules import rule_docs

    sys.exit(rule_docs(output, check_file))


add_examples(rules, "rules")

MAX_ERROR_LINE = 1000  # characters: an error quotes input, and input can be 100 MB on one line


def say(line: str) -> None:
    """Write one stderr line through the redactor (patterns and the default secret variables),
    cut to a bounded length: every BadInput line passes here, and they quote URLs."""
    from diagnose.config import Config
    from diagnose.redact import Redactor

    progress.erase()  # the error line must not land after a half-drawn progress line
    text = " ".join(line.split("\n"))
    text = Redactor(Config().secret_values(())).text(text)
    if len(text) > MAX_ERROR_LINE:
        text = text[: MAX_ERROR_LINE - 1] + "…"
    click.echo(text, err=True)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; usage errors and bad input print one line and exit 3, never a traceback."""
    progress.auto(sys.stderr)  # a terminal only: a pipe, a file or CI never sees it
    try:
        cli.main(args=argv, prog_name="diagnose", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.UsageError as exc:
        hint = f" (try '{exc.ctx.command_path} --help')" if exc.ctx else ""
        say(f"diagnose: {exc.format_message()}{hint}")
        sys.exit(3)
    except click.exceptions.Abort:
        say("diagnose: aborted")
        sys.exit(3)
    except click.ClickException as exc:
        say(f"diagnose: {exc.format_message()}")
        sys.exit(3)
    except BadInput as exc:
        say(f"diagnose: {exc}")
        sys.exit(3)
    except KeyboardInterrupt:
        say("diagnose: interrupted")
        sys.exit(3)
    except BrokenPipeError:
        sys.exit(3)
    except sqlite3.Error as exc:
        # The incident and deploy logs: a full disk, a damaged file, a read-only one.
        say(f"diagnose: a local log (SQLite) failed: {exc}; check the disk and the file's rights")
        sys.exit(3)
    except Exception as exc:  # noqa: BLE001 - the contract is "never a traceback"
        if os.environ.get("DIAGNOSE_DEBUG"):
            raise
        say(
            f"diagnose: internal error: {type(exc).__name__}: {exc} "
            "(a bug: re-run with DIAGNOSE_DEBUG=1 and report the traceback)"
        )
        sys.exit(3)
    sys.exit(0)
