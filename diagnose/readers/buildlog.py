"""Parse a build log in any of the shapes people paste: detect the format, strip framing, find steps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# CSI sequences (colours, cursor moves) and the odd OSC title: a raw terminal log is full of them.
ANSI_RX = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
GHA_RX = re.compile(r"^\ufeff?(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) ?(?P<msg>.*)$")
GH_RX = re.compile(
    r"^(?P<job>[^\t]+)\t(?P<step>[^\t]+)\t\ufeff?"
    r"(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) ?(?P<msg>.*)$"
)
CF_RX = re.compile(
    r"^\ufeff?(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z|\d\d:\d\d:\d\d\.\d{3})\t(?P<msg>.*)$"
)
MARKER_RX = re.compile(
    r"^##\[(?P<kind>group|endgroup|error|warning|notice|debug|command)\](?P<rest>.*)$"
)
# Cloudflare Pages' own phase lines: they name the step that the following lines belong to.
CF_PHASES = (
    ("Cloning repository", "clone"),
    ("Installing project dependencies:", "install"),
    ("Executing user command:", "build"),
    ("Deploying your site", "deploy"),
)
CF_FAILED_RX = re.compile(r"^Failed: ")
PROMPT_RX = re.compile(r"^\$ (?P<cmd>\S.*)$")  # a shell prompt the user pasted with the output
SAMPLE = 40  # lines looked at to detect the format


class BuildLogFormat(StrEnum):
    """The shapes of build log `diagnose build` reads (detected from the first lines)."""

    GITHUB_ACTIONS = "github-actions"
    GH_RUN_VIEW = "gh-run-view"
    CLOUDFLARE_PAGES = "cloudflare-pages"
    RAW = "raw"


@dataclass(frozen=True)
class LogLine:
    """One line of the log: its number in the file, its step, and its text without framing."""

    number: int
    text: str
    step: str | None = None
    job: str | None = None
    marker: str | None = None  # error / warning / group / endgroup ... for ##[...] lines
    echo: bool = False  # the runner echoing the step's script, not output


@dataclass(frozen=True)
class BuildLog:
    """A parsed log: its format, its lines, its steps in order and which of them failed."""

    format: BuildLogFormat
    lines: tuple[LogLine, ...]
    steps: tuple[str, ...]
    failed_steps: tuple[str, ...]
    framework_failed: bool  # the CI itself said the job failed (##[error], Failed: ...)


def strip_ansi(text: str) -> str:
    """Remove terminal escape sequences and stray carriage returns."""
    return ANSI_RX.sub("", text).replace("\r", "")


def detect(raw_lines: Sequence[str]) -> BuildLogFormat:
    """Guess the format from the first non-empty lines: most lines must agree."""
    sample = [line for line in raw_lines if line.strip()][:SAMPLE]
    if not sample:
        return BuildLogFormat.RAW
    for fmt, rx in (
        (BuildLogFormat.GH_RUN_VIEW, GH_RX),
        (BuildLogFormat.CLOUDFLARE_PAGES, CF_RX),
        (BuildLogFormat.GITHUB_ACTIONS, GHA_RX),
    ):
        if sum(1 for line in sample if rx.match(line)) * 2 > len(sample):
            return fmt
    if any("Initializing build environment" in line for line in sample[:5]):
        return BuildLogFormat.CLOUDFLARE_PAGES
    return BuildLogFormat.RAW


def parse_log(text: str) -> BuildLog:
    """Parse a whole log; unknown or malformed lines are kept as plain text, never dropped."""
    raw_lines = text.split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    fmt = detect(raw_lines)
    if fmt is BuildLogFormat.CLOUDFLARE_PAGES:
        return _parse_pages(raw_lines)
    if fmt is BuildLogFormat.RAW:
        return _parse_raw(raw_lines)
    return _parse_actions(raw_lines, fmt)


def _parse_actions(raw_lines: Sequence[str], fmt: BuildLogFormat) -> BuildLog:
    lines: list[LogLine] = []
    steps: list[str] = []
    failed: list[str] = []
    step: str | None = None
    in_header = False
    for number, raw in enumerate(raw_lines, 1):
        job = None
        column_step = None
        m = (GH_RX if fmt is BuildLogFormat.GH_RUN_VIEW else GHA_RX).match(raw)
        if m:
            msg = m.group("msg")
            if fmt is BuildLogFormat.GH_RUN_VIEW:
                job = m.group("job")
                # gh writes UNKNOWN STEP when the run zip lacks per-step files (cli/cli#10740).
                if m.group("step") != "UNKNOWN STEP":
                    column_step = m.group("step")
        else:
            msg = raw.lstrip("\ufeff")
        msg = strip_ansi(msg)
        marker_m = MARKER_RX.match(msg)
        marker = marker_m.group("kind") if marker_m else None
        if marker == "group":
            title = marker_m.group("rest").strip() if marker_m else ""
            in_header = True
            if title.startswith("Run "):
                step = title
        elif marker == "endgroup":
            in_header = False
        if column_step:
            step = column_step
        if step and step not in steps:
            steps.append(step)
        if marker == "error" and step and step not in failed:
            failed.append(step)
        body = marker_m.group("rest") if marker_m and marker in ("error", "warning") else msg
        lines.append(LogLine(number, body, step, job, marker, echo=in_header and marker != "group"))
    return BuildLog(fmt, tuple(lines), tuple(steps), tuple(failed), bool(failed))


def _parse_pages(raw_lines: Sequence[str]) -> BuildLog:
    lines: list[LogLine] = []
    steps: list[str] = []
    failed: list[str] = []
    step: str | None = None
    for number, raw in enumerate(raw_lines, 1):
        m = CF_RX.match(raw)
        msg = strip_ansi(m.group("msg") if m else raw.lstrip("\ufeff"))
        framing = False
        for prefix, name in CF_PHASES:
            if msg.startswith(prefix):
                detail = msg[len(prefix) :].strip(" .")
                step = f"{name}: {detail}" if detail else name
                framing = True
                if step not in steps:
                    steps.append(step)
        marker = None
        if CF_FAILED_RX.match(msg):
            marker = "error"
            framing = True
            if step and step not in failed:
                failed.append(step)
        lines.append(LogLine(number, msg, step, None, marker, echo=framing))
    return BuildLog(
        BuildLogFormat.CLOUDFLARE_PAGES, tuple(lines), tuple(steps), tuple(failed), bool(failed)
    )


def _parse_raw(raw_lines: Sequence[str]) -> BuildLog:
    lines: list[LogLine] = []
    steps: list[str] = []
    step: str | None = None
    for number, raw in enumerate(raw_lines, 1):
        msg = strip_ansi(raw.lstrip("\ufeff"))
        prompt = PROMPT_RX.match(msg)
        if prompt:
            step = prompt.group("cmd").strip()
            steps.append(step)
            lines.append(LogLine(number, msg, step, echo=True))
            continue
        lines.append(LogLine(number, msg, step))
    return BuildLog(BuildLogFormat.RAW, tuple(lines), tuple(steps), (), False)
