"""The runbook's smoke tests over HTTP: homepage, sign-in, Convex health (httpx)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urljoin

from diagnose.net.http_check import FIELDS, USER_AGENT, Check, send, unfinished
from diagnose.probe import FactSink, ProbeContext, Unfinished, run_bounded

CHECKS = ("homepage", "auth", "health")
# The runbook's exact sign-in smoke test body.
SIGNIN_BODY = {"email": "test@example.com", "password": "testpass"}


class SmokeProbe:
    """Run the three smoke requests concurrently and record what each answered."""

    name: ClassVar[str] = "smoke"
    # Imported before the deadline starts: our start-up is not the peer's time.
    warm_imports: ClassVar[tuple[str, ...]] = ("httpx", "diagnose.net.http_check")
    provides: ClassVar[frozenset[str]] = frozenset(
        {f"smoke.{c}.{f}" for c in CHECKS for f in FIELDS} | {"smoke.url", "smoke.convex_url"}
    )

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Send the smoke requests; every outcome, failure included, is a fact."""
        import httpx

        url = str(ctx.options["url"])
        convex_url = ctx.options.get("convex_url")
        sink.put("smoke.url", url)
        sink.put("smoke.convex_url", convex_url)
        checks = [
            Check("homepage", "GET", url),
            Check("auth", "POST", urljoin(url.rstrip("/") + "/", "api/auth/signin"), SIGNIN_BODY),
        ]
        if convex_url:
            checks.append(
                Check("health", "GET", urljoin(str(convex_url).rstrip("/") + "/", "api/health"))
            )
        else:
            sink.put("smoke.health.checked", False)
        # Absent (a caller that plans no smoke options): no host is allowed, the safe reading.
        allow = tuple(ctx.options.get("allow_redirect") or ())
        cap = float(ctx.options["request_timeout"])
        verify: Any = ctx.options.get("ca_file") or True
        client = httpx.Client(verify=verify, headers={"user-agent": USER_AGENT})
        budget = ctx.remaining(cap)  # taken once the client (its TLS context) is built
        try:
            # Socket timeouts bound each read, not the whole answer: a peer that trickles a
            # byte a second never trips them. The whole request is bounded here instead.
            calls: dict[str, Callable[[], dict[str, Any]]] = {
                c.name: partial(send, client, c, budget, allow) for c in checks
            }
            results = run_bounded(calls, budget + 0.05)
        finally:
            client.close()
        for check in checks:
            facts = results[check.name]
            if isinstance(facts, Unfinished):
                facts = unfinished(check, budget)
            sink.update({f"smoke.{check.name}.{k}": v for k, v in facts.items()})
