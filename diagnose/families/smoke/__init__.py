"""The smoke family."""
