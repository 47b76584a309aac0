"""build: why a Pages or GitHub Actions build failed (the log) and how the project builds."""

from diagnose.family import Family

FAMILY = Family(
    name="build",
    summary="why a build failed, from its log and the project's build settings",
    probes={
        "buildlog": "diagnose.families.build.log_probe:BuildLogProbe",
        "project": "diagnose.families.build.project_probe:ProjectProbe",
        "sources": "diagnose.sources.record:SourcesProbe",  # what the live sources read
    },
    options="diagnose.families.build.options:BuildOptions",
    plan="diagnose.families.build.plan:plan",
)
