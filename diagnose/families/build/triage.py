"""Find the first causal error of a failed build: not the last line, not "exit code 1".

Only generic shapes live here: what an error line looks like in any tool's dialect, which lines
merely report that something already failed (consequences), and which are noise (warnings,
progress, stack frames). What a given error *means* is decided by the rules in rules/build/,
which match their own patterns against the window of lines this module hands over: from a few
lines before the first causal error to the first consequence after it. So the first cause in log
order decides which signature is seen, and a later, unrelated error cannot outrank it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagnose.readers.buildlog import BuildLog, BuildLogFormat, LogLine

# Lines that look like errors in any tool's dialect: a candidate, not a diagnosis.
CANDIDATE_RX = re.compile(
    r"(?i)\berrors?\b|\bERR!|\bERR_[A-Z0-9_]+|\bFATAL\b|[✘✖×]|\bfail(?:ed|ure|s)?\b|\bfailing\b"
    r"|cannot find|can't resolve|could not|not found|too old|unknown option"
    r"|out of memory|\bexception\b|^\s*Killed\s*$|SIGKILL|\binvalid\b|\bforbidden\b|\bdenied\b"
    r"|[a-z]Error\b|\bis required\b|\brequires (?:at least )?Node|not configured to run"
    r"|<--- (?:Last few GCs|JS stacktrace) --->|\bexceeded\b|\bover the [\d.]+ ?MiB\b"
    r"|\bNo Output Directory named\b|FatalProcessOutOfMemory|ReportOOMFailure"
    r"|\.\w+ ?\(\d+,\d+\): |\.\w+:\d+:\d+ - "  # a compiler's file(line,col): / file:l:c - diagnostic
)
# Lines that only report that something already failed: never the answer. The first of them
# after the cause ends the window the rules see.
CONSEQUENCE_RX = re.compile(
    r"(?i)Process completed with exit code \d+|The process '.*' failed with exit code"
    r"|\bELIFECYCLE\b|Command failed with exit code \d+|^error Command failed\b"
    r"|^Failed: (?:build command exited|error occurred while (?:running build command"
    r"|installing tools or dependencies))"
    r"|^Error: Command \".*\" exited with \d+|^Error: Exit with error code"
    r"|A complete log of this run can be found|^npm (?:ERR!|error)\s+/\S+debug.*\.log$"
    r"|^npm (?:ERR!|error) (?:code ELIFECYCLE|errno \d|Exit status|Failed at the|This is probably"
    r"|Lifecycle script|command (?:failed|sh -c)|\s*$)"
    r"|Error: esbuild exited with status|\[ERROR\] Command failed"
    r"|Build failed with \d+ errors?:?$|^Found \d+ errors?\b|^\d+ errors?$"
    r"|Error running command: Build script returned non-zero exit code|^Failing build:"
    r"|failed during stage '.*': Build script returned|Command did not exit successfully"
    r"|Phase complete: \w+ State: FAILED|Phase context status code: COMMAND_EXECUTION_ERROR"
    r"|did not complete successfully: exit code|returned a non-zero code: \d+"
    r"|^ERROR: (?:Job failed|Service '.*' failed)|self-installer exits with code"
    r"|➤ YN0000: .*Failed with errors|^\s*\d+ tests? failed\.?$"
    r"|ERR_PNPM_RECURSIVE_(?:RUN|EXEC)_FIRST_FAIL|^ERROR: \".*\" exited with \d+"
    r"|^Build (?:with \S+ )?failed!?(?: ❌)?$"
    r"|^\s*=> ERROR \[|^Failed: Error while executing user command|^\s*[x✗] Build failed in \d+"
    r"|^The command \".*\" (?:failed and )?exited with \d+|^Deployment failed!|^Error: 🚨 Action failed"
)
# Lines that are never a cause: warnings, progress, hints, stack frames, source frames.
NOISE_RX = re.compile(
    r"(?i)^\s*(?:npm |\[)?(?:warn(?:ing)?|info|note|notice|hint|deprecated)\b[\]:]?"
    r"|^\s*\d+:\d+\s+warning\b|^\s*warning\s|\bWarning: "
    r"|^\(node:\d+\) (?:\[\w+\] )?\w*Warning: "  # Node's process warnings (DeprecationWarning, ...)
    r"|^\s+at \S|^\s*\d+: 0x[0-9a-f]+ |^\s+\d+ \| |^\s*> \d+ \||^\s*\|\s+\^"
    r"|\b(?:0|no|none|zero|without) errors?\b|\berrors?: 0\b|\b0 fail(?:ed|ures?)\b"
    r"|\bcache\b.*\b(?:not found|not available|failed)\b|failed to fetch cache"
    r"|\bfailed compatibility check\b|Need to disable some ESLint rules"
    # A package in an install's list (pnpm "+ error-ex 1.3.2", yarn "├─ is-error@2.0.1"): its
    # name may hold "error", it is never one.
    r"|^\s*(?:[+-]|[├└]─)\s*(?:@[\w.-]+/)?[\w.-]+(?:@| )\^?\d+\.\d+"
    r"|^\s*(?:Compiling|Creating|Collecting|Generating|Linting|Checking|Downloading|Progress)\b"
    r"|^(?:node:internal/|file:///|/)\S+:\d+$"  # Node's "where it threw" line above a code frame
)
# A JavaScript exception header ("TypeError [ERR_INVALID_URL]: ...") is a cause even when a
# progress line was printed on the same line before it; so is a frame of V8's fatal
# out-of-memory trace, the only evidence left when a paste starts below its FATAL ERROR header.
EXCEPTION_HEADER_RX = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*Error\b(?: \[\w+\])?: ")
EXCEPTION_RX = re.compile(f"{EXCEPTION_HEADER_RX.pattern}|FatalProcessOutOfMemory|ReportOOMFailure")
# Wrappers that print the failed command's output after their own line ("Error: Command failed:
# npx wrangler ..." and its stdout, vite's "x Build failed in 31ms" before the error, BuildKit's
# "=> ERROR [stage 2/5] RUN ..." before the step's captured output).
INTRODUCES_RX = re.compile(
    r"Command failed: |\[ERROR\] Command failed|^\s*[x✗] Build failed in \d+|^\s*=> ERROR \["
)
# A short header whose cause is on the following line ("error during build:", Next's "> Build
# error occurred", "Failed to compile."): the quote joins them.
HEADER_RX = re.compile(
    r"(?i)^(?:error during build:|> ?Build error occurred|Failed to compile\.?|.*Failed to compile with \d+ errors?.*"
    r"|ERROR in \S.*|error\s+in\s+\S.*|Build Error|\S.{0,38}:)$"
)
CARET_RX = re.compile(r"^\s*[\^~]+\s*$")
EXIT_RX = re.compile(
    r"(?i)(?:exit(?:ed)?(?: with)?(?: error)?(?: status| code)?:? |exit status |code: |"
    r"non-zero code: |exits with code )(?P<code>\d+)\b"
)
CONTEXT_BEFORE = 3
CONTEXT_AFTER = 5
HEADER_REACH = 15  # lines after a header searched for the error it announces
SHORT_HEADER = 40
LEAD_IN = 5  # lines before the first cause the rules also see (yarn's network retries, SSG)
TAIL = 30  # lines of a tail-only log the rules see
MAX_LINES = 300  # lines of the failing part handed to the rules
MAX_TEXT = 400  # one pathological minified line must not blow up the facts
STRUCTURED = (BuildLogFormat.GITHUB_ACTIONS, BuildLogFormat.GH_RUN_VIEW)


@dataclass(frozen=True)
class FirstError:
    """The first causal error: its line, the text (a header joined to its detail), the context."""

    line: LogLine
    text: str
    context: tuple[str, ...]

    def location(self) -> str:
        """Say where it is: line number and step."""
        return location(self.line)


def location(line: LogLine) -> str:
    """Say where a line is: its number, step and job."""
    where = f"line {line.number}"
    if line.step:
        where += f", step '{_clip(line.step)}'"
    if line.job:
        where += f", job '{line.job}'"
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


def is_consequence(line: LogLine) -> bool:
    """Tell whether a line only reports that something already failed."""
    return bool(CONSEQUENCE_RX.search(line.text.strip()))


def is_candidate(line: LogLine) -> bool:
    """Tell whether a line looks like an error and is neither a consequence nor noise."""
    text = line.text.rstrip()
    if ln_is_noise(text) or CONSEQUENCE_RX.search(text.strip()):
        return False
    return bool(CANDIDATE_RX.search(text)) or line.marker == "error"


def ln_is_noise(text: str) -> bool:
    """Tell whether a line is a warning, a progress line or a frame: never a cause."""
    return bool(NOISE_RX.search(text)) and not EXCEPTION_RX.search(text)


def failed(log: BuildLog) -> bool:
    """Tell whether the log shows a failure.

    A CI that marks failures (GitHub Actions' ##[error], Pages' Failed:) is believed; anything
    else failed if a line reports a failure or looks like any tool's error.
    """
    if log.framework_failed:
        return True
    lines = region(log)
    if any(is_consequence(ln) for ln in lines):
        return True
    return log.format not in STRUCTURED and any(is_candidate(ln) for ln in lines)


def _first_cause(lines: list[LogLine]) -> int | None:
    """Index of the first causal line: a candidate before the first consequence, if any."""
    for i, ln in enumerate(lines):
        if is_consequence(ln) and not _introduces_output(ln):
            # Reported as failed before any cause: the cause is not in this log.
            return None
        if is_candidate(ln) and not _points_at(lines, i):
            return i
    return None


def _points_at(lines: list[LogLine], index: int) -> bool:
    # A source line with a caret under it is a code frame (Node's uncaught-error preamble, a
    # compiler's excerpt): the error it illustrates is printed after it.
    following = lines[index + 1 : index + 2]
    return bool(following) and bool(CARET_RX.match(following[0].text))


def _introduces_output(line: LogLine) -> bool:
    return bool(INTRODUCES_RX.search(line.text))


def _resolve_header(lines: list[LogLine], index: int) -> tuple[int, str]:
    """Follow a header ("Failed to compile.", "error during build:") to the error it announces."""
    header = lines[index].text.strip()
    if not HEADER_RX.match(header):
        return index, _clip(header)
    for j in range(index + 1, min(len(lines), index + 1 + HEADER_REACH)):
        if is_consequence(lines[j]) and not _introduces_output(lines[j]):
            break
        if is_candidate(lines[j]) and not HEADER_RX.match(lines[j].text.strip()):
            detail = lines[j].text.strip()
            # A short header says which file or stage; a long one only repeats the error.
            return j, _clip(f"{header} {detail}" if len(header) < SHORT_HEADER else detail)
    following = [ln.text.strip() for ln in lines[index + 1 : index + 4]]
    detail = next((t for t in following if t and not ln_is_noise(t)), "")
    return index, _clip(f"{header} {detail}" if detail else header)


def _drop_progress(text: str) -> str:
    """Quote an exception from its header when a progress line was printed before it on its line."""
    m = EXCEPTION_HEADER_RX.search(text)
    if m and m.start() > 0 and NOISE_RX.search(text[: m.start()]):
        return text[m.start() :]
    return text


def first_error(log: BuildLog) -> FirstError | None:
    """Return the first causal error of a failed log, or None (healthy, or only the tail pasted)."""
    if not failed(log):
        return None
    lines = region(log)
    index = _first_cause(lines)
    if index is None:
        return None
    index, text = _resolve_header(lines, index)
    text = _drop_progress(text)
    chosen = lines[index]
    by_number = {ln.number: ln for ln in log.lines}
    numbers = range(chosen.number - CONTEXT_BEFORE, chosen.number + CONTEXT_AFTER + 1)
    context = tuple(
        f"{n}| {_clip(by_number[n].text)}"
        for n in numbers
        if n in by_number and not by_number[n].echo
    )
    return FirstError(chosen, text, context)


def failure_line(log: BuildLog) -> LogLine | None:
    """Return the first line that reports the failure (a consequence or a CI failure marker)."""
    for ln in region(log):
        if is_consequence(ln) or (ln.marker == "error" and not is_candidate(ln)):
            return ln
    return None


def error_lines(log: BuildLog) -> list[str]:
    """Return the window of lines the rules judge (empty for a healthy log).

    From a few lines before the first cause to the first consequence after it; a log without a
    cause (only the tail pasted) hands over its last lines, where the CI's report is.
    """
    if not failed(log):
        return []
    lines = region(log)
    index = _first_cause(lines)
    if index is None:
        window = lines[-TAIL:]
    else:
        end = len(lines)
        for j in range(index + 1, len(lines)):
            if is_consequence(lines[j]) and not _introduces_output(lines[j]):
                end = j + 1
                break
        window = lines[max(0, index - LEAD_IN) : end][:MAX_LINES]
    return [_clip(ln.text) for ln in window]


def candidates(log: BuildLog, limit: int) -> list[str]:
    """Return the first error-looking lines of the failing part, numbered."""
    return [f"{ln.number}| {_clip(ln.text)}" for ln in region(log) if is_candidate(ln)][:limit]


def exit_code(log: BuildLog) -> int | None:
    """Return the exit code the CI or the package manager reported last, if any."""
    code = None
    for ln in log.lines:
        if ln.marker == "error" or CONSEQUENCE_RX.search(ln.text):
            m = EXIT_RX.search(ln.text)
            if m:
                code = int(m.group("code"))
    return code
