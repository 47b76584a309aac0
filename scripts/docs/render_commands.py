"""Run every command marked in docs/commands/*.md and write its real output into the page.

A generated block is a fenced block right after a marker line:

    <!-- run: diagnose demo dns --brief -->
    ```
    $ diagnose demo dns --brief
    ...what it printed...
    ```

The command runs from the repository root, offline, against the lab (`diagnose demo` starts
and stops its own) or the repository's fixtures and corpus, with COLUMNS=100 and no colour.
stdout is shown, then "(exit N)" when N is not 0; add `2>&1` in the marker to show stderr too.
What truly varies from run to run (ports, times, durations, temporary paths, sparklines drawn
from timings) is written as it came; `--check` compares through `normalise`, so that only a
real change of what the command prints makes a page stale.

    python scripts/docs/render_commands.py            # rewrite every page
    python scripts/docs/render_commands.py --check    # exit 1 and name the stale blocks
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "docs" / "commands"
# An optional VAR=value prefix sets the command's environment (a public test secret, say).
MARKER = re.compile(r"^<!-- run: ((?:[A-Z_][A-Z0-9_]*=\S+ )*diagnose .+?) -->$")
WIDTH = "100"
TIMEOUT_S = 120

# What differs between two runs of the same command on the same tree.
_VARIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"), "<time>"),
    (re.compile(r"\b\d\d:\d\d(?::\d\d)?\b"), "<clock>"),
    (re.compile(r"(127\.0\.0\.\d+|localhost|\[::1\]):\d+"), r"\1:<port>"),
    (re.compile(r"(-p |--port |port )\d{4,5}\b"), r"\1<port>"),
    (re.compile(r"/tmp/[\w.+-]+"), "/tmp/<tmp>"),
    (re.compile(r"\b\d+(?:[.,]\d+)*\s?(?:ms|s|min|h)\b"), "<duration>"),
    (re.compile(r"[▁▂▃▄▅▆▇█]{2,}"), "<spark>"),
    (re.compile(r"\(pid \d+\)"), "(pid <pid>)"),
    # The Markdown report's probe table: | probe | status | ms | error |
    (re.compile(r"^(\| [\w.-]+ \| \w+ \| )\d+( \|)", re.M), r"\1<ms>\2"),
)


def normalise(text: str) -> str:
    """Return text with what varies between runs replaced by a mark (for comparing only)."""
    for pattern, mark in _VARIES:
        text = pattern.sub(mark, text)
    # A duration one digit longer moves a word to the next line: wrapping is not content.
    return " ".join(text.split())


@dataclass(frozen=True)
class Block:
    """One generated block: the page, its marker's line, the command, the text it holds now."""

    page: Path
    line: int  # 0-based index of the marker line
    command: str
    text: str  # the fenced block's content, without the fences
    end: int  # index of the closing fence


def blocks(page: Path) -> Iterator[Block]:
    """Yield every generated block of a page."""
    lines = page.read_text().splitlines()
    i = 0
    while i < len(lines):
        match = MARKER.match(lines[i].strip())
        if not match:
            i += 1
            continue
        start = i + 1
        fence = re.match(r"^(`{3,})", lines[start]) if start < len(lines) else None
        if fence is None:
            raise SystemExit(f"{page}:{i + 1}: a run marker must be followed by a fenced block")
        end = start + 1
        # Closed by the same fence: a Markdown report inside holds ``` blocks of its own.
        while end < len(lines) and lines[end].strip() != fence.group(1):
            end += 1
        yield Block(page, i, match.group(1), "\n".join(lines[start + 1 : end]), end)
        i = end + 1


def run(command: str) -> str:
    """Run one marked command and return the block's text: the prompt line, output, exit."""
    show_stderr = command.endswith("2>&1")
    argv = shlex.split(command.removesuffix("2>&1").strip())
    assigned = {}
    while argv and "=" in argv[0] and argv[0] != "diagnose":
        name, _, value = argv.pop(0).partition("=")
        assigned[name] = value
    assert argv[0] == "diagnose"
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DIAGNOSE_"))}
    env = {**keep, "COLUMNS": WIDTH, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    env.pop("FORCE_COLOR", None)
    env.pop("CLICOLOR_FORCE", None)
    env["DIAGNOSE_INCIDENT_DB"] = str(ROOT / ".docs-incidents.sqlite3")  # never the user's
    env.update(assigned)
    done = subprocess.run(
        [sys.executable, "-m", "diagnose", *argv[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    out = done.stdout + (done.stderr if show_stderr else "")
    text = f"$ {command}\n{out.rstrip()}"
    if done.returncode:
        text += f"\n(exit {done.returncode})"
    return text


def render(page: Path) -> tuple[str, list[str]]:
    """Return the page with every generated block rewritten, and the commands that were run."""
    lines = page.read_text().splitlines()
    found = list(blocks(page))
    for block in reversed(found):
        lines[block.line + 2 : block.end] = run(block.command).splitlines()
    return "\n".join(lines) + "\n", [b.command for b in found]


def stale(page: Path) -> list[str]:
    """Return the commands whose block differs from what they print today (normalised)."""
    return [
        f"{page.relative_to(ROOT)}:{b.line + 1}: {b.command}"
        for b in blocks(page)
        if normalise(b.text) != normalise(run(b.command))
    ]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the pages, or with --check say which blocks are stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a block is stale")
    parser.add_argument("pages", nargs="*", type=Path, help="default: docs/commands/*.md")
    args = parser.parse_args(argv)
    pages = [p.resolve() for p in args.pages] or sorted(PAGES.glob("*.md"))
    try:
        if args.check:
            problems = [line for page in pages for line in stale(page)]
            for line in problems:
                print(f"stale: {line}")
            return 1 if problems else 0
        for page in pages:
            text, commands = render(page)
            if commands:
                page.write_text(text)
                print(f"{page.relative_to(ROOT)}: {len(commands)} block(s)")
        return 0
    finally:
        (ROOT / ".docs-incidents.sqlite3").unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            (ROOT / f".docs-incidents.sqlite3{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
