"""--help: examples on every command that work as written, shell completion, "did you mean"."""

from __future__ import annotations

import re
import shlex

import click
import pytest
from click.testing import CliRunner

from diagnose.cli import cli, main
from diagnose.commands.examples import EXAMPLES


def _tree() -> dict[str, click.Command]:
    """Every command and subcommand, by its path ("incident show")."""
    ctx = click.Context(cli)
    found: dict[str, click.Command] = {}

    def walk(group: click.Group, prefix: str) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            path = f"{prefix} {name}".strip()
            found[path] = command
            if isinstance(command, click.Group):
                walk(command, path)

    walk(cli, "")
    return found


def test_every_command_has_examples_in_its_help() -> None:
    runner = CliRunner()
    missing = []
    for path in _tree():
        shown = runner.invoke(cli, [*path.split(), "--help"], terminal_width=100)
        assert shown.exit_code == 0, (path, shown.output)
        if "Examples:" not in shown.output or f"diagnose {path.split()[0]}" not in shown.output:
            missing.append(path)
    assert missing == []
    assert "Examples:" in runner.invoke(cli, ["--help"]).output


def test_examples_name_real_commands_and_options() -> None:
    tree = _tree()
    for path, lines in EXAMPLES.items():
        assert path in tree, f"examples for {path!r}, which is no command"
        for example in lines:
            for words in _diagnose_calls(example):
                command, rest = _resolve(tree, words)
                known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
                for word in rest:
                    if word.startswith("-") and word != "-":
                        assert word.split("=")[0] in known, (example, word)


def _diagnose_calls(example: str) -> list[list[str]]:
    """Split an example as the shell would into the `diagnose ...` calls it makes."""
    text = re.sub(r"\s#\s.*$", "", example.replace("\\\n", " "), flags=re.M)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.commenters = ""
    lexer.wordchars += "$=*.:/#@-+{}[]!?,~"
    calls, words = [], []
    for token in [*lexer, ";"]:
        if token and set(token) <= set(";&|()<>"):
            calls.append(words)
            words = []
        else:
            words.append(token)
    found = []
    for words in calls:
        words = [w for w in words if not w.startswith("$")] if words[:1] == ["$"] else words
        if "diagnose" in words:
            found.append(words[words.index("diagnose") + 1 :])
    return found


def _resolve(tree: dict[str, click.Command], words: list[str]) -> tuple[click.Command, list[str]]:
    for size in range(len(words), 0, -1):
        path = " ".join(words[:size])
        if path in tree:
            return tree[path], words[size:]
    raise AssertionError(f"no command in {words}")


def test_help_documents_shell_completion_with_the_entry_point_name() -> None:
    import tomllib
    from pathlib import Path

    scripts = tomllib.loads(Path("pyproject.toml").read_text())["project"]["scripts"]
    assert list(scripts) == ["diagnose"]  # so click's variable is _DIAGNOSE_COMPLETE
    shown = CliRunner().invoke(cli, ["--help"], terminal_width=120).output
    assert 'eval "$(_DIAGNOSE_COMPLETE=bash_source diagnose)"' in shown
    assert 'eval "$(_DIAGNOSE_COMPLETE=zsh_source diagnose)"' in shown


def test_completion_lists_lazy_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.shell_completion import ShellComplete

    complete = ShellComplete(cli, {}, "diagnose", "_DIAGNOSE_COMPLETE")
    assert [c.value for c in complete.get_completions([], "inc")] == ["incident"]
    assert [c.value for c in complete.get_completions(["incident"], "re")] == ["reopen", "retry"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["incidnt"], "No such command 'incidnt'. Did you mean 'incident'"),
        (["web"], "No such command 'web'. Did you mean 'webhooks'?"),
        (["dsn", "dashtray.com"], "Did you mean 'dns'?"),
        (["incident", "sho", "INC-1"], "No such command 'sho'. Did you mean 'show'?"),
        (["rules", "lnt"], "Did you mean 'lint'?"),
    ],
)
def test_did_you_mean(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 3
    err = capsys.readouterr().err
    assert says in err and len(err.splitlines()) == 1


def test_nothing_close_gets_no_guess(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["xyzzy"])
    err = capsys.readouterr().err
    assert "No such command 'xyzzy'." in err and "Did you mean" not in err
