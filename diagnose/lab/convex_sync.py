"""The Convex sync WebSocket (`/api/<version>/sync`), as far as `convex env list` speaks it.

What the CLI does (npm `convex` 1.48.0, src/cli/lib/run.ts `runSystemQuery` -> `subscribe`): a
`BaseConvexClient` opens `ws://<deployment>/api/1.48.0/sync` (src/browser/sync/client.ts), sends
`Connect`, `Authenticate {tokenType: "Admin", value: <admin key>, baseVersion: 0}` and
`ModifyQuerySet {baseVersion: 0, newVersion: 1, modifications: [Add {queryId: 0, udfPath:
"_system/cli/queryEnvironmentVariables:default", args: [{}]}]}`, and takes the first
`QueryUpdated` value as the answer. Message shapes: src/browser/sync/protocol.ts; a
`Transition`'s `startVersion` must equal the client's current version (remote_query_set.ts), and
`ts` is a u64 as base64 of its 8 little-endian bytes.

What the backend answers (convex-backend, crates/sync/src/worker.rs and
crates/local_backend/src/subs/mod.rs): a Transition per update; a refused key fails the worker
with `auth_update_failed`, sent as `AuthError {error: <msg>, baseVersion, authUpdateAttempted:
true}` and then a Close with no frame (`close_frame()` is None for that code). The system query
returns the `_environment_variables` documents in name order (npm-packages/system-udfs/convex/
_system/cli/queryEnvironmentVariables.ts): `{_id, _creationTime, name, value}`.

The framing is RFC 6455, by hand: text frames, masked from the client, ping/pong and close; no
extension is accepted (the `ws` client's permessage-deflate offer is declined by not echoing it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
MAX_FRAME = 1 << 20
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA
ENV_QUERY = "_system/cli/queryEnvironmentVariables:default"
ENV_GET = "_system/cli/queryEnvironmentVariables:get"


def is_upgrade(handler: BaseHTTPRequestHandler) -> bool:
    """Whether the request asks for a WebSocket."""
    return handler.headers.get("upgrade", "").lower() == "websocket"


def accept(handler: BaseHTTPRequestHandler) -> None:
    """Answer the opening handshake (101 Switching Protocols)."""
    key = handler.headers.get("sec-websocket-key", "")
    digest = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()  # noqa: S324 - RFC 6455
    handler.send_response(101, "Switching Protocols")
    handler.send_header("upgrade", "websocket")
    handler.send_header("connection", "Upgrade")
    handler.send_header("sec-websocket-accept", digest)
    handler.end_headers()
    handler.wfile.flush()


def read_frame(handler: BaseHTTPRequestHandler) -> tuple[int, bytes] | None:
    """One frame (opcode, unmasked payload); None when the peer went away."""
    head = handler.rfile.read(2)
    if len(head) < 2:
        return None
    opcode, masked, size = head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
    if size == 126:
        size = struct.unpack("!H", handler.rfile.read(2))[0]
    elif size == 127:
        size = struct.unpack("!Q", handler.rfile.read(8))[0]
    if size > MAX_FRAME:
        return None
    mask = handler.rfile.read(4) if masked else b"\0\0\0\0"
    data = handler.rfile.read(size)
    if len(data) < size:
        return None
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def send_frame(handler: BaseHTTPRequestHandler, opcode: int, payload: bytes = b"") -> None:
    """One unmasked frame from the server, FIN set."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    handler.wfile.write(head + payload)
    handler.wfile.flush()


def encode_ts(ts: int) -> str:
    """A u64 timestamp as the protocol carries it: base64 of its 8 little-endian bytes."""
    return base64.b64encode(struct.pack("<Q", ts)).decode()


def env_documents(env_vars: dict[str, str], created_ms: float) -> list[dict[str, Any]]:
    """The `_environment_variables` documents, by name, as the system query returns them."""
    return [
        {"_id": f"env{n:04d}", "_creationTime": created_ms, "name": name, "value": value}
        for n, (name, value) in enumerate(sorted(env_vars.items()))
    ]


