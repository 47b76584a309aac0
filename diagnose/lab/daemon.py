"""The process behind `diagnose lab up`: start the lab, write where it is, wait for `lab down`."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from diagnose.lab.stack import start


def main(argv: list[str]) -> None:
    """Run the lab for argv[0] (a scenario) in folder argv[1] until SIGTERM."""
    scenario, folder = argv[0], Path(argv[1])
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with start(scenario, folder) as lab:
        state = {
            "pid": os.getpid(),
            "scenario": scenario,
            "config": str(lab.config),
            "endpoints": lab.endpoints,
            "env": lab.env,
            # `lab down` signals this pid only once the process proves it holds this token.
            "token": os.environ.get("DIAGNOSE_LAB_TOKEN", ""),
        }
        tmp = folder / "lab.json.tmp"
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(folder / "lab.json")  # atomic: `lab up` never reads half a file
        stop.wait()
    (folder / "lab.json").unlink(missing_ok=True)


if __name__ == "__main__":
    main(sys.argv[1:])
