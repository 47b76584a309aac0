"""The webhooks family's options: the only place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.families.webhooks.signature import TOLERANCE_S
from diagnose.options import setting

# Where the webhook secret is looked for, in order; the first one set is used. DodoPayments'
# Convex adapter (@dodopayments/convex, dodo-adapters packages/convex/src/index.ts) reads
# DODO_PAYMENTS_WEBHOOK_SECRET, as do its Next.js, Express and Better Auth examples; its Bun and
# Astro READMEs and many apps name it DODO_PAYMENTS_WEBHOOK_KEY.
DEFAULT_SECRET_ENV = ("DODO_PAYMENTS_WEBHOOK_SECRET", "DODO_PAYMENTS_WEBHOOK_KEY")


@dataclass(frozen=True)
class WebhooksOptions:
    """What to read, where the secrets are, and what to POST to."""

    logs: tuple[str, ...] = setting(
        (),
        "Convex logs (npx convex logs --jsonl), relative to the config file",
        config="webhooks.logs",
        flag="--log",
        path=True,
    )
    captures: tuple[str, ...] = setting(
        (),
        "captured deliveries (HAR or JSON lines)",
        config="webhooks.captures",
        flag="--capture",
        path=True,
    )
    secret_env: str | tuple[str, ...] = setting(
        DEFAULT_SECRET_ENV,
        "env vars that may hold the webhook secret, in order: the first one set is used",
        config="webhooks.secret_env",
        flag="--secret-env",
    )
    previous_secret_env: str | None = setting(
        None,
        "env var holding the secret before the last rotation",
        config="webhooks.previous_secret_env",
        flag="--previous-secret-env",
    )
    other_secret_env: str | None = setting(
        None,
        "env var holding the other environment's secret (test vs live)",
        config="webhooks.other_secret_env",
        flag="--other-secret-env",
    )
    tolerance_s: int = setting(
        TOLERANCE_S,
        "accepted clock skew of webhook-timestamp, s (every reference library: 5 min)",
        config="webhooks.tolerance_s",
        low=1,
        high=86400,
    )
    log_format: str = setting("auto", "force the log format", flag="--log-format")
    function_match: str = setting(
        r"(?i)webhook|dodo", "which Convex functions handle webhooks (a regex)", flag="--function"
    )
    endpoint: str | None = setting(
        None, "also POST an unsigned request here", config="service.webhook_url", flag="--endpoint"
    )
