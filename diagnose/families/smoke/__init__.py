"""smoke: the runbook's smoke tests (homepage, sign-in, Convex health) as a deploy gate."""

from diagnose.family import Family

FAMILY = Family(
    name="smoke",
    summary="the runbook's smoke tests as a deploy gate",
    probes={"smoke": "diagnose.families.smoke.probe:SmokeProbe"},
    options="diagnose.families.smoke.options:SmokeOptions",
    plan="diagnose.families.smoke.plan:plan",
)
