"""How the deploy family joins a run: every diagnosis knows the last deployment once one is recorded."""

from __future__ import annotations

from diagnose.families.deploy.records import db_path, has_records
from diagnose.family import Plan
from diagnose.settings import Common


def joins(common: Common) -> Plan | None:
    """Return the deploys probe's plan when the run's deployment log holds a deployment."""
    options = {"deploy_db": str(db_path(common.config))}
    if not has_records(options):
        return None
    return Plan("deploy", options["deploy_db"], ("deploys",), options)
