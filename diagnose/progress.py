"""Progress on stderr while probes run: which are running, n of N requests; on a terminal only.

One line, redrawn in place, shown only once a run has lasted a second (a fast run stays
silent) and erased before anything else is written. Nothing is drawn unless `enable` was called
(the CLI calls `auto()`: only when stderr is a terminal), so a pipe, a file, CI and the tests'
subprocesses see no byte of it, and stdout (the report, JSON) is never touched.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from typing import TextIO

DELAY_S = 1.0  # a run shorter than this shows nothing
TICK_S = 0.1  # redraw interval
ERASE = "\r\x1b[2K"


class Board:
    """What is running now, and how far each probe that counts its steps has got."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}  # probe -> how many runs of it (batches run many)
        self._steps: dict[str, tuple[int, int, str]] = {}  # probe -> (done, total, unit)
        self._since: float | None = None
        self._stream: TextIO | None = None
        self._drawn = False
        self._last = ""  # the line on screen: redrawn only when it changes
        self._thread: threading.Thread | None = None

    def enable(self, stream: TextIO) -> None:
        """Draw on this stream from now on (a terminal)."""
        with self._lock:
            self._stream = stream
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True, name="progress")
                self._thread.start()

    def disable(self) -> None:
        """Stop drawing and erase the line."""
        with self._lock:
            self._erase()
            self._stream = None

    @property
    def enabled(self) -> bool:
        """True when drawing on a stream."""
        return self._stream is not None

    def started(self, probe: str) -> None:
        """A probe started running."""
        with self._lock:
            self._running[probe] = self._running.get(probe, 0) + 1
            if self._since is None:
                self._since = time.monotonic()

    def ended(self, probe: str) -> None:
        """A probe ended; when none is left running, the line goes."""
        with self._lock:
            left = self._running.get(probe, 1) - 1
            if left > 0:
                self._running[probe] = left
            else:
                self._running.pop(probe, None)
                self._steps.pop(probe, None)
            if not self._running:
                self._since = None
                self._erase()

    def clear(self) -> None:
        """Erase the line now (something else is about to be written to stderr)."""
        with self._lock:
            self._erase()

    def step(self, probe: str, done: int, total: int, unit: str) -> None:
        """A probe has done `done` of `total` steps (requests, deliveries)."""
        with self._lock:
            self._steps[probe] = (done, total, unit)

    def line(self, now: float | None = None) -> str | None:
        """Return the line to show now, or None (nothing running, or not for a second yet)."""
        with self._lock:
            return self._line(time.monotonic() if now is None else now)

    def _line(self, now: float) -> str | None:
        if self._since is None or now - self._since < DELAY_S or not self._running:
            return None
        parts = []
        for probe in sorted(self._running):
            text = probe
            if (many := self._running[probe]) > 1:
                text += f" ×{many}"
            if probe in self._steps:
                done, total, unit = self._steps[probe]
                text += f" ({done} of {total} {unit})"
            parts.append(text)
        return f"diagnose: {now - self._since:.0f} s, running " + ", ".join(parts)

    def _erase(self) -> None:
        if self._drawn and self._stream is not None:
            try:
                self._stream.write(ERASE)
                self._stream.flush()
            except (OSError, ValueError):
                pass
        self._drawn = False

    def _loop(self) -> None:
        while True:
            time.sleep(TICK_S)
            with self._lock:
                if self._stream is None:
                    continue
                text = self._line(time.monotonic())
                if text is None or (self._drawn and text == self._last):
                    continue
                width = shutil.get_terminal_size((80, 24)).columns
                if len(text) >= width:
                    text = text[: max(1, width - 2)] + "…"
                try:
                    self._stream.write(ERASE + text)
                    self._stream.flush()
                    self._drawn = True
                    self._last = text
                except (OSError, ValueError):
                    self._stream = None  # the terminal went away: stop drawing


BOARD = Board()


def wanted(stream: TextIO) -> bool:
    """True when progress belongs on this stream: a terminal, not a dumb one, not CI."""
    if os.environ.get("TERM") == "dumb" or os.environ.get("CI") or os.environ.get("GITHUB_ACTIONS"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def auto(stream: TextIO) -> None:
    """Enable progress on stream when it is wanted there."""
    if wanted(stream):
        BOARD.enable(stream)


def started(probe: str) -> None:
    """A probe started (called by the engine)."""
    BOARD.started(probe)


def ended(probe: str) -> None:
    """A probe ended (called by the engine)."""
    BOARD.ended(probe)


def step(probe: str, done: int, total: int, unit: str = "requests") -> None:
    """Report how far a probe has got (called by probes through their sink)."""
    BOARD.step(probe, done, total, unit)


def erase() -> None:
    """Erase the line before something else is written to stderr."""
    BOARD.clear()
