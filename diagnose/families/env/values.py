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

PLACEHOLDER_RX = re.compile(
    r"(?i)^(?:changeme|change[-_ ]?me|xxx+|x{3,}.*|todo|tbd|fixme|replace[-_ ]?me|placeholder"
    r"|dummy|example|secret|password|null|undefined|none|\.\.\.|<[^>]*>|\$\{[^}]*\}"
    r"|your[-_].*|.*[-_]here|sk_(?:live|test)_x+|whsec_x+)$"
)
SECRET_PREFIXES = (
    ("whsec_", "whsec_ webhook secret"),
    ("sk_live_", "sk_live_ secret key"),
    ("sk_test_", "sk_test_ secret key"),
    ("rk_live_", "rk_live_ restricted key"),
    ("prod:", "Convex deploy key"),
    ("preview:", "Convex deploy key"),
    ("project:", "Convex deploy key"),
    ("ghp_", "GitHub token"),
    ("github_pat_", "GitHub token"),
    ("eyJ", "JWT"),
)
TOKEN_RX = re.compile(r"^[A-Za-z0-9_\-+/=.]{32,}$")


@dataclass(frozen=True)
class Shape:
    """What may be said about a value: its kind, its length, and what is wrong with it."""

    kind: str
    length: int
    empty: bool = False
    placeholder: bool = False
    malformed: str | None = None
    test_mode: bool = False
    secret_like: bool = False

    def hint(self) -> str:
        """The masked hint: kind and length, never a character of the value beyond a prefix."""
        return f"{self.kind}, {self.length} chars"


def _kind(value: str) -> tuple[str, bool]:
    for prefix, kind in SECRET_PREFIXES:
        if value.startswith(prefix):
            return kind, True
    if re.match(r"^https?://", value):
        host = urlsplit(value).hostname or ""
        if host.endswith(".convex.cloud"):
            return "https URL (.convex.cloud)", False
        if host.endswith(".convex.site"):
            return "https URL (.convex.site)", False
        return "URL", False
    if value.lower() in ("test_mode", "live_mode", "true", "false", "production", "development"):
        return "setting", False
    if TOKEN_RX.match(value) and re.search(r"\d", value) and re.search(r"[A-Za-z]", value):
        return "random-looking token", True
    return "text", False


def _malformed(name: str, value: str) -> str | None:
    upper = name.upper()
    if upper.endswith("_URL") or upper.endswith("_URI"):
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "not an absolute http(s) URL"
        host = parts.hostname
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
    host = urlsplit(value).hostname or "" if "://" in value else ""
    return host.startswith("test.") and "dodopayments" in host


def shape(name: str, value: str | None) -> Shape:
    """Describe a value by its shape only."""
    if value is None:
        return Shape("name only (value not listed)", 0)
    text = value.strip()
    if not text:
        return Shape("empty", 0, empty=True)
    kind, secret_like = _kind(text)
    placeholder = bool(PLACEHOLDER_RX.match(text))
    return Shape(
        kind,
        len(value),
        placeholder=placeholder,
        malformed=None if placeholder else _malformed(name, text),
        test_mode=_test_mode(name, text),
        secret_like=secret_like,
    )
