"""Can DodoPayments reach the webhook endpoint? One unsigned POST, which a handler must reject."""

from __future__ import annotations

from typing import Any, ClassVar

from diagnose.probes.base import FactSink, ProbeContext

FIELDS = (
    "checked",
    "url",
    "status",
    "error",
    "error_kind",
    "elapsed_ms",
    "outcome",
    "body_excerpt",
)
REQUEST_TIMEOUT = 15.0  # DodoPayments' own delivery timeout


class WebhookEndpointProbe:
    """POST `{}` without signature headers: a live handler answers 400/401 and does nothing."""

    name: ClassVar[str] = "webhook_endpoint"
    provides: ClassVar[frozenset[str]] = frozenset(f"webhook.endpoint.{f}" for f in FIELDS)

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Send the request; what the endpoint did, including no answer, is the fact."""
        import httpx

        from diagnose.probes.smoke import USER_AGENT, _Check, _send

        url = ctx.options.get("endpoint")
        if not url:
            sink.put("webhook.endpoint.checked", False)
            return
        cap = float(ctx.options.get("request_timeout") or REQUEST_TIMEOUT)
        verify: Any = ctx.options.get("ca_file") or True
        with httpx.Client(verify=verify, headers={"user-agent": USER_AGENT}) as client:
            facts = _send(client, _Check("endpoint", "POST", str(url), {}), ctx.remaining(cap))
        sink.update({f"webhook.endpoint.{k}": v for k, v in facts.items() if k in FIELDS})
