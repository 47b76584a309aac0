"""Reading build logs (GitHub Actions, gh run view, Cloudflare Pages, raw) and project build settings."""

from diagnose.families.build.triage import FirstError, first_error
from diagnose.readers.buildlog import BuildLog, LogFormat, LogLine, parse_log

__all__ = ["BuildLog", "FirstError", "LogFormat", "LogLine", "first_error", "parse_log"]
