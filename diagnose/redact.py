"""One redaction layer for everything written: known secret values first, then patterns."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape as xml_escape

T = TypeVar("T")

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
    # a token alone as the user part (http://TOKEN:@host/, http://TOKEN@host/)
    (
        re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[A-Za-z0-9._~+%-]{16,}:?@"),
        r"\1" + MASK + "@",
    ),
    # Convex deploy keys: prod:name|token, preview:team:project|token, project:...|token
    (
        re.compile(r"\b(prod|preview|dev|project):[A-Za-z0-9_:-]+\|[A-Za-z0-9+/=_-]{8,}"),
        r"\1:" + MASK,
    ),
    # Self-hosted Convex admin keys: <instance name>|<hex> (the name is not the secret).
    (re.compile(r"\b([A-Za-z0-9_-]+)\|[0-9a-f]{32,}\b"), r"\1|" + MASK),
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


# The public start of a typed secret: its kind, not its value (whsec_, sk_live_, ghp_, xoxb-).
_KIND_PREFIX_RX = re.compile(r"[A-Za-z]{2,8}[_-](?:(?:live|test)_)?")
# The text at a cut: before an ellipsis or the end of a string, or after a leading ellipsis.
_CUT_END_RX = re.compile(r"[^\s…]{" + str(MIN_SECRET_LEN) + r",}?(?=…|\.\.\.|$)")
_CUT_START_RX = re.compile(r"(?<=…)[^\s…]{" + str(MIN_SECRET_LEN) + ",}")
_MD = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>"})


def escaped_forms(value: str) -> set[str]:
    """The value as each output format may spell it: Markdown, XML/HTML, JSON, URL-encoded.

    Rendering escapes text after masking should have happened; masking these forms too, on the
    final bytes, is what makes a missed step a non-event rather than a leak.
    """
    inline = value.replace("_", "\\_").replace("*", "\\*").replace("`", "\\`")
    markdown = {value, value.translate(_MD), inline, value.replace("|", "\\|")}
    markdown |= {t.replace("|", "\\|") for t in markdown}
    forms = set(markdown)
    for text in markdown:
        forms |= {
            text.replace("<", "&lt;").replace(">", "&gt;"),
            xml_escape(text, {'"': "&quot;", "'": "&apos;"}),
            xml_escape(text, {'"': "&quot;", "'": "&#x27;"}),
            xml_escape(text, {'"': "&#34;", "'": "&#39;"}),
        }
    forms |= {
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        quote(value, safe=""),
        quote_plus(value, safe=""),
    }
    return {f for f in forms if f}


class Redactor:
    """Masks known secret values and secret-shaped strings in text and JSON-like data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so that a secret containing another is masked whole.
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LEN}
        self._values = sorted(values, key=len, reverse=True)
        forms = {f for v in self._values for f in escaped_forms(v)}
        self._value_rx = (
            re.compile("|".join(re.escape(v) for v in sorted(forms, key=len, reverse=True)))
            if forms
            else None
        )

    # A value cut to a bounded length ("token=sk_abc…") no longer matches whole: the piece left
    # at the cut is masked when it is the start of a known value (or its end, cut on the left).
    def _cut_end(self, match: re.Match[str]) -> str:
        piece = match.group(0)
        for v in self._values:
            # The kind prefix alone ("whsec_" in a fix's "'whsec_...'") holds none of the secret.
            kind = m.end() if (m := _KIND_PREFIX_RX.match(v)) else 0
            for k in range(min(len(v) - 1, len(piece)), max(MIN_SECRET_LEN, kind + 1) - 1, -1):
                if piece.endswith(v[:k]):
                    return piece[: len(piece) - k] + MASK
        return piece

    def _cut_start(self, match: re.Match[str]) -> str:
        piece = match.group(0)
        for v in self._values:
            for k in range(min(len(v) - 1, len(piece)), MIN_SECRET_LEN - 1, -1):
                if piece.startswith(v[-k:]):
                    return MASK + piece[k:]
        return piece

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        """Return a redactor that also knows these values."""
        return Redactor([*self._values, *secrets])

    def text(self, text: str) -> str:
        """Return the text with every secret masked."""
        if self._value_rx is not None:
            text = self._value_rx.sub(MASK, text)
            if "…" in text or "..." in text or len(text) >= MIN_SECRET_LEN:
                text = _CUT_END_RX.sub(self._cut_end, text)
                text = _CUT_START_RX.sub(self._cut_start, text)
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
        """Dump data as strict JSON after masking (masking the dump too catches escaped forms).

        NaN and Infinity are no JSON: a non-finite number leaves as null, never bare `Infinity`.
        """
        from diagnose.strictjson import finite

        return self.text(json.dumps(finite(self.data(value)), allow_nan=False, **kwargs))

    def model(self, value: T) -> T:
        """Return a copy of a model object (frozen dataclasses, tuples, mappings) with every
        string masked: done before rendering, so no escaping or cut can hide a secret."""
        return self._model(value)

    def _model(self, value: Any) -> Any:
        if isinstance(value, Enum):
            return value
        if isinstance(value, str):
            return self.text(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {
                f.name: self._model(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.init
            }
            return dataclasses.replace(value, **changes)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self._model(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return tuple(self._model(v) for v in value)
        if isinstance(value, list):
            return [self._model(v) for v in value]
        return value
