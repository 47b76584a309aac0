"""checklist: the runbook's pre-deploy and post-deploy checklists, one mark per item."""

from diagnose.family import Family

FAMILY = Family(
    name="checklist",
    summary="the runbook's checklists, one mark per item",
    probes={
        "checklist_pre": "diagnose.families.checklist.probe:PreDeployProbe",
        "checklist_post": "diagnose.families.checklist.probe:PostDeployProbe",
    },
    options="diagnose.families.checklist.options:ChecklistOptions",
)