class SyncSession:
    """One sync socket's state: the versions it has sent, the identity, the queries asked."""

    def __init__(
        self,
        handler: BaseHTTPRequestHandler,
        admin_key: str,
        answer: Callable[[str, list[Any]], Any],
        seen: list[str],
        forbidden: bool = False,
    ) -> None:
        self.handler = handler
        self.admin_key = admin_key
        self.answer = answer  # udfPath, args -> value
        self.seen = seen  # the message types and udfPaths, for the tests
        self.forbidden = forbidden  # a deploy key whose role lacks the env permission
        self.version = {"querySet": 0, "ts": 0, "identity": 0}
        self.admin = False

    def run(self) -> None:
        """Read messages until the client closes; answer each the way the sync worker does."""
        while (frame := read_frame(self.handler)) is not None:
            opcode, payload = frame
            if opcode == OP_CLOSE:
                send_frame(self.handler, OP_CLOSE, payload[:2])
                return
            if opcode == OP_PING:
                send_frame(self.handler, OP_PONG, payload)
                continue
            if opcode != OP_TEXT:
                continue
            message = json.loads(payload)
            self.seen.append(str(message.get("type")))
            if not self.handle(message):
                return

    def handle(self, message: dict[str, Any]) -> bool:
        """One client message; False when the socket is to be closed."""
        kind = message.get("type")
        if kind == "Authenticate":
            if message.get("tokenType") == "Admin" and message.get("value") != self.admin_key:
                self._send(
                    {
                        "type": "AuthError",
                        "error": "The provided admin key was invalid for this instance",
                        "baseVersion": self.version["identity"],
                        "authUpdateAttempted": True,
                    }
                )
                send_frame(self.handler, OP_CLOSE)  # Close(None): no code for an auth failure
                return False
            self.admin = message.get("tokenType") == "Admin"
            self._transition({"identity": int(message.get("baseVersion", 0)) + 1}, [])
        elif kind == "ModifyQuerySet":
            updates = []
            for change in message.get("modifications", []):
                if change.get("type") != "Add":
                    updates.append({"type": "QueryRemoved", "queryId": change.get("queryId")})
                    continue
                path = str(change.get("udfPath"))
                self.seen.append(path)
                if path.startswith("_system/") and not self.admin:
                    continue  # the admin's only: no answer without the key (the CLI waits)
                updates.append(self._result(int(change["queryId"]), path, change.get("args", [])))
            self._transition({"querySet": int(message["newVersion"])}, updates)
        return True

    def _result(self, query_id: int, path: str, args: list[Any]) -> dict[str, Any]:
        if self.forbidden:
            # A `require_operation` failure: the CLI recognises this prefix
            # (src/cli/lib/utils/utils.ts PERMISSION_DENIED_MESSAGE_PREFIX) and exits 1 with it.
            return {
                "type": "QueryFailed",
                "queryId": query_id,
                "errorMessage": "You do not have permission to perform this operation",
                "logLines": [],
                "errorData": None,
                "journal": None,
            }
        return {
            "type": "QueryUpdated",
            "queryId": query_id,
            "value": self.answer(path, args),
            "logLines": [],
            "journal": None,
        }

    def _transition(self, change: dict[str, int], modifications: list[dict[str, Any]]) -> None:
        start = dict(self.version)
        self.version = {**self.version, **change, "ts": time.time_ns()}
        self._send(
            {
                "type": "Transition",
                "startVersion": {**start, "ts": encode_ts(start["ts"])},
                "endVersion": {**self.version, "ts": encode_ts(self.version["ts"])},
                "modifications": modifications,
            }
        )

    def _send(self, message: dict[str, Any]) -> None:
        send_frame(self.handler, OP_TEXT, json.dumps(message).encode())
