"""Heavy modules load only in the commands that need them; other imports sit at module top."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import ROOT

pytestmark = pytest.mark.lab  # every test here starts a server or a process

HEAVY = ("pandas", "pyarrow", "httpx", "cryptography", "dns", "numpy")

PROBE = """
import sys
sys.argv = {argv!r}
try:
    from diagnose.cli import main
    main()
except SystemExit:
    pass
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
"""


@pytest.mark.parametrize(
    "argv", [["diagnose", "--help"], ["diagnose", "rules", "list"], ["diagnose", "smoke", "--help"]]
)
def test_no_heavy_imports(argv: list[str]) -> None:
    code = PROBE.format(argv=argv, heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    ).stdout
    line = [ln for ln in out.splitlines() if ln.startswith("HEAVY:")][-1]
    assert line == "HEAVY:", f"{' '.join(argv)} imported {line[6:]}"


# Imported inside functions on purpose wherever they are used: each costs start-up time that
# most commands never need (yaml too: a run served from the rules cache never parses YAML;
# urllib.request pulls in http.client and email for one AIA fetch).
LAZY_LIBRARIES = (*HEAVY, "yaml", "urllib", "ssl")
# Cycles: settings hands out the run's rules (engine.api) and checks attach targets, both of which
# read settings; config's schema lists every family's options class and the budgets.
CYCLES = {
    ("diagnose.settings", "diagnose.engine.api"),
    ("diagnose.settings", "diagnose.incidents.attach"),
    ("diagnose.config", "diagnose.families"),
    ("diagnose.config", "diagnose.budgets"),
}
STARTUP = (["--help"], ["rules", "list"], ["smoke", "--help"])
LOADED = """
import contextlib, io, json, sys
sys.argv = ["diagnose", *{argv!r}]
try:
    with contextlib.redirect_stdout(io.StringIO()):
        from diagnose.cli import main
        main()
except SystemExit:
    pass
print("LOADED:" + json.dumps(sorted(sys.modules)))
"""


def _loaded(argv: list[str]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", LOADED.format(argv=argv)], capture_output=True, text=True, timeout=60
    ).stdout
    return set(json.loads([ln for ln in out.splitlines() if ln.startswith("LOADED:")][-1][7:]))


def _function_level_imports() -> Iterator[tuple[str, int, list[str]]]:
    """Yield (module, line, modules it names) for each import inside a function, not in a try."""
    for path in sorted((ROOT / "diagnose").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            guarded = {id(n) for t in ast.walk(func) if isinstance(t, ast.Try) for n in ast.walk(t)}
            for node in ast.walk(func):
                if id(node) in guarded:
                    continue
                if isinstance(node, ast.Import):
                    yield module, node.lineno, [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    named = [f"{node.module}.{a.name}" for a in node.names]
                    subs = [
                        n
                        for n in named
                        if (ROOT / Path(*n.split("."))).is_dir()
                        or (ROOT / Path(*n.split("."))).with_suffix(".py").is_file()
                    ]
                    yield module, node.lineno, [node.module, *subs]


def test_function_level_imports_are_deliberate() -> None:
    """An import inside a function saves start-up time, breaks a cycle, or is not there.

    Deliberate: a heavy library; or, in a module that a start-up command loads, a module that
    this command would not load otherwise. Anything else belongs at the top of the module.
    """
    loaded = [_loaded(argv) for argv in STARTUP]
    gratuitous = []
    for module, line, targets in _function_level_imports():
        if targets[0].split(".")[0] in LAZY_LIBRARIES:
            continue
        if any((module, t) in CYCLES for t in targets):
            continue
        if any(module in s and any(t not in s for t in targets) for s in loaded):
            continue
        gratuitous.append(f"{module}:{line} imports {targets[0]}")
    assert not gratuitous, "move to the module's top:\n" + "\n".join(gratuitous)
