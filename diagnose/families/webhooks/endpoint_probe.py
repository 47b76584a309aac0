"""Can DodoPayments reach the webhook endpoint? One unsigned POST, which a handler must reject."""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from diagnose.families.webhooks.captures_probe import OWN_CHECK_AGENT
from diagnose.net.http_check import Check, send, unfinished
from diagnose.probe import FactSink, ProbeContext, Unfinished, run_bounded

FIELDS = (
    "checked",
    "url",
    "status",
    "error",
    "error_kind",
    "elapsed_ms",
    "outcome",
    "body_excerpt",
    "secret_env",
)


class WebhookEndpointProbe:
    """POST `{}` without signature headers: a live handler answers 400/401 and does nothing."""

    name: ClassVar[str] = "webhook_endpoint"
    provides: ClassVar[frozenset[str]] = frozenset(f"webhook.endpoint.{f}" for f in FIELDS)
    # Imported before the deadline starts: our start-up is not the peer's time.
    warm_imports: ClassVar[tuple[str, ...]] = (
        "httpx",
        "diagnose.net.http_check",
        "diagnose.families.webhooks.captures_probe",
    )

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Send the request; what the endpoint did, including no answer, is the fact."""
        import httpx

        url = ctx.options.get("endpoint")
        sink.put("webhook.endpoint.secret_env", ctx.options.get("secret_env"))
        if not url:
            sink.put("webhook.endpoint.checked", False)
            return
        cap = float(ctx.options["request_timeout"])
        verify: Any = ctx.options.get("ca_file") or True
        check = Check("endpoint", "POST", str(url), {})
        from diagnose.families.webhooks import own_checks

        own_checks.record()  # the handler will log a rejection now: later runs discount it
        # Marked, so that captures of it are not taken for deliveries by later runs.
        with httpx.Client(verify=verify, headers={"user-agent": OWN_CHECK_AGENT}) as client:
            # The budget is taken once the client (its TLS context) is built: that is our time.
            budget = ctx.remaining(cap)
            # Socket timeouts bound each read: a peer trickling a byte a second never trips
            # them, so the whole request is bounded here and a cut-off request is evidence.
            done = run_bounded({"post": partial(send, client, check, budget)}, budget + 0.05)
        facts = done["post"]
        if isinstance(facts, Unfinished):
            facts = unfinished(check, budget)
        sink.update({f"webhook.endpoint.{k}": v for k, v in facts.items() if k in FIELDS})
