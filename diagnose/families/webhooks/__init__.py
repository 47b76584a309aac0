"""webhooks: why payment events are not processed (Convex logs, captured deliveries, the endpoint)."""

from diagnose.family import Family

FAMILY = Family(
    name="webhooks",
    summary="why payment events are not being processed",
    probes={
        "webhook_logs": "diagnose.families.webhooks.logs_probe:WebhookLogsProbe",
        "webhook_captures": "diagnose.families.webhooks.captures_probe:WebhookCapturesProbe",
        "webhook_endpoint": "diagnose.families.webhooks.endpoint_probe:WebhookEndpointProbe",
        "webhook_sender": "diagnose.sources.dodopayments:DodoWebhooksProbe",  # live source
        "sources": "diagnose.sources.record:SourcesProbe",  # what the live sources read
    },
    options="diagnose.families.webhooks.options:WebhooksOptions",
    plan="diagnose.families.webhooks.plan:plan",
)
