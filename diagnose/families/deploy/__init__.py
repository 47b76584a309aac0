"""Deployments as evidence: the version-tracking records, the CI environment, onset vs deployment."""
