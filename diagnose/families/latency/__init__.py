"""latency: is it slow, where, and since when (live sampling and request/function logs)."""

from diagnose.family import Family

FAMILY = Family(
    name="latency",
    summary="is it slow, where, and since when",
    probes={
        "latency_budget": "diagnose.families.latency.sample_probe:LatencyBudgetProbe",
        "latency_sample": "diagnose.families.latency.sample_probe:LatencySampleProbe",
        "latency_logs": "diagnose.families.latency.logs_probe:LatencyLogsProbe",
        # live source: Cloudflare's GraphQL Analytics, when no request log is given
        "cloudflare_analytics": "diagnose.sources.cf_analytics:CloudflareAnalyticsProbe",
    },
    options="diagnose.families.latency.options:LatencyOptions",
    plan="diagnose.families.latency.plan:plan",
)
