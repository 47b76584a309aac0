"""Reading build logs (GitHub Actions, gh run view, Cloudflare Pages, raw) and project build settings."""

from diagnose.buildlog.parse import BuildLog, LogFormat, LogLine, parse_log
from diagnose.buildlog.triage import FirstError, first_error

__all__ = ["BuildLog", "FirstError", "LogFormat", "LogLine", "first_error", "parse_log"]
