"""Build corpus/webhooks/ from real tools: nothing in a case is typed by hand.

- Logs: FunctionExecution records (convex cli/lib/apiTypes.ts, what /api/stream_function_logs
  returns) printed by the npm `convex` package's own code (tests/readers/convex_render.mjs:
  formatLogsAsText and the stderr banner) in the locale each case names, or as `--jsonl`.
- The handler is DodoPayments' Convex adapter (dodo-adapters packages/convex/src/index.ts): on
  any error it logs `console.error("Dodo Payments Webhook Error:", message)` and answers 400;
  its messages are standardwebhooks' own (packages/core/src/webhook/vendor/standardwebhook.ts).
  Console arguments are quoted as the Convex runtime's object-inspect writes them ('text').
- Deliveries: DodoPayments' documented payload (docs.dodopayments.com/developer-resources/
  webhooks; fields of dodo-adapters packages/core/src/schemas/webhook.ts), signed with the
  reference JavaScript `standardwebhooks` (sign.mjs); the spec's published test vector as is.

Run from the repository root after scripts/ci/convex.sh and scripts/ci/standardwebhooks.sh:
    python corpus/webhooks/make.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CONVEX = ROOT / ".ci-cache" / "convex" / "node_modules" / "convex"
SW = ROOT / ".ci-cache" / "standardwebhooks" / "node_modules" / "standardwebhooks"
RENDER = ROOT / "tests" / "readers" / "convex_render.mjs"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ROUTE = "POST /dodopayments-webhook"  # the adapter README's http.route path
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks spec's example secret
OTHER = "whsec_" + "dGVzdC1tb2RlLXNlY3JldC1mb3ItdGhlLW90aGVyLWVudg=="
ADAPTER = "https://github.com/dodopayments/dodo-adapters/blob/d27cf0836cb00e979b0d359d520ec601d763dd90/packages/convex/src/index.ts"
VERIFIER = "https://github.com/dodopayments/dodo-adapters/blob/d27cf0836cb00e979b0d359d520ec601d763dd90/packages/core/src/webhook/vendor/standardwebhook.ts"
CLI = "npm convex@1.48.0 dist/esm/cli/lib/logs.js (formatLogsAsText, prefixLog)"
PAYLOAD_DOC = "https://docs.dodopayments.com/developer-resources/webhooks"
VECTORS = "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md (example signature)"


def _inspect(text: str) -> str:
    """A string console argument as the Convex runtime's object-inspect prints it."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _line(level: str, ms: int, *args: str) -> dict[str, Any]:
    return {
        "messages": [_inspect(a) for a in args],
        "level": level,
        "timestamp": ms,
        "isTruncated": False,
    }


