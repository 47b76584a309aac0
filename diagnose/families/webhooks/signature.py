"""Standard Webhooks (HMAC-SHA256, `v1`): sign, verify, and find out why a delivery fails."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "whsec_"
TOLERANCE_S = 300  # every reference library: 5 minutes both ways
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
SHORT_KEY_BYTES = 16  # issued secrets are 24 bytes or more (the spec asks for at least 24)


class Reason(StrEnum):
    """Why a delivery failed verification (or `ok`)."""

    OK = "ok"
    NO_SECRET = "no-secret"
    MISSING_HEADERS = "missing-headers"
    MALFORMED_HEADERS = "malformed-headers"
    TIMESTAMP_SKEW = "timestamp-skew"
    PREVIOUS_SECRET = "previous-secret"
    OTHER_SECRET = "other-secret"
    BODY_MODIFIED = "body-modified"
    NO_V1_SIGNATURE = "no-v1-signature"
    SECRET_FORMAT = "secret-format"
    SECRET_MISMATCH = "secret-mismatch"


class SecretError(ValueError):
    """A secret that cannot be decoded into an HMAC key."""


def decode_secret(secret: str) -> bytes:
    """Return the HMAC key of a `whsec_<base64>` secret (the prefix is optional)."""
    text = secret.strip()
    if text.startswith(PREFIX):
        text = text[len(PREFIX) :]
    try:
        # The reference library appends padding the same way, so unpadded secrets work too.
        key = base64.b64decode(text + "==", validate=False)
    except (binascii.Error, ValueError) as exc:
        raise SecretError(f"not base64: {exc}") from None
    if not key:
        raise SecretError("empty")
    return key


def secret_problem(secret: str) -> str | None:
    """Return what is wrong with a secret's format, or None when it looks right."""
    if secret != secret.strip():
        return "it has leading or trailing whitespace (a pasted newline?)"
    if secret[:1] in "\"'" and secret[-1:] == secret[:1]:
        return "it is wrapped in quotes"
    body = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    if body.startswith(PREFIX):
        return "the whsec_ prefix is there twice"
    try:
        base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return "the part after whsec_ is not valid base64"
    key = decode_secret(secret)
    if len(key) < SHORT_KEY_BYTES:
        # The reference libraries take any non-empty key (a 23-byte one is fine), but a key this
        # short is no secret DodoPayments issued: most likely a paste cut short.
        return f"it decodes to only {len(key)} bytes: the secret was probably cut short when pasted"
    return None


def signed_content(msg_id: str, timestamp: str | int, body: bytes) -> bytes:
    """Return `{id}.{timestamp}.{body}`: exactly what is signed."""
    return f"{msg_id}.{timestamp}.".encode() + body


