"""The command line of a generated page: print it, write it (-o FILE), or check it (--check FILE)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def main(argv: list[str], render: Callable[[], str], module: str) -> int:
    """Write the page to stdout or -o FILE; --check FILE exits 1 when the file is stale."""
    text = render()
    if len(argv) == 2 and argv[0] == "--check":
        same = Path(argv[1]).read_text(encoding="utf-8") == text
        if not same:
            print(f"{argv[1]} is stale: run python -m {module} -o {argv[1]}")
        return 0 if same else 1
    if len(argv) == 2 and argv[0] == "-o":
        Path(argv[1]).write_text(text, encoding="utf-8")
        return 0
    sys.stdout.write(text)
    return 0
