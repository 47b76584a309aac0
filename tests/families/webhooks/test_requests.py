"""One delivery is one request: an HTTP action and the mutations it runs share a request id.

And DodoPayments' Convex adapter's own pattern (dodo-adapters packages/convex/src/index.ts): it
catches every error, logs `console.error('Dodo Payments Webhook Error:', message)` and answers
400 while the execution succeeds; those deliveries failed though no execution did.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.families.webhooks.test_summary import facts

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
START = NOW - timedelta(minutes=50)


def _line(level: str, ms: int, *messages: str) -> dict[str, Any]:
    # object-inspect (the Convex runtime's console) quotes string arguments: 'text'
    return {
        "messages": [f"'{m}'" for m in messages],
        "level": level,
        "timestamp": ms,
        "isTruncated": False,
    }


def _write(path: Path, n: int, adapter_error: str | None = None, every: int = 10) -> Path:
    records = []
    for i in range(n):
        ts = START.timestamp() + i * 60
        ms = int(ts * 1000)
        rid = f"{i:016x}"
        lines = [_line("LOG", ms, f"payment.succeeded msg_{i:08d}")]
        if adapter_error and i % every == 3 % every:
            lines.append(_line("ERROR", ms, "Dodo Payments Webhook Error:", adapter_error))
        for name in ("webhooks:recordEvent", "payments:markPaid"):  # the first matches --function
            records.append(
                {
                    "kind": "Completion",
                    "udfType": "Mutation",
                    "identifier": name,
                    "logLines": [],
                    "timestamp": ts - 0.01,
                    "executionTime": 0.004,
                    "requestId": rid,
                }
            )
        records.append(
            {
                "kind": "Completion",
                "udfType": "HttpAction",
                "identifier": "POST /dodopayments-webhook",
                "logLines": lines,
                "timestamp": ts,
                "executionTime": 0.03,
                "requestId": rid,
                "caller": "HttpEndpoint",
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_a_delivery_is_a_request(tmp_path: Path) -> None:
    """Three executions a request are one delivery: no duplicates, the usual gap is a minute."""
    got = facts([_write(tmp_path / "ok.jsonl", 45)], NOW - timedelta(hours=1))
    assert got["deliveries"] == 45
    assert got["executions"] == 90  # the action and the mutation whose name matched
    assert got["usual_interval_s"] == 60.0
    assert got["duplicate_events"] == 0 and got["retried_events"] == 0
    assert got["handlers"] == ["POST /dodopayments-webhook: 45"]
    assert got["ran"] == ["webhooks:recordEvent (mutation): 45", "payments:markPaid (mutation): 45"]
    assert got["failures"] == 0


def test_the_adapters_400s_are_handler_errors(tmp_path: Path) -> None:
    """The adapter logged a handler's error and answered 400: visible though nothing failed."""
    log = _write(tmp_path / "adapter.jsonl", 40, adapter_error="Payment pay_1 not found")
    got = facts([log], NOW - timedelta(hours=1))
    assert got["adapter_errors"] == 4 and got["failures"] == 4
    assert got["handler_errors"] == 4 and got["signature_failures"] == 0
    assert got["error_rate"] == 0.1
    assert got["top_errors"] == ["4x Dodo Payments Webhook Error:' 'Payment pay_1 not found'"]


def test_the_adapters_verification_errors_are_signature_failures(tmp_path: Path) -> None:
    """What standardwebhooks throws, logged by the adapter, is a signature failure, not a handler's."""
    log = _write(tmp_path / "sig.jsonl", 40, adapter_error="No matching signature found", every=1)
    got = facts([log], NOW - timedelta(hours=1))
    assert got["signature_failures"] == 40 and got["handler_errors"] == 0
