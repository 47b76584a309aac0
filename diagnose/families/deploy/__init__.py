"""deploy: deployments as evidence (records, CI, onset after a deploy)."""

from diagnose.family import Family

FAMILY = Family(
    name="deploy",
    summary="deployments as evidence",
    probes={"deploys": "diagnose.families.deploy.probe:DeploysProbe"},
    joins="diagnose.families.deploy.plan:joins",
)
