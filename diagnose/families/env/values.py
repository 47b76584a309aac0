"""Judge a value's shape without ever letting it out: a masked hint, and what is wrong with it.

Values never reach facts, so the value tests live here rather than in the rules; the rules decide
what the resulting lists mean. Only the hint (kind of prefix, length) is ever shown.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from diagnose.families.env.formats import Format, Visibility, classify

PLAIN_VALUE = Format("plain value", Visibility.PLAIN, "")

PLACEHOLDER_RX = re.compile(
    r"(?i)^(?:changeme|change[-_ ]?me|xxx+|x{3,}.*|todo|tbd|fixme|replace[-_ ]?me|placeholder"
    r"|dummy|example|secret|password|null|undefined|none|\.\.\.|<[^>]*>|\$\{[^}]*\}"
    r"|your[-_].*|.*[-_]here|sk_(?:live|test)_x+|whsec_x+)$"
)


@dataclass(frozen=True)
class Shape:
    """What may be said about a value: its kind, its length, and what is wrong with it."""

    kind: str
    length: int
    empty: bool = False
    placeholder: bool = False
    malformed: str | None = None
    test_mode: bool = False
    fmt: Format = PLAIN_VALUE

    def hint(self) -> str:
        """The masked hint: kind and length, never a character of the value beyond a prefix."""
        return f"{self.kind}, {self.length} chars"


def _host(value: str) -> str | None:
    """Return a URL's host; None when it is not a URL Python can split (https://[)."""
    try:
        return urlsplit(value).hostname
    except ValueError:
        return None


def _kind(value: str, fmt: Format) -> str:
    if fmt.visibility is not Visibility.PLAIN:
        return fmt.name
    if re.match(r"^https?://", value):
        host = _host(value) or ""
        if host.endswith(".convex.cloud"):
            return "https URL (.convex.cloud)"
        if host.endswith(".convex.site"):
            return "https URL (.convex.site)"
        return "URL"
    if value.lower() in ("test_mode", "live_mode", "true", "false", "production", "development"):
        return "setting"
    return "text"


def _malformed(name: str, value: str) -> str | None:
    upper = name.upper()
    if upper.endswith("_URL") or upper.endswith("_URI"):
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError as exc:
            return f"not a URL ({exc})"
        if not parts.scheme and value.startswith("/"):
            return None  # a path on the site itself (VITE_API_URL=/api behind a proxy)
        if not parts.scheme or not (host or parts.scheme in ("file", "sqlite")):
            return "not an absolute URL (no scheme and host) nor a path starting with /"
        if "CONVEX" in upper and parts.scheme not in ("http", "https"):
            return "not an http(s) URL, which the Convex client needs"
        host = host or ""
        if "CONVEX" in upper and "SITE" not in upper and host.endswith(".convex.site"):
            return "a .convex.site URL (HTTP actions) where the Convex client needs .convex.cloud"
        if "SITE" in upper and host.endswith(".convex.cloud"):
            return "a .convex.cloud URL where HTTP actions (.convex.site) are needed"
    if "WEBHOOK" in upper and ("KEY" in upper or "SECRET" in upper):
        if not value.startswith("whsec_"):
            return "a webhook secret that does not start with whsec_"
        body = value[len("whsec_") :]
        try:
            base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            return "not base64 after whsec_"
        if not body:
            return "nothing after whsec_"
    return None


def _test_mode(name: str, value: str) -> bool:
    low = value.lower()
    if low == "test_mode" or re.match(r"^(?:sk|pk|rk)_test_", value):
        return True
    host = (_host(value) or "") if "://" in value else ""
    return host.startswith("test.") and "dodopayments" in host


def shape(name: str, value: str | None) -> Shape:
    """Describe a value by its shape only."""
    if value is None:
        return Shape("name only (value not listed)", 0)
    text = value.strip()
    if not text:
        return Shape("empty", 0, empty=True)
    placeholder = bool(PLACEHOLDER_RX.match(text))
    fmt = PLAIN_VALUE if placeholder else classify(name, text)
    return Shape(
        _kind(text, fmt),
        len(value),
        placeholder=placeholder,
        malformed=None if placeholder else _malformed(name, text),
        test_mode=not placeholder and _test_mode(name, text),
        fmt=fmt,
    )
