"""Parse a build log in any of the shapes people paste: detect the wrapper, strip framing, find steps.

A log reaches us as a CI's download (GitHub Actions, `gh run view --log`, Cloudflare Pages), as a
copy from a dashboard (Pages and Vercel put `HH:MM:SS.mmm | ` before each line, Netlify
`1:39:49 PM: `, CodeBuild `[Container] 2022/05/09 09:26:20 `), as BuildKit or turbo output, or
quoted in an issue (`> ` before each line). Whatever the wrapper, each line keeps its number in the
file and loses only the framing, so that the same tool line reads the same in every wrapper.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# CSI sequences (colours, cursor moves) and the odd OSC title: a raw terminal log is full of them.
ANSI_RX = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]"
    r"|\\(?:x1[bB]|u001[bB]|e)\[[0-9;]*m"  # the same, escaped inside a serialized string
)
ISO_TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"
GHA_RX = re.compile(rf"^\ufeff?(?P<ts>{ISO_TS}) ?(?P<msg>.*)$")
GH_RX = re.compile(rf"^(?P<job>[^\t]+)\t(?P<step>[^\t]+)\t\ufeff?(?P<ts>{ISO_TS}) ?(?P<msg>.*)$")
CF_RX = re.compile(rf"^\ufeff?(?P<ts>{ISO_TS}|\d\d:\d\d:\d\d\.\d{{3}})\t(?P<msg>.*)$")
MARKER_RX = re.compile(
    r"^##\[(?P<kind>group|endgroup|error|warning|notice|debug|command)\](?P<rest>.*)$"
)
# GitHub's workflow commands, as a step prints them: `::error file=a.ts,line=3::message`.
ANNOTATION_RX = re.compile(r"^::(?P<kind>error|warning|notice)(?: [^:]*)?::(?P<rest>.*)$")
# Per-line framing that says nothing about the build: stripped wherever it appears.
TIME_PREFIXES = (
    ("vercel", re.compile(r"^\[\d\d:\d\d:\d\d\.\d{3}\] ?")),
    ("dashboard", re.compile(r"^\d\d:\d\d:\d\d\.\d{3}(?: ?\| ?|\s*\t| +)")),
    ("netlify", re.compile(r"^\d{1,2}:\d\d:\d\d [AP]M: ?")),
    ("codebuild", re.compile(r"^\[Container\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)? ")),
    ("render", re.compile(r"^[A-Z][a-z]{2} \d{1,2} \d{1,2}:\d\d:\d\d [AP]M {1,2}")),
    ("iso", re.compile(rf"^\ufeff?{ISO_TS}(?:\t| ?)")),
)
# A timestamp alone on its line (a dashboard copied as alternating time / text lines).
BARE_TIME_RX = re.compile(r"^`?\d\d:\d\d:\d\d\.\d{3}\s*$")
TABLE_ROW_RX = re.compile(r"^-- \| --\s*$")  # the header row of a dashboard copied as a table
CONSOLE_NUMBER_RX = re.compile(r"^\d+ \| ")  # CodeBuild's console numbers each line
# Markdown an issue put around pasted lines: a whole line in `code`, bold ** opened on one line
# and closed on another. Never part of what a tool printed at a line's edge.
MARKDOWN_CODE_RX = re.compile(r"^`([^`]+)`$")
MARKDOWN_BOLD_RX = re.compile(r"^\*\*(?=\S)|(?<=\S)\*\*$")
# Framing stripped only when most lines carry it: a lone "> " or "0.5 " is content.
MAJORITY_PREFIXES = (
    ("quote", re.compile(r"^> ?")),
    ("buildkit", re.compile(r"^(?:#\d+ |\d+ )?\d+\.\d{2,3}(?: |$)")),
    ("turbo", re.compile(r"^(?:@[\w.-]+/)?[\w.-]+:[\w:.-]+: ")),
)
MAJORITY = 0.5
# Cloudflare Pages' own phase lines: they name the step that the following lines belong to.
CF_PHASES = (
    ("Cloning repository", "clone"),
    ("Installing project dependencies:", "install"),
    ("Executing user command:", "build"),
    ("Deploying your site", "deploy"),
)
PAGES_SIGNS = re.compile(
    r"^(?:Initializing build environment|Success: Finished (?:cloning|initializing)"
    r"|Cloning repository\.\.\.|Validating asset output directory|Using v2 root directory strategy"
    r"|Deploying your site to Cloudflare's global network|Detected the following tools from environment)"
)
VERCEL_SIGNS = re.compile(
    r"Running \"vercel build\"|^Vercel CLI \d|vercel\.link/|Running build in .* – \w+\d$"
    r"|^Error: Command \".*\" exited with"
)
PROMPT_RX = re.compile(r"^(?:\S*\s*)?[$❯➜] (?P<cmd>\S.*)$")  # a shell prompt pasted with the output
RUN_STEP_RX = re.compile(r"^Run (?P<cmd>\S.*)$")  # a GitHub Actions step copied from the web UI
# BuildKit's error summary: " > [build 4/6] RUN npm install:", the step's output with its
# seconds in front ("24.70 npm ERR! ..."), then a line of dashes. The output keeps its prefix
# even where most lines of the paste do not (the progress lines above it have none).
BUILDKIT_STEP_RX = re.compile(r"^\s*> \[(?P<stage>[^\]]+)\] (?P<cmd>\S.*?):\s*$")
BUILDKIT_END_RX = re.compile(r"^-{6}\s*$")
BUILDKIT_TIME_RX = MAJORITY_PREFIXES[1][1]
SAMPLE = 40  # lines looked at to detect the format
# A minified bundle or a base64 blob printed on one line: only its start is read (an error is at
# the start of its line), so that one pathological line costs what a normal one does.
MAX_LINE = 4000


class BuildLogFormat(StrEnum):
    """The shapes of build log `diagnose build` reads."""

    GITHUB_ACTIONS = "github-actions"
    GH_RUN_VIEW = "gh-run-view"
    CLOUDFLARE_PAGES = "cloudflare-pages"
    VERCEL = "vercel"
    NETLIFY = "netlify"
    CODEBUILD = "codebuild"
    BUILDKIT = "buildkit"
    RAW = "raw"


@dataclass(frozen=True)
class LogLine:
    """One line of the log: its number in the file, its step, and its text without framing."""

    number: int
    text: str
    step: str | None = None
    job: str | None = None
    marker: str | None = None  # error / warning / group / endgroup ... for ##[...] lines
    echo: bool = False  # the runner echoing the step's script (or its own framing), not output


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


def _majority(lines: Sequence[str], rx: re.Pattern[str]) -> bool:
    sample = [ln for ln in lines if ln.strip()]
    return bool(sample) and sum(1 for ln in sample if rx.match(ln)) > MAJORITY * len(sample)


def _strip_times(line: str) -> tuple[str, str | None]:
    """Remove one timestamp prefix (and a dashboard's line number); say which kind it was."""
    kind = None
    m = CONSOLE_NUMBER_RX.match(line)
    if m:
        line = line[m.end() :]
    for name, rx in TIME_PREFIXES:
        m = rx.match(line)
        if m:
            return line[m.end() :], name
    return line, kind


def unwrap(raw_lines: Sequence[str]) -> tuple[list[str], list[str | None]]:
    """Strip quoting, timestamps and per-line framing; return the texts and each line's time kind."""
    lines = [strip_ansi(ln.lstrip("\ufeff")) for ln in raw_lines]
    quote = MAJORITY_PREFIXES[0][1]
    if _majority(lines, quote):
        lines = [quote.sub("", ln, count=1) for ln in lines]
    kinds: list[str | None] = []
    out: list[str] = []
    for ln in lines:
        ln = MARKDOWN_BOLD_RX.sub("", MARKDOWN_CODE_RX.sub(r"\1", ln))
        if BARE_TIME_RX.match(ln) or TABLE_ROW_RX.match(ln):
            out.append("")
            kinds.append("dashboard")
            continue
        text, kind = _strip_times(ln)
        out.append(text)
        kinds.append(kind)
    for _name, rx in MAJORITY_PREFIXES[1:]:
        if _majority(out, rx):
            out = [rx.sub("", ln, count=1) for ln in out]
    return out, kinds


def detect(raw_lines: Sequence[str]) -> BuildLogFormat:
    """Guess the format from the first non-empty lines: most lines must agree."""
    sample = [line for line in raw_lines if line.strip()][:SAMPLE]
    if not sample:
        return BuildLogFormat.RAW
    if sum(1 for line in sample if GH_RX.match(line)) * 2 > len(sample):
        return BuildLogFormat.GH_RUN_VIEW
    texts, kinds = unwrap(sample)
    if any(PAGES_SIGNS.search(t.strip()) for t in texts) or sum(
        1 for line in sample if CF_RX.match(line)
    ) * 2 > len(sample):
        return BuildLogFormat.CLOUDFLARE_PAGES
    if any(VERCEL_SIGNS.search(t.strip()) for t in texts) or kinds.count("vercel") * 2 > len(
        sample
    ):
        return BuildLogFormat.VERCEL
    for fmt, kind in (
        (BuildLogFormat.GITHUB_ACTIONS, "iso"),
        (BuildLogFormat.NETLIFY, "netlify"),
        (BuildLogFormat.CODEBUILD, "codebuild"),
    ):
        if kinds.count(kind) * 2 > len(sample):
            return fmt
    if _majority(sample, MAJORITY_PREFIXES[1][1]):
        return BuildLogFormat.BUILDKIT
    return BuildLogFormat.RAW


def parse_log(text: str) -> BuildLog:
    """Parse a whole log; unknown or malformed lines are kept as plain text, never dropped."""
    raw_lines = [ln[:MAX_LINE] for ln in text.split("\n")]
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    fmt = detect(raw_lines)
    if fmt is BuildLogFormat.CLOUDFLARE_PAGES:
        return _parse_pages(raw_lines)
    if fmt in (BuildLogFormat.GITHUB_ACTIONS, BuildLogFormat.GH_RUN_VIEW):
        return _parse_actions(raw_lines, fmt)
    return _parse_plain(raw_lines, fmt)


def _marker(msg: str) -> tuple[str | None, str]:
    """Return the ##[kind] or ::kind:: marker of a line and its text without it."""
    m = MARKER_RX.match(msg)
    if m:
        return m.group("kind"), m.group("rest")
    a = ANNOTATION_RX.match(msg)
    if a:
        return a.group("kind"), a.group("rest")
    return None, msg


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
        marker, rest = _marker(msg)
        if marker == "group":
            title = rest.strip()
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
        body = rest if marker in ("error", "warning", "notice") else msg
        lines.append(LogLine(number, body, step, job, marker, echo=in_header and marker != "group"))
    framework = any(ln.marker == "error" for ln in lines)
    return BuildLog(fmt, tuple(lines), tuple(steps), tuple(failed), framework)


def _parse_pages(raw_lines: Sequence[str]) -> BuildLog:
    lines: list[LogLine] = []
    steps: list[str] = []
    failed: list[str] = []
    step: str | None = None
    texts, _kinds = unwrap(raw_lines)
    for number, msg in enumerate(texts, 1):
        framing = False
        for prefix, name in CF_PHASES:
            if msg.startswith(prefix):
                detail = msg[len(prefix) :].strip(" .")
                step = f"{name}: {detail}" if detail else name
                framing = True
                if step not in steps:
                    steps.append(step)
        marker = None
        if msg.startswith("Failed: "):
            marker = "error"
            if step and step not in failed:
                failed.append(step)
        lines.append(LogLine(number, msg, step, None, marker, echo=framing))
    return BuildLog(
        BuildLogFormat.CLOUDFLARE_PAGES,
        tuple(lines),
        tuple(steps),
        tuple(failed),
        any(ln.marker == "error" for ln in lines),
    )


def _parse_plain(raw_lines: Sequence[str], fmt: BuildLogFormat) -> BuildLog:
    """Everything else: dashboards, BuildKit, terminals; steps from prompts and copied `Run` lines."""
    lines: list[LogLine] = []
    steps: list[str] = []
    step: str | None = None
    in_run_header = False
    in_buildkit_step = False
    texts, _kinds = unwrap(raw_lines)
    for number, msg in enumerate(texts, 1):
        buildkit = BUILDKIT_STEP_RX.match(msg)
        if buildkit:
            step = f"[{buildkit.group('stage')}] {buildkit.group('cmd')}"
            steps.append(step)
            in_buildkit_step = True
            lines.append(LogLine(number, msg, step, echo=True))
            continue
        if in_buildkit_step:
            if BUILDKIT_END_RX.match(msg):
                in_buildkit_step = False
            else:
                msg = BUILDKIT_TIME_RX.sub("", msg, count=1)
        marker, body = _marker(msg)
        run = RUN_STEP_RX.match(msg)
        prompt = PROMPT_RX.match(msg)
        if run or prompt:
            step = (run or prompt).group("cmd").strip()  # type: ignore[union-attr]
            steps.append(step)
            in_run_header = bool(run)
            lines.append(LogLine(number, msg, step, echo=True))
            continue
        # The web UI shows a step's script and its with:/env: indented under `Run ...`.
        if in_run_header and msg[:1] in (" ", "\t"):
            lines.append(LogLine(number, msg, step, echo=True))
            continue
        in_run_header = False
        lines.append(LogLine(number, body, step, marker=marker))
    return BuildLog(fmt, tuple(lines), tuple(steps), (), any(ln.marker == "error" for ln in lines))
