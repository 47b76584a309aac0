"""Incidents: a local SQLite log of attached diagnoses, and sinks that post them where teams work."""
