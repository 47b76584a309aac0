"""The env family."""
