"""Heavy modules load only in the commands that need them."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
