"""Read captured webhook deliveries: HAR 1.2 files and JSON lines of received requests."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from diagnose.errors import BadInput
from diagnose.readers.text import decode
from diagnose.safefiles import read_input
from diagnose.strictjson import loads as strict_loads
from diagnose.timeparse import parse_instant

MAX_CAPTURE_BYTES = 64 << 20  # a HAR of a few hundred deliveries is a few MB


@dataclass(frozen=True)
class Delivery:
    """One captured request as received: headers and body bytes, and the answer if captured."""

    source: str  # file:line or file#entry
    method: str
    url: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
    received_at: float | None = None  # Unix seconds, by the capturing machine's clock
    status: int | None = None
    duration_ms: float | None = None

    @property
    def webhook_id(self) -> str | None:
        """Return the `webhook-id` header (stable across retries)."""
        return self.headers.get("webhook-id")

    def event_type(self) -> str | None:
        """Return the body's `type` (e.g. payment.succeeded), if it is JSON with one."""
        try:
            data = strict_loads(self.body)
        except ValueError:
            return None
        kind = data.get("type") if isinstance(data, dict) else None
        return kind if isinstance(kind, str) else None


@dataclass
class CaptureFile:
    """The deliveries of one file and the entries that could not be read."""

    name: str
    fmt: str
    deliveries: list[Delivery] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)  # "file:line: why"


class CaptureError(ValueError):
    """An entry that is not a captured request."""


def _headers(raw: Any) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return {str(k).lower(): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        out: dict[str, str] = {}
        for item in raw:
            if isinstance(item, Mapping) and "name" in item:
                out[str(item["name"]).lower()] = str(item.get("value", ""))
            elif isinstance(item, list | tuple) and len(item) == 2:
                out[str(item[0]).lower()] = str(item[1])
            else:
                raise CaptureError("headers: expected {name, value} objects or [name, value] pairs")
        return out
    raise CaptureError("headers: expected an object or a list")


def _when(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1000 if value > 1e11 else float(value)
    try:
        return parse_instant(str(value)).timestamp()
    except Exception as exc:  # noqa: BLE001 - BadInput or ValueError: the entry is bad
        raise CaptureError(f"bad time {value!r}") from exc


def _body(text: Any, encoding: Any) -> bytes:
    if text is None:
        return b""
    if not isinstance(text, str):
        raise CaptureError("body: expected a string")
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise CaptureError("body: encoding is base64 but the text is not") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a JSON-escaped lone surrogate ("\ud800"): no bytes were sent so
        raise CaptureError("body: holds a lone surrogate (\\ud800-\\udfff), not text") from None


def har_entry(entry: Any, source: str) -> Delivery:
    """Build a Delivery from one HAR 1.2 `log.entries[]` item."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("request"), Mapping):
        raise CaptureError("not a HAR entry (no request)")
    req = entry["request"]
    post = req.get("postData") or {}
    resp = entry.get("response") if isinstance(entry.get("response"), Mapping) else {}
    status = resp.get("status") if resp else None
    elapsed = entry.get("time")
    return Delivery(
        source=source,
        method=str(req.get("method", "POST")),
        url=str(req.get("url", "")),
        headers=_headers(req.get("headers", [])),
        body=_body(post.get("text"), post.get("encoding") or post.get("_encoding")),
        received_at=_when(entry.get("startedDateTime")),
        # HAR writes 0 (or -1) when there was no response.
        status=status if isinstance(status, int) and status > 0 else None,
        duration_ms=float(elapsed) if isinstance(elapsed, int | float) and elapsed >= 0 else None,
    )


def jsonl_entry(obj: Any, source: str) -> Delivery:
    """Build a Delivery from one `{"received_at", "method", "url", "headers", "body"}` line."""
    if not isinstance(obj, Mapping):
        raise CaptureError("not a JSON object")
    if "headers" not in obj or ("body" not in obj and "body_base64" not in obj):
        raise CaptureError("needs 'headers' and 'body'")
    if "body_base64" in obj:
        body = _body(obj["body_base64"], "base64")
    else:
        body = _body(obj["body"], obj.get("body_encoding"))
    status = obj.get("status")
    elapsed = obj.get("duration_ms")
    return Delivery(
        source=source,
        method=str(obj.get("method", "POST")),
        url=str(obj.get("url", "")),
        headers=_headers(obj["headers"]),
        body=body,
        received_at=_when(obj.get("received_at")),
        status=status if isinstance(status, int) else None,
        duration_ms=float(elapsed) if isinstance(elapsed, int | float) else None,
    )


def _is_har(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("{") and '"log"' in text[:4096]


def read_capture(name: str) -> CaptureFile:
    """Read one capture file (HAR 1.2, detected by its `log` key, or JSON lines)."""
    try:
        data = read_input(name, "--capture", MAX_CAPTURE_BYTES)
    except BadInput as exc:  # larger than the cap, or not a regular file: said, not read
        return CaptureFile(name, "jsonl", bad=[str(exc)])
    text = decode(data)  # UTF-8 or UTF-16, BOM or not, CRLF
    if _is_har(text):
        try:
            doc = strict_loads(text)
        except json.JSONDecodeError as exc:
            if exc.lineno > 1 or "\n" in text.strip():
                return CaptureFile(
                    name, "har", bad=[f"{name}:{exc.lineno}: not valid JSON: {exc.msg}"]
                )
            doc = None
        except RecursionError:  # hostile nesting: a bad file, not a crash
            return CaptureFile(name, "har", bad=[f"{name}: JSON nested too deeply to read"])
        if isinstance(doc, Mapping) and isinstance(doc.get("log"), Mapping):
            return _read_har(name, doc)
    return _read_jsonl(name, text)


def _read_har(name: str, doc: Mapping[str, Any]) -> CaptureFile:
    out = CaptureFile(name, "har")
    entries = doc["log"].get("entries")
    if not isinstance(entries, list):
        out.bad.append(f"{name}: log.entries is not a list")
        return out
    for index, entry in enumerate(entries, 1):
        where = f"{name}#entry{index}"
        try:
            out.deliveries.append(har_entry(entry, where))
        except CaptureError as exc:
            out.bad.append(f"{where}: {exc}")
    return out


def _read_jsonl(name: str, text: str) -> CaptureFile:
    out = CaptureFile(name, "jsonl")
    for number, line in _numbered(text):
        where = f"{name}:{number}"
        try:
            out.deliveries.append(jsonl_entry(strict_loads(line), where))
        except json.JSONDecodeError as exc:
            out.bad.append(f"{where}: not valid JSON: {exc.msg}")
        except RecursionError:
            out.bad.append(f"{where}: JSON nested too deeply to read")
        except CaptureError as exc:
            out.bad.append(f"{where}: {exc}")
    return out


def _numbered(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if line.strip():
            yield number, line
