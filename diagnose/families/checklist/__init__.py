"""The checklist family."""
