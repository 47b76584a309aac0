"""env: environment variables against what the code needs (missing, empty, malformed, leaked)."""

from diagnose.family import Family

FAMILY = Family(
    name="env",
    summary="environment variables against what the code needs",
    probes={
        "envvars": "diagnose.families.env.probe:EnvVarsProbe",
        "github_names": "diagnose.sources.github:GitHubNamesProbe",  # live source
        "sources": "diagnose.sources.record:SourcesProbe",  # what the live sources read
    },
    options="diagnose.families.env.options:EnvOptions",
    plan="diagnose.families.env.plan:plan",
)
