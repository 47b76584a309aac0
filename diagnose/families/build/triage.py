"""Find the first causal error of a failed build: not the last line, not "exit code 1".

Only generic shapes live here (what an error line looks like, which lines merely report that
something already failed). What a given error *means* is decided by the rules in rules/build/,
which match their own patterns against the lines this module hands over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagnose.readers.buildlog import BuildLog, BuildLogFormat, LogLine

# Lines that look like errors in any tool's dialect: a candidate, not a diagnosis.
CANDIDATE_RX = re.compile(
    r"(?i)\berror\b|\bERR!|\bERR_[A-Z_]+|\bFATAL\b|[✘✖×]|\bfailed\b|cannot find|could not"
    r"|not found|too old|\bunsupported\b|unknown option|out of memory|\bexception\b"
    r"|(?-i:\bE[A-Z]{4,}\b)"  # errno-style codes: ENOTFOUND, EBADENGINE
)
# Lines that only report that something already failed: never the answer.
CONSEQUENCE_RX = re.compile(
    r"(?i)Process completed with exit code \d+"
    r"|\bELIFECYCLE\b|Command failed with exit code \d+"
    r"|^Failed: |^Error: Exit with error code"
    r"|A complete log of this run can be found"
    r"|^\s*x Build failed in \d+"
    r"|^\s+at \S"  # stack frames
    r"|^\s*\d+: 0x[0-9a-f]+ "  # native stack frames
    r"|^npm (?:warn|WARN)\b|^\s*WARN\b"
    r"|^Found \d+ errors?\b"
)
EXIT_RX = re.compile(r"(?:exit(?:ed with error)? code:? |exit code )(?P<code>\d+)", re.I)
CONTEXT_BEFORE = 3
CONTEXT_AFTER = 5
MAX_LINES = 300  # lines of the failing part handed to the rules
MAX_TEXT = 400  # one pathological minified line must not blow up the facts
# Errors are told at the start of their line; a bundle dumped on one 5 MB line is not searched
# whole (ten regex passes over it took 17 s, past the run's deadline).
MAX_SCAN = 4096


@dataclass(frozen=True)
class FirstError:
    """The first causal error: its line, the text (a header joined to its detail), the context."""

    line: LogLine
    text: str
    context: tuple[str, ...]

    def location(self) -> str:
        """Say where it is: line number and step."""
        where = f"line {self.line.number}"
        if self.line.step:
            where += f", step '{self.line.step}'"
        if self.line.job:
            where += f", job '{self.line.job}'"
        return where


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def region(log: BuildLog) -> list[LogLine]:
    """Return the output lines of the failing steps (all output when no step is marked failed)."""
    out = [ln for ln in log.lines if not ln.echo and ln.marker not in ("group", "endgroup")]
    if log.failed_steps:
        out = [ln for ln in out if ln.step in log.failed_steps]
    return [ln for ln in out if ln.text.strip()]


def scanned(text: str) -> str:
    """Return the part of a line that the patterns look at."""
    return text[:MAX_SCAN]


def is_candidate(line: LogLine) -> bool:
    """Tell whether a line looks like an error and is not a mere consequence."""
    head = scanned(line.text)
    return bool(CANDIDATE_RX.search(head)) and not CONSEQUENCE_RX.search(head)


def failed(log: BuildLog) -> bool:
    """Tell whether the log shows a failure: the CI says so, or a raw log has an error line."""
    if log.framework_failed:
        return True
    return log.format is BuildLogFormat.RAW and any(is_candidate(ln) for ln in region(log))


def first_error(log: BuildLog) -> FirstError | None:
    """Return the first causal error of a failed log, or None for a healthy one."""
    if not failed(log):
        return None
    lines = region(log)
    chosen = next((ln for ln in lines if is_candidate(ln)), None)
    if chosen is None:
        # No line looks like an error: the last real output before the failure is the best clue.
        rest = [
            ln for ln in lines if not CONSEQUENCE_RX.search(scanned(ln.text)) and ln.marker is None
        ]
        if not rest:
            return None
        chosen = rest[-1]
    text = chosen.text.strip()
    index = lines.index(chosen)
    # "error during build:" is a header; the cause is on the next line.
    if text.endswith(":") and len(text) < 40 and index + 1 < len(lines):
        text = f"{text} {lines[index + 1].text.strip()}"
    by_number = {ln.number: ln for ln in log.lines}
    numbers = range(chosen.number - CONTEXT_BEFORE, chosen.number + CONTEXT_AFTER + 1)
    context = tuple(
        f"{n}| {_clip(by_number[n].text)}"
        for n in numbers
        if n in by_number and not by_number[n].echo
    )
    return FirstError(chosen, _clip(text), context)


def error_lines(log: BuildLog) -> list[str]:
    """Return the failing part's lines for the rules to match (empty for a healthy log)."""
    if not failed(log):
        return []
    lines = region(log)
    if len(lines) > MAX_LINES:
        head = [ln for ln in lines[:-MAX_LINES] if is_candidate(ln)]
        lines = head + lines[-MAX_LINES:]
    return [_clip(ln.text) for ln in lines]


def exit_code(log: BuildLog) -> int | None:
    """Return the exit code the CI or the package manager reported last, if any."""
    code = None
    for ln in log.lines:
        head = scanned(ln.text)
        if ln.marker == "error" or CONSEQUENCE_RX.search(head):
            m = EXIT_RX.search(head)
            if m:
                code = int(m.group("code"))
    return code
