"""A fix step must end when pasted: no rule suggests a command that streams forever."""

from __future__ import annotations

import re

from diagnose.engine.api import all_rules

# `npx convex logs` tails the deployment until Ctrl-C, --history N or not (the CLI's
# src/cli/lib/logs.ts polls in a `for (;;)`): a pasted fix step bounds it with `timeout N`.
ENDLESS = re.compile(r"(?<!timeout \d\d )(?<!timeout \d )npx convex logs(?![^|;]*--help)")


def test_no_rule_suggests_a_command_that_never_ends() -> None:
    found = [
        f"{rule.id}: {text}"
        for rule in all_rules()
        # Commands are pasted whole; a fix step that pipes the logs somewhere is one to paste too.
        for text in (*rule.commands, *(s for s in rule.remediation if "|" in s))
        if ENDLESS.search(text)
    ]
    assert not found, found
