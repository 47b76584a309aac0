"""Record `openssl s_client -verify_return_error` beside each ssl corpus case (s_client.txt).

    python corpus/ssl/record.py [CASE...]

Each case is served by harness.py exactly as the accuracy run serves it; s_client verifies the
chain and the name against the case's trust.pem, at this machine's OpenSSL security level. The
file holds the command, its exit code, and what it printed (stdout, then stderr), verbatim.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import harness  # noqa: E402  (corpus/ssl/harness.py: the same server as the accuracy run)


def record(folder: Path) -> str:
    """Serve the case, run s_client against it, write s_client.txt; return its verify line."""
    data = tomllib.loads((folder / "case.toml").read_text(encoding="utf-8"))
    host = data["args"][1]
    case = SimpleNamespace(folder=folder, data=data)
    with harness.prepare(case) as values:  # a dated trustme case is made afresh: its folder
        port = values["addr"].rsplit(":", 1)[1]
        argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", host]
        argv += ["-verify_return_error", "-verify_hostname", host, "-CAfile", "trust.pem"]
        done = subprocess.run(
            argv, cwd=values["case"], input=b"", capture_output=True, timeout=30, check=False
        )
    shown = " ".join(a if a != f"127.0.0.1:{port}" else "127.0.0.1:PORT" for a in argv)
    text = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    (folder / "s_client.txt").write_text(
        f"$ {shown} </dev/null\n# exit code {done.returncode}\n{text}", encoding="utf-8"
    )
    verdict = [ln.strip() for ln in text.splitlines() if "Verify return code" in ln]
    return f"exit {done.returncode}; " + (verdict[-1] if verdict else text.strip().splitlines()[-1])


def main(names: list[str]) -> int:
    """Record every case (or the named ones)."""
    folders = sorted(p.parent for p in HERE.glob("*/case.toml"))
    for folder in folders:
        if names and folder.name not in names:
            continue
        print(f"{folder.name}: {record(folder)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
