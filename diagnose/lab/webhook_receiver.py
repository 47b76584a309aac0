"""A webhook receiver on 127.0.0.1 that verifies like a Convex HTTP action, and breaks like real ones.

It logs each execution as a `npx convex logs --jsonl` record and records each request as the
handler saw it (after its middleware) in a JSON-lines capture, which is what `diagnose webhooks
--log ... --capture ...` reads.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diagnose.families.webhooks.signature import sign, verify
from diagnose.lab.convex_logs import WEBHOOK_FUNCTION, Execution, append_execution
from diagnose.lab.serving import LabHandler, serve_http

PATH = "/webhooks/dodo"
FAULTS: dict[str, str] = {
    "healthy": "verifies the raw body with the right secret, answers 200 fast",
    "wrong-secret": "the handler holds another secret (a rotation not copied to Convex)",
    "parse-then-verify": "the handler parses the JSON and verifies JSON.stringify(body)",
    "clock-skew": "the handler's clock is 10 minutes ahead",
    "strip-headers": "a proxy in front drops the webhook-* headers",
    "errors": "verification passes, then the handler throws (500)",
    "slow": "the handler answers after `delay_s` seconds",
}


@dataclass
class ReceiverState:
    """What the receiver plays; tests may change it while it runs."""

    secret: str
    fault: str = "healthy"
    wrong_secret: str = "whsec_" + "V1JPTkdTRUNSRVRXUk9OR1NFQ1JFVDEyMzQ1Njc4"
    skew_s: float = 600.0
    delay_s: float = 0.3
    log_path: Path | None = None
    capture_path: Path | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    answered: list[int] = field(default_factory=list)

    def clock(self) -> float:
        """Return the handler's idea of now."""
        return time.time() + (self.skew_s if self.fault == "clock-skew" else 0.0)


class _Handler(LabHandler):
    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        """Handle a delivery the way a Convex HTTP action with the Standard Webhooks lib does."""
        t0 = time.monotonic()
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.split("?", 1)[0] != PATH:
            self._send(404, b"No matching routes found", "text/plain")
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = raw
        if state.fault == "strip-headers":
            headers = {k: v for k, v in headers.items() if not k.startswith("webhook-")}
        if state.fault == "parse-then-verify":
            try:
                body = json.dumps(json.loads(raw), separators=(",", ":")).encode()
            except ValueError:
                body = raw
        secret = state.wrong_secret if state.fault == "wrong-secret" else state.secret
        verdict = verify(secret, headers, body, state.clock())
        lines: list[tuple[str, str]] = []
        error = None
        answer: dict[str, Any]
        if not verdict.ok:
            why = {
                "missing-headers": "Missing required headers",
                "timestamp-skew": "Message timestamp too old"
                if (verdict.skew_s or 0) > 0
                else "Message timestamp too new",
                "malformed-headers": "Invalid Signature Headers",
            }.get(verdict.reason.value, "No matching signature found")
            lines.append(("ERROR", f"'Webhook signature verification failed: {why}'"))
            status, answer = 401, {"error": "invalid signature"}
        else:
            kind = _event_type(body)
            lines.append(("LOG", f"'webhook received {kind} {headers.get('webhook-id')}'"))
            if state.fault == "slow":
                state.stop.wait(state.delay_s)
            if state.fault == "errors":
                error = "Uncaught Error: Payment pay_7Xk2 not found in database"
                status, answer = 500, {"error": "internal error"}
            else:
                status, answer = 200, {"received": True}
        seconds = time.monotonic() - t0
        self._record(headers, body, status, seconds, lines, error)
        self._send(status, json.dumps(answer).encode(), "application/json")

    def _record(
        self,
        headers: dict[str, str],
        body: bytes,
        status: int,
        seconds: float,
        lines: list[tuple[str, str]],
        error: str | None,
    ) -> None:
        state = self.server.state
        with state.lock:
            state.answered.append(status)
            if state.log_path:
                append_execution(
                    state.log_path,
                    Execution(
                        time.time(), WEBHOOK_FUNCTION, seconds=seconds, lines=lines, error=error
                    ),
                )
            if state.capture_path:
                entry = {
                    "received_at": datetime.fromtimestamp(state.clock(), UTC).isoformat(),
                    "method": "POST",
                    "url": f"http://{self.headers.get('host', '127.0.0.1')}{self.path}",
                    "headers": headers,
                    "body": body.decode("utf-8", "replace"),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                }
                with state.capture_path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry) + "\n")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _event_type(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return "unknown"
    return str(data.get("type", "unknown")) if isinstance(data, dict) else "unknown"


@dataclass
class RunningReceiver:
    """A started receiver: the webhook URL and its state."""

    url: str
    state: ReceiverState


@contextmanager
def serve(
    secret: str,
    fault: str = "healthy",
    log_path: Path | None = None,
    capture_path: Path | None = None,
) -> Iterator[RunningReceiver]:
    """Run the receiver on an ephemeral port of 127.0.0.1 for the duration of the block."""
    if fault not in FAULTS:
        raise KeyError(fault)
    state = ReceiverState(secret=secret, fault=fault, log_path=log_path, capture_path=capture_path)
    with serve_http(_Handler, state) as base:
        yield RunningReceiver(f"{base}{PATH}", state)


def event_body(kind: str = "payment.succeeded", n: int = 0) -> bytes:
    """Return a DodoPayments-shaped event body, serialised with spaces as the spec's vector is."""
    data = {
        "business_id": "bus_lab",
        "type": kind,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "data": {
            "payload_type": "Payment",
            "payment_id": f"pay_{n:06d}",
            "total_amount": 2900,
            "currency": "USD",
        },
    }
    return json.dumps(data).encode()


def deliver(
    url: str, secret: str, body: bytes, msg_id: str | None = None, timeout: float = 5.0
) -> int:
    """POST one signed delivery, as DodoPayments does; return the status code."""
    import httpx

    msg_id = msg_id or f"msg_{uuid.uuid4().hex[:24]}"
    ts = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": sign(secret, msg_id, ts, body),
    }
    return httpx.post(url, content=body, headers=headers, timeout=timeout).status_code
