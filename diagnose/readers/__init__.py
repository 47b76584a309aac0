"""One reader per input format, shared by every family that reads it."""
