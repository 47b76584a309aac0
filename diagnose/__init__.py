"""diagnose: turn "payments stopped" into ranked causes, evidence and the commands that fix them."""

__version__ = "0.1.0"