def sign_with_key(key: bytes, msg_id: str, timestamp: str | int, body: bytes) -> str:
    """Return the `v1,<base64>` signature for one key."""
    mac = hmac.new(key, signed_content(msg_id, timestamp, body), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def sign(secret: str, msg_id: str, timestamp: str | int, body: bytes) -> str:
    """Return the `v1,<base64>` signature of a delivery with a `whsec_` secret."""
    return sign_with_key(decode_secret(secret), msg_id, timestamp, body)


def parse_signatures(header: str) -> list[tuple[str, str]]:
    """Split a `webhook-signature` header into (version, signature) as the reference JS does.

    The reference `standardwebhooks` library (JavaScript, which the DodoPayments adapter uses)
    splits on single spaces and takes the text between an entry's first and second comma:
    `v1,<sig>,junk` and two header lines joined as `v1,<a>, v1,<b>` verify. An entry without a
    comma has no signature and is skipped, like an entry of another version.
    """
    out: list[tuple[str, str]] = []
    for entry in header.split(" "):
        parts = entry.split(",")
        if len(parts) >= 2 and parts[1]:
            out.append((parts[0], parts[1]))
    return out


_JS_INT = re.compile(r"\s*([+-]?\d+)")


def parse_timestamp(text: str) -> int | None:
    """Read webhook-timestamp as the reference JS does (parseInt: leading digits count)."""
    found = _JS_INT.match(text)
    return int(found.group(1)) if found else None


def _matches(key: bytes, msg_id: str, timestamp: str, body: bytes, sigs: Sequence[str]) -> bool:
    expected = sign_with_key(key, msg_id, timestamp, body).partition(",")[2].encode()
    # Compare every entry in constant time; a rotation sends two v1 entries.
    return any(hmac.compare_digest(expected, s.encode()) for s in sigs)


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one delivery, with the reason when it failed."""

    reason: Reason
    detail: str = ""
    skew_s: float | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the delivery verified."""
        return self.reason is Reason.OK


def headers_lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Return the headers with lower-case names (HTTP names are case-insensitive)."""
    return {k.lower(): v for k, v in headers.items()}


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: float, tolerance_s: int = TOLERANCE_S
) -> Verdict:
    """Verify like the reference libraries: headers, tolerance, then any `v1` entry."""
    return diagnose(secret, headers, body, now, tolerance_s=tolerance_s, explain=False)


def _body_variants(body: bytes) -> Iterator[tuple[str, bytes]]:
    """Yield plausible originals of a body that a parser or proxy rewrote."""
    text = body.decode("utf-8", "replace")
    seen = {body}
    candidates: list[tuple[str, bytes]] = [
        ("trailing newline removed", body.rstrip(b"\r\n")),
        ("trailing newline added", body + b"\n"),
        ("CRLF line ends restored", body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")),
        ("LF line ends restored", body.replace(b"\r\n", b"\n")),
    ]
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if data is not None:
        for label, kwargs in (
            ("JSON re-serialised with spaces", {"separators": (", ", ": ")}),
            ("JSON re-serialised compactly", {"separators": (",", ":")}),
            ("JSON re-serialised with indent 2", {"indent": 2}),
            ("JSON re-serialised with sorted keys", {"separators": (",", ":"), "sort_keys": True}),
            ("JSON re-serialised with spaces, sorted", {"sort_keys": True}),
        ):
            for ascii_ in (False, True):
                dumped = json.dumps(data, ensure_ascii=ascii_, **kwargs)
                candidates.append((label, dumped.encode("utf-8")))
    for label, variant in candidates:
        if variant not in seen:
            seen.add(variant)
            yield label, variant


def _key_variants(secret: str) -> Iterator[tuple[str, bytes]]:
    """Yield keys a receiver gets by mishandling the secret (prefix kept, not base64-decoded)."""
    stripped = secret.strip()
    bare = stripped[len(PREFIX) :] if stripped.startswith(PREFIX) else stripped
    yield "the whsec_ prefix was kept and the secret was not base64-decoded", stripped.encode()
    yield "the secret was used as text instead of base64-decoding it", bare.encode()
    try:
        yield (
            "the whsec_ prefix was base64-decoded with the key",
            base64.b64decode(stripped + "=" * (-len(stripped) % 4)),
        )
    except (binascii.Error, ValueError):
        pass


def diagnose(
    secret: str | None,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    *,
    previous: str | None = None,
    other: str | None = None,
    tolerance_s: int = TOLERANCE_S,
    explain: bool = True,
    clock_known: bool = True,
) -> Verdict:
    """Verify one delivery; when it fails and `explain` is set, find out why.

    `now` is when the delivery was received; `clock_known` is False when that is not known (a
    capture without times is judged at the run's clock, so its age says nothing of a skew).
    """
    h = headers_lower(headers)
    missing = [name for name in HEADERS if not h.get(name)]
    if missing:
        present = sorted(k for k in h if k.startswith(("svix-", "webhook-")))
        extra = f"; present: {', '.join(present)}" if present else ""
        return Verdict(Reason.MISSING_HEADERS, f"missing {', '.join(missing)}{extra}")
    msg_id, ts_header = h["webhook-id"], h["webhook-timestamp"]
    ts = parse_timestamp(ts_header)
    if ts is None:
        return Verdict(
            Reason.MALFORMED_HEADERS, f"webhook-timestamp {ts_header[:40]!r} is not a number"
        )
    # What is signed is the timestamp as a number, as the reference library prints it.
    ts_text = str(ts)
    parsed = parse_signatures(h["webhook-signature"])
    sigs = [s for v, s in parsed if v == "v1"]
    if not sigs:
        versions = sorted({v for v, _ in parsed})
        if versions:
            return Verdict(
                Reason.NO_V1_SIGNATURE,
                f"only {', '.join(versions)} signatures: none this receiver can check "
                "(Standard Webhooks receivers verify v1, HMAC-SHA256)",
            )
        return Verdict(
            Reason.MALFORMED_HEADERS, "webhook-signature has no '<version>,<base64>' entry"
        )
    if not secret:
        return Verdict(Reason.NO_SECRET, "no secret to verify with")
    try:
        key = decode_secret(secret)
    except SecretError as exc:
        return Verdict(Reason.SECRET_FORMAT, f"the secret cannot be decoded: {exc}")
    skew = now - ts
    # The reference library signs the body as a string: bytes that are not UTF-8 become U+FFFD.
    body = body.decode("utf-8", "replace").encode("utf-8")
    signature_ok = _matches(key, msg_id, ts_text, body, sigs)
    if signature_ok and abs(skew) <= tolerance_s:
        return Verdict(Reason.OK, skew_s=skew)
    way = "old" if skew > 0 else "new"
    if signature_ok:
        return Verdict(
            Reason.TIMESTAMP_SKEW,
            f"signature valid, but the timestamp is {abs(skew):.0f} s too {way} "
            f"(tolerance {tolerance_s} s)",
            skew_s=skew,
        )
    if clock_known and abs(skew) > tolerance_s:
        # Every reference library checks the timestamp before the signature: the receiver
        # rejected this one as "Message timestamp too old/new", whatever the secret.
        return Verdict(
            Reason.TIMESTAMP_SKEW,
            f"the timestamp is {abs(skew):.0f} s too {way} (tolerance {tolerance_s} s), which "
            "is rejected before the signature is checked; the signature does not match either",
            skew_s=skew,
        )
    if not explain:
        return Verdict(Reason.SECRET_MISMATCH, "No matching signature found", skew_s=skew)
    for label, alt, reason in (
        ("the previous secret", previous, Reason.PREVIOUS_SECRET),
        ("the other environment's secret", other, Reason.OTHER_SECRET),
    ):
        if alt:
            try:
                if _matches(decode_secret(alt), msg_id, ts_text, body, sigs):
                    return Verdict(reason, f"verifies with {label}", skew_s=skew)
            except SecretError:
                pass
    for label, variant in _body_variants(body):
        if _matches(key, msg_id, ts_text, variant, sigs):
            return Verdict(
                Reason.BODY_MODIFIED, f"verifies with the original body ({label})", skew_s=skew
            )
    for label, alt_key in _key_variants(secret):
        if _matches(alt_key, msg_id, ts_text, body, sigs):
            return Verdict(Reason.SECRET_FORMAT, f"verifies when {label}", skew_s=skew)
    return Verdict(Reason.SECRET_MISMATCH, "No matching signature found", skew_s=skew)