def _execution(
    udf: str,
    name: str,
    ts: float,
    secs: float,
    rid: str,
    n: int,
    lines: list[Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "Completion",
        "udfType": udf,
        "identifier": name,
        "logLines": lines or [],
        "timestamp": ts,
        "cachedResult": False,
        "caller": "HttpEndpoint" if udf == "HttpAction" else "Action",
        "executionTime": secs,
        "success": None,
        "requestId": rid,
        "executionId": f"{n:016x}",
        "usageStats": {"databaseReadBytes": 512, "databaseWriteBytes": 128, "memoryUsedMb": 24},
        "environment": "isolate",
        "identityType": "none",
    }
    if error:
        record["error"] = error
    return record


def deliveries(
    count: int,
    every_s: float,
    end: datetime,
    fail: str | None = None,
    fail_every: int = 0,
    secs: float = 0.09,
    throw: str | None = None,
) -> list[dict[str, Any]]:
    """The adapter's executions: the HTTP action, and the mutation its handler runs when verified."""
    out: list[dict[str, Any]] = []
    start = end.timestamp() - count * every_s
    for i in range(count):
        ts = round(start + i * every_s + (i * 7919 % 23) / 10, 3)
        rid = f"{(i * 2654435761) % 2**64:016x}"
        failing = fail is not None and (fail_every <= 1 or i % fail_every == 3 % fail_every)
        if throw:
            out.append(_execution("HttpAction", ROUTE, ts, 0.004, rid, 3 * i, error=throw))
            continue
        lines = (
            [_line("ERROR", int(ts * 1000) - 2, "Dodo Payments Webhook Error:", fail)]
            if failing
            else []
        )
        verified = not failing or not _is_verification(fail or "")
        if verified:
            mutation_error = f"Uncaught Error: {fail}" if failing else None
            out.append(
                _execution(
                    "Mutation",
                    "payments:markPaid",
                    ts - 0.012,
                    0.006,
                    rid,
                    3 * i + 1,
                    error=mutation_error,
                )
            )
        out.append(
            _execution(
                "HttpAction", ROUTE, ts, secs if not failing else 0.02, rid, 3 * i + 2, lines
            )
        )
    return out


def _is_verification(message: str) -> bool:
    return message in (
        "No matching signature found",
        "Missing required headers",
        "Invalid Signature Headers",
        "Message timestamp too old",
        "Message timestamp too new",
    )


def render(
    entries: list[dict[str, Any]],
    path: Path,
    locale: str | None,
    success: bool = True,
    banner: bool = False,
) -> None:
    spec = {
        "entries": entries,
        "success": success,
        "jsonl": locale is None,
        "banner": "tame-camel-412" if banner else None,
    }
    env = {
        "LANG": f"{locale or 'en_US'}.UTF-8",
        "TZ": "UTC",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    done = subprocess.run(
        ["node", str(RENDER), str(CONVEX)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    path.write_text(done.stdout, encoding="utf-8")


def sign(requests: list[dict[str, Any]]) -> list[str]:
    lines = "".join(json.dumps(r) + "\n" for r in requests)
    done = subprocess.run(
        ["node", str(HERE / "sign.mjs"), str(SW)],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def payment(i: int, when: datetime) -> str:
    """A payment.succeeded body: DodoPayments' documented envelope, the adapter schema's fields."""
    body = {
        "business_id": "bus_Cz4aLGJ6nEVyBBmQ",
        "type": "payment.succeeded",
        "timestamp": when.isoformat().replace("+00:00", "Z"),
        "data": {
            "payload_type": "Payment",
            "payment_id": f"pay_{i:06d}A9xQ2",
            "business_id": "bus_Cz4aLGJ6nEVyBBmQ",
            "brand_id": "bus_Cz4aLGJ6nEVyBBmQ",
            "total_amount": 2900,
            "currency": "USD",
            "status": "succeeded",
            "customer": {
                "customer_id": f"cus_{i:06d}",
                "email": f"buyer{i}@example.com",
                "name": None,
                "phone_number": None,
                "metadata": None,
            },
            "metadata": {},
            "created_at": when.isoformat().replace("+00:00", "Z"),
        },
    }
    return json.dumps(body, separators=(",", ":"))


def captures(
    path: Path, count: int, secret: str, status: int, end: datetime, mangle: str | None = None
) -> None:
    """Deliveries as received (JSON lines: received_at, headers, body, status)."""
    reqs = []
    for i in range(count):
        when = end - timedelta(minutes=5 * (count - i))
        reqs.append(
            {
                "id": f"msg_2v{i:04d}Kq8ZtYb1",
                "ts": int(when.timestamp()),
                "body": payment(i, when),
                "secret": secret,
            }
        )
    signatures = sign(reqs)
    rows = []
    for r, sig in zip(reqs, signatures, strict=True):
        headers = {
            "content-type": "application/json",
            "webhook-id": r["id"],
            "webhook-timestamp": str(r["ts"]),
            "webhook-signature": sig,
            "user-agent": "Svix-Webhooks/1.49.0",
        }
        body = r["body"]
        if mangle == "reserialised":  # a framework parsed the JSON and the handler re-serialised it
            body = json.dumps(json.loads(body), indent=2)
        if mangle == "stripped":  # a proxy dropped the webhook-* headers
            headers = {k: v for k, v in headers.items() if not k.startswith("webhook-")}
        received = datetime.fromtimestamp(r["ts"] + 1, UTC).isoformat().replace("+00:00", "Z")
        rows.append(
            {
                "received_at": received,
                "method": "POST",
                "url": "https://tame-camel-412.convex.site/dodopayments-webhook",
                "headers": headers,
                "body": body,
                "status": status,
                "duration_ms": 140,
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _v1a(delivery: dict[str, Any]) -> str:
    """A v1a (ed25519, the spec's asymmetric scheme) signature of the delivery, by a fresh key."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    h = delivery["headers"]
    content = f"{h['webhook-id']}.{h['webhook-timestamp']}.{delivery['body']}".encode()
    key = Ed25519PrivateKey.from_private_bytes(
        bytes(range(32))
    )  # deterministic: the corpus is stable
    return "v1a," + base64.b64encode(key.sign(content)).decode()


def case(
    name: str, source: str, expect: str, why: str, args: list[str], secret: str | None = None
) -> Path:
    folder = HERE / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    toml = [
        f"source = {json.dumps(source)}",
        f"expect = {json.dumps(expect)}",
        f"why = {json.dumps(why)}",
        f"args = {json.dumps(args)}",
    ]
    if secret:
        toml.append(
            f"secret = {json.dumps(secret)}  # exported as DODO_PAYMENTS_WEBHOOK_SECRET by harness.py"
        )
    (folder / "case.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
    return folder


def main() -> None:
    now = ["--now", NOW.isoformat().replace("+00:00", "Z"), "--since", "1h"]
    end = NOW - timedelta(seconds=40)
    healthy = deliveries(60, 60, end)
    locales = [
        "en_US",
        "en_GB",
        "en_IN",
        "en_AU",
        "en_CA",
        "fr_FR",
        "de_DE",
        "nl_NL",
        "ja_JP",
        "zh_CN",
        "ko_KR",
        "pt_BR",
        "es_ES",
        "fi_FI",
    ]
    f = case(
        "healthy-jsonl",
        f"{CLI} (--jsonl); handler {ADAPTER}",
        "healthy",
        "Sixty adapter deliveries, each an HTTP action and the mutation it ran under one request id: no duplicates, a delivery a minute.",
        ["webhooks", "--log", "{case}/convex.jsonl", *now],
    )
    render(healthy, f / "convex.jsonl", None)
    f = case(
        "healthy-jsonl-banner",
        f"{CLI} (--jsonl, saved with &> so the stderr banner leads); handler {ADAPTER}",
        "healthy",
        "The CLI's deployment banner as first lines must not turn a JSONL file into text.",
        ["webhooks", "--log", "{case}/convex.jsonl", *now],
    )
    render(healthy, f / "convex.jsonl", None, banner=True)
    for loc in locales:
        f = case(
            f"healthy-text-{loc.lower().replace('_', '-')}",
            f"{CLI} under LANG={loc}.UTF-8 (--success, banner via 2>&1); handler {ADAPTER}",
            "healthy",
            f"A healthy hour printed in {loc}'s toLocaleString times: every line readable, one delivery a minute.",
            ["webhooks", "--log", "{case}/convex.log", *now],
        )
        render(healthy, f / "convex.log", loc, banner=True)
    errors = deliveries(60, 60, end, fail="Payment pay_000003A9xQ2 not found", fail_every=10)
    f = case(
        "adapter-handler-errors-jsonl",
        f"{CLI} (--jsonl); handler {ADAPTER} (catch: console.error + 400)",
        "webhook.handler-errors",
        "The adapter caught a handler's error six times, logged it and answered 400: the executions succeeded, the deliveries failed.",
        ["webhooks", "--log", "{case}/convex.jsonl", *now],
    )
    render(errors, f / "convex.jsonl", None)
    for loc in ("en_GB", "ja_JP", "en_CA"):
        f = case(
            f"adapter-handler-errors-text-{loc.lower().replace('_', '-')}-failures-only",
            f"{CLI} under LANG={loc}.UTF-8, without --success; handler {ADAPTER}",
            "webhook.handler-errors",
            "Without --success only failures print; the adapter's errors still show handler failures (rates are not computed).",
            ["webhooks", "--log", "{case}/convex.log", *now],
        )
        render(errors, f / "convex.log", loc, success=False)
    for loc in ("en_US", "fr_FR"):
        f = case(
            f"adapter-handler-errors-text-{loc.lower().replace('_', '-')}",
            f"{CLI} under LANG={loc}.UTF-8 (--success); handler {ADAPTER}",
            "webhook.handler-errors",
            "The mutation's error (with its stack) and the adapter's line under the same delivery: handler errors, not signatures.",
            ["webhooks", "--log", "{case}/convex.log", *now],
        )
        render(errors, f / "convex.log", loc)
    sig = deliveries(30, 120, end, fail="No matching signature found", fail_every=1)
    f = case(
        "adapter-signature-failures-jsonl",
        f"{CLI} (--jsonl); handler {ADAPTER}; message {VERIFIER}",
        "webhook.signature-failures",
        "Every delivery rejected by standardwebhooks ('No matching signature found') and answered 400 by the adapter.",
        ["webhooks", "--log", "{case}/convex.jsonl", *now],
    )
    render(sig, f / "convex.jsonl", None)
    f = case(
        "adapter-signature-failures-text-en-in",
        f"{CLI} under LANG=en_IN.UTF-8 (--success); handler {ADAPTER}; message {VERIFIER}",
        "webhook.signature-failures",
        "The same rejections in en-IN text (day first, 'pm').",
        ["webhooks", "--log", "{case}/convex.log", *now],
    )
    render(sig, f / "convex.log", "en_IN")
    skew = deliveries(30, 120, end, fail="Message timestamp too old", fail_every=1)
    f = case(
        "adapter-timestamp-too-old",
        f"{CLI} (--jsonl); handler {ADAPTER}; message {VERIFIER}",
        "webhook.timestamp-skew",
        "standardwebhooks rejects every delivery as 'Message timestamp too old': a clock or a replay, not the secret.",
        ["webhooks", "--log", "{case}/convex.jsonl", *now],
    )
    render(skew, f / "convex.jsonl", None)
    stripped = deliveries(30, 120, end, fail="Missing required headers", fail_every=1)
    f = case(
        "adapter-missing-headers",
        f"{CLI} (--jsonl); handler {ADAPTER}; message {VERIFIER}",
        "webhook.missing-headers",
        "Every rejection is 'Missing required headers': something in front of Convex strips webhook-*.",
        ["webhooks", "--log", "{case}/convex.jsonl", *now],
    )
    render(stripped, f / "convex.jsonl", None)
    unset = deliveries(
        20,
        180,
        end,
        throw="Uncaught Error: DODO_PAYMENTS_WEBHOOK_SECRET environment variable is not set.",
    )
    f = case(
        "adapter-secret-unset",
        f"{CLI} (--jsonl); handler {ADAPTER} (throws before its try when the variable is empty: 500)",
        "webhook.handler-errors",
        "The adapter throws outside its catch when DODO_PAYMENTS_WEBHOOK_SECRET is empty: every delivery fails with a 500.",
        ["webhooks", "--log", "{case}/convex.jsonl", *now],
    )
    render(unset, f / "convex.jsonl", None)
    slow = deliveries(40, 90, end, secs=16.4)
    f = case(
        "slow-handler-jsonl",
        f"{CLI} (--jsonl); handler {ADAPTER}",
        "webhook.slow-handler",
        "Every execution takes 16.4 s, past DodoPayments' 15 s timeout: deliveries are retried though they succeed.",
        ["webhooks", "--log", "{case}/convex.jsonl", *now],
    )
    render(slow, f / "convex.jsonl", None)
    quiet_end = NOW - timedelta(hours=2)
    gone = deliveries(120, 60, quiet_end)
    f = case(
        "not-received-jsonl",
        f"{CLI} (--jsonl); handler {ADAPTER}",
        "webhook.not-received",
        "A delivery a minute until two hours ago, then none: the window is silent.",
        [
            "webhooks",
            "--log",
            "{case}/convex.jsonl",
            "--now",
            NOW.isoformat().replace("+00:00", "Z"),
            "--since",
            "1h",
        ],
    )
    render(gone, f / "convex.jsonl", None)
    legacy = []
    for r in slow:
        path = r["identifier"]
        kind = "http_action" if r["udfType"] == "HttpAction" else "mutation"
        legacy.append(
            {
                "_topic": "_execution_record",
                "_timestamp": int(r["timestamp"] * 1000),
                "_functionType": kind,
                "_functionPath": path,
                "_functionCached": False,
                "status": "success",
                "executionTimeMs": int(r["executionTime"] * 1000),
                "_udfServerVersion": "1.48.0",
            }
        )
    f = case(
        "legacy-stream-slow",
        "Convex log streams, legacy event schema (get-convex/convex-backend npm-packages/docs/docs/production/integrations/log-streams/legacy-event-schema.mdx): the events of slow-handler-jsonl",
        "webhook.slow-handler",
        "Legacy execution records carry executionTimeMs: the 16 s executions must be read.",
        ["webhooks", "--log", "{case}/stream.json", *now],
    )
    (f / "stream.json").write_text(json.dumps(legacy, indent=2) + "\n", encoding="utf-8")
    # Captures.
    f = case(
        "captures-healthy",
        f"payload {PAYLOAD_DOC}; signed with standardwebhooks@1.1.1 (sign.mjs)",
        "healthy",
        "Twelve deliveries signed with the secret held, answered 200.",
        ["webhooks", "--capture", "{case}/deliveries.jsonl", *now],
        secret=SECRET,
    )
    captures(f / "deliveries.jsonl", 12, SECRET, 200, NOW)
    f = case(
        "captures-other-secret",
        f"payload {PAYLOAD_DOC}; signed with standardwebhooks@1.1.1 with another endpoint's secret",
        "webhook.secret-mismatch",
        "Every delivery is signed with a secret other than the one held.",
        ["webhooks", "--capture", "{case}/deliveries.jsonl", *now],
        secret=SECRET,
    )
    captures(f / "deliveries.jsonl", 12, OTHER, 400, NOW)
    f = case(
        "captures-valid-logs-reject",
        f"payload {PAYLOAD_DOC}; signed with standardwebhooks@1.1.1; logs {CLI}; handler {ADAPTER}",
        "webhook.secret-mismatch",
        "The deliveries verify with the dashboard secret, yet the deployment's adapter rejects them all ('No matching signature found'): Convex holds another value.",
        ["webhooks", "--capture", "{case}/deliveries.jsonl", "--log", "{case}/convex.jsonl", *now],
        secret=SECRET,
    )
    captures(f / "deliveries.jsonl", 12, SECRET, 400, NOW)
    render(
        deliveries(12, 300, NOW, fail="No matching signature found", fail_every=1),
        f / "convex.jsonl",
        None,
    )
    f = case(
        "captures-valid-handler-fails",
        f"payload {PAYLOAD_DOC}; signed with standardwebhooks@1.1.1; logs {CLI}; handler {ADAPTER}",
        "webhook.handler-errors",
        "Valid deliveries answered 400 because the handler threw after verification (the logs say which): not the secret.",
        ["webhooks", "--capture", "{case}/deliveries.jsonl", "--log", "{case}/convex.jsonl", *now],
        secret=SECRET,
    )
    captures(f / "deliveries.jsonl", 12, SECRET, 400, NOW)
    render(
        deliveries(
            12,
            300,
            NOW,
            fail="Cannot read properties of undefined (reading 'orderId')",
            fail_every=1,
        ),
        f / "convex.jsonl",
        None,
    )
    f = case(
        "captures-reserialised-body",
        f"payload {PAYLOAD_DOC}; signed with standardwebhooks@1.1.1, body re-serialised as a JSON-parsing framework does",
        "webhook.body-modified",
        "The bytes verified are not the bytes signed: the body was parsed and re-serialised.",
        ["webhooks", "--capture", "{case}/deliveries.jsonl", *now],
        secret=SECRET,
    )
    captures(f / "deliveries.jsonl", 8, SECRET, 400, NOW, mangle="reserialised")
    f = case(
        "captures-headers-stripped",
        f"payload {PAYLOAD_DOC}; signed with standardwebhooks@1.1.1, webhook-* headers dropped",
        "webhook.missing-headers",
        "A proxy drops the webhook-* headers: nothing can be verified.",
        ["webhooks", "--capture", "{case}/deliveries.jsonl", *now],
        secret=SECRET,
    )
    captures(f / "deliveries.jsonl", 8, SECRET, 400, NOW, mangle="stripped")
    f = case(
        "captures-lone-surrogate",
        f"payload {PAYLOAD_DOC}; signed with standardwebhooks@1.1.1; one entry's body a JSON-escaped lone surrogate",
        "healthy",
        "One unreadable entry is one bad entry: the others verify and nothing is wrong.",
        ["webhooks", "--capture", "{case}/deliveries.jsonl", *now],
        secret=SECRET,
    )
    captures(f / "deliveries.jsonl", 6, SECRET, 200, NOW)
    with (f / "deliveries.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(
            json.dumps(
                {
                    "received_at": NOW.isoformat().replace("+00:00", "Z"),
                    "headers": {"webhook-id": "msg_bad"},
                    "body": "\ud800",
                }
            )
            + "\n"
        )
    # The spec's published example, verbatim, at the moment it was signed and a day later.
    vector = {
        "received_at": "2021-02-25T15:02:10Z",
        "method": "POST",
        "url": "https://example.com/webhook",
        "headers": {
            "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "webhook-timestamp": "1614265330",
            "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        },
        "body": '{"test": 2432232314}',
        "status": 200,
    }
    f = case(
        "vector-spec-example",
        VECTORS,
        "healthy",
        "The spec's example delivery verifies with its secret.",
        [
            "webhooks",
            "--capture",
            "{case}/deliveries.jsonl",
            "--now",
            "2021-02-25T15:05:00Z",
            "--since",
            "1h",
        ],
        secret=SECRET,
    )
    (f / "deliveries.jsonl").write_text(json.dumps(vector) + "\n", encoding="utf-8")
    f = case(
        "vector-spec-example-a-day-late",
        VECTORS + "; received a day after it was signed",
        "webhook.timestamp-skew",
        "A valid signature, 24 h outside the 5 min tolerance: a replay or a clock.",
        [
            "webhooks",
            "--capture",
            "{case}/deliveries.jsonl",
            "--now",
            "2021-02-26T15:05:00Z",
            "--since",
            "1h",
        ],
        secret=SECRET,
    )
    late = {**vector, "received_at": "2021-02-26T15:02:10Z"}
    (f / "deliveries.jsonl").write_text(json.dumps(late) + "\n", encoding="utf-8")
    f = case(
        "vector-v1a-only",
        VECTORS + "; v1a (ed25519) signature only",
        "webhook.no-v1-signature",
        "Only a v1a signature: no scheme this (symmetric) receiver can check.",
        [
            "webhooks",
            "--capture",
            "{case}/deliveries.jsonl",
            "--now",
            "2021-02-25T15:05:00Z",
            "--since",
            "1h",
        ],
        secret=SECRET,
    )
    v1a = {**vector, "headers": {**vector["headers"], "webhook-signature": _v1a(vector)}}
    (f / "deliveries.jsonl").write_text(json.dumps(v1a) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
