"""One redaction layer for everything written: known secret values first, then patterns."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

MASK = "[REDACTED]"
MIN_SECRET_LEN = 6  # shorter values would mask ordinary words

# (pattern, replacement): the replacement keeps the prefix so a reader still knows the kind.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"whsec_[A-Za-z0-9+/=_-]{4,}"), "whsec_" + MASK),
    (re.compile(r"\b(sk|pk|rk)_(live|test)_[A-Za-z0-9]{6,}"), r"\1_\2_" + MASK),
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{6,}"), r"\1" + MASK),
    # user:password@ in URLs
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@"), r"\1" + MASK + "@"),
    # Convex deploy keys: prod:name|token, preview:team:project|token, project:...|token
    (
        re.compile(r"\b(prod|preview|dev|project):[A-Za-z0-9_:-]+\|[A-Za-z0-9+/=_-]{8,}"),
        r"\1:" + MASK,
    ),
    # webhook-signature values: v1,<base64>
    (re.compile(r"\bv1,[A-Za-z0-9+/]{20,}={0,2}"), "v1," + MASK),
    (re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,})"), "gh_" + MASK),
    # Credentials in a URL's query string.
    (
        re.compile(
            r"(?i)([?&](?:token|access_token|auth|api_key|apikey|key|secret|sig|signature|password)=)"
            r"[^&\s#\"']+"
        ),
        r"\1" + MASK,
    ),
    # Slack incoming webhooks carry their secret in the path.
    (
        re.compile(r"(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_-]+"),
        r"\1" + MASK,
    ),
)


class Redactor:
    """Masks known secret values and secret-shaped strings in text and JSON-like data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so that a secret containing another is masked whole.
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LEN}
        self._values = sorted(values, key=len, reverse=True)
        self._value_rx = (
            re.compile("|".join(re.escape(v) for v in self._values)) if self._values else None
        )

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        """Return a redactor that also knows these values."""
        return Redactor([*self._values, *secrets])

    def text(self, text: str) -> str:
        """Return the text with every secret masked."""
        if self._value_rx is not None:
            text = self._value_rx.sub(MASK, text)
        for rx, repl in PATTERNS:
            text = rx.sub(repl, text)
        return text

    def data(self, value: Any) -> Any:
        """Return a copy of JSON-like data with every string (keys included) masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value

    def json(self, value: Any, **kwargs: Any) -> str:
        """Dump data as JSON after masking (masking the dump too catches escaped forms)."""
        return self.text(json.dumps(self.data(value), **kwargs))
