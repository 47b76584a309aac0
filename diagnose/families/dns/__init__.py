"""The dns family."""
