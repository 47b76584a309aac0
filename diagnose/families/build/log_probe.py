"""Facts from a build log: its format, whether it failed, its first causal error and the failing lines."""

from __future__ import annotations

import re
from typing import ClassVar

from diagnose.coverage import Checked, fact_name
from diagnose.families.build.triage import (
    candidates,
    error_lines,
    exit_code,
    failed,
    failure_line,
    first_error,
    location,
)
from diagnose.probe import FactSink, ProbeContext
from diagnose.readers.buildlog import BuildLog, parse_log

FACTS = (
    "checked",
    "source",
    "format",
    "line_count",
    "failed",
    "exit_code",
    "steps",
    "failed_step",
    "first_error",
    "first_error_line",
    "first_error_step",
    "first_error_at",
    "context",
    "line_before",
    "line_after",
    "error_lines",
    "candidates",
    "node_version",
    "failure",
    "failure_at",
    "tail_only",
)
# Where logs state the Node version the build really ran on (Pages' tool line, setup-node,
# pnpm's engine report): evidence for build.node-version.
_NODE_SEEN = (
    re.compile(r"\bnodejs@(?P<v>\d+\.\d+\.\d+)"),
    re.compile(r"/hostedtoolcache/node/(?P<v>\d+\.\d+\.\d+)/"),
    re.compile(r"^Got: v(?P<v>\d+\.\d+\.\d+)"),
    re.compile(r"Your Node version (?P<v>\d+\.\d+\.\d+)"),
    re.compile(r"You are using Node\.js (?P<v>\d+\.\d+\.\d+)"),
)
MAX_CANDIDATES = 20
# Words every build tool's output has somewhere: a log with none of them is not a build log.
_TOOL_RX = re.compile(
    r"(?i)\b(?:npm|pnpm|yarn|npx|node|vite|tsc|webpack|esbuild|rollup|next|convex|wrangler"
    r"|build|install|error|warn(?:ing)?|exit code|done in|ERR!|deprecated|lockfile|packages?"
    r"|dependenc(?:y|ies)|resolved|modules?|compiled|bundle|deploy(?:ment|ing)?|upload(?:ed|ing)?)\b"
    # a bundler's asset report: "dist/assets/index.3665eeca.js   160.64 KiB / gzip: 50.94 KiB"
    r"|\.(?:html|m?js|cjs|css|map|json|wasm)\s+\d+(?:\.\d+)? ?[kKMG]i?B\b"
)


class BuildLogProbe:
    """Parse the build log the command was given (file or stdin) into facts."""

    name: ClassVar[str] = "buildlog"
    provides: ClassVar[frozenset[str]] = frozenset(f"build.{f}" for f in FACTS) | {
        fact_name("buildlog")
    }

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Parse the log text; no log given is recorded as build.checked false."""
        text = ctx.options.get("log_text")
        sink.put("build.checked", text is not None)
        if text is None:
            sink.update({f"build.{f}": None for f in FACTS if f != "checked"})
            sink.put("build.failed", False)
            sink.put("build.error_lines", [])
            sink.put("build.tail_only", False)
            return
        log = parse_log(str(text))
        sink.put(fact_name(self.name), checked(log).to_json())
        sink.put("build.source", ctx.options.get("log_source"))
        sink.put("build.format", log.format.value)
        sink.put("build.line_count", len(log.lines))
        sink.put("build.steps", list(log.steps))
        is_failed = failed(log)
        sink.put("build.failed", is_failed)
        sink.put("build.exit_code", exit_code(log))
        sink.put("build.failed_step", log.failed_steps[0] if log.failed_steps else None)
        sink.put("build.error_lines", error_lines(log))
        sink.put("build.candidates", candidates(log, MAX_CANDIDATES))
        report = failure_line(log) if is_failed else None
        sink.put("build.failure", report.text.strip() if report else None)
        sink.put("build.failure_at", location(report) if report else None)
        sink.put("build.node_version", _node_version([ln.text for ln in log.lines]))
        found = first_error(log)
        # Failed, but no line before the CI's report looks like a cause: only the tail was pasted.
        sink.put("build.tail_only", is_failed and found is None)
        if found is None:
            for f in ("first_error", "first_error_line", "first_error_step", "first_error_at"):
                sink.put(f"build.{f}", None)
            sink.put("build.context", [])
            return
        sink.put("build.first_error", found.text)
        sink.put("build.first_error_line", found.line.number)
        sink.put("build.first_error_step", found.line.step)
        sink.put("build.first_error_at", found.location())
        sink.put("build.context", list(found.context))
        # The nearest neighbours with text: blank lines say nothing as evidence.
        shown = [c for c in found.context if c.split("|", 1)[1].strip()]
        before = [c for c in shown if int(c.split("|", 1)[0]) < found.line.number]
        after = [c for c in shown if int(c.split("|", 1)[0]) > found.line.number]
        sink.put("build.line_before", before[-1] if before else None)
        sink.put("build.line_after", after[0] if after else None)


def checked(log: BuildLog) -> Checked:
    """Count the lines a build tool wrote; a log without one (empty, or garbage) checks nothing."""
    tool = sum(1 for ln in log.lines if _TOOL_RX.search(ln.text))
    return Checked(
        tool,
        "lines",
        f"{len(log.lines)} lines read ({log.format.value}), {tool} from a build tool",
        "no line a build tool writes (npm, pnpm, vite, tsc, node, convex ...): give the build's "
        "log (GitHub Actions: gh run view RUN --log-failed; Cloudflare Pages: the deployment's "
        "build log)",
    )


def _node_version(lines: list[str]) -> str | None:
    for line in lines:
        for rx in _NODE_SEEN:
            m = rx.search(line.strip())
            if m:
                return m.group("v")
    return None
