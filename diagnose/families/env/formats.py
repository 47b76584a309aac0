"""Known value formats: public by design, secret (gitleaks' maintained rules plus a few of ours),
or an unknown random-looking token. Only the format's name ever leaves this module."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import tomllib
import warnings
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

GITLEAKS = Path(__file__).with_name("gitleaks.toml")
# gitleaks' catch-all: keyword plus entropy, no format. Our own unknown-token check plays that
# part, and says so (a warning at most), so that one heuristic never speaks as a known format.
SKIPPED_RULES = frozenset({"generic-api-key"})
RANDOM_MIN_LENGTH = 32
RANDOM_MIN_ENTROPY = 3.5  # bits per character: gitleaks' generic-api-key threshold


class Visibility(StrEnum):
    """What a value's format says about where it may be."""

    PUBLIC = "public"  # meant to ship to browsers: publishable keys, project keys, public DSNs
    SECRET = "secret"  # a known secret format
    UNKNOWN = "unknown"  # random-looking, but no known format: it may be either
    PLAIN = "plain"  # words, numbers, settings, URLs: nothing secret about its shape


@dataclass(frozen=True)
class Format:
    """The format a value has, and who says so."""

    name: str  # "PostHog project API key", "Stripe Access Token"
    visibility: Visibility
    source: str  # "public by design (PostHog docs)", "gitleaks rule stripe-access-token"


@dataclass(frozen=True)
class _Public:
    name: str
    pattern: re.Pattern[str]
    why: str
    names: re.Pattern[str] | None = None  # only under a variable name like this


# Formats that are public by design: the vendor documents them as safe in a browser.
PUBLIC: tuple[_Public, ...] = (
    _Public(
        "publishable key (Stripe, Clerk)",
        re.compile(r"^pk_(?:live|test)_[A-Za-z0-9+/=_-]{10,}$"),
        "publishable keys are made for client code (docs.stripe.com/keys, clerk.com/docs)",
    ),
    _Public(
        "PostHog project API key",
        re.compile(r"^phc_[A-Za-z0-9]{32,64}$"),
        "PostHog's project API key is write-only and meant for the browser (posthog.com/docs)",
    ),
    _Public(
        "Sentry DSN",
        re.compile(r"^https://[0-9a-f]{32}@[A-Za-z0-9.-]+/\d+$"),
        "a Sentry DSN only lets clients send events (docs.sentry.io: DSNs are safe to keep public)",
    ),
    _Public(
        "Convex deployment URL",
        re.compile(r"^https://[a-z0-9-]+\.convex\.(?:cloud|site)/?$"),
        "the Convex client needs the deployment URL in the browser (docs.convex.dev)",
    ),
    _Public(
        "Google Analytics / Tag Manager ID",
        re.compile(r"^(?:G-[A-Z0-9]{6,12}|UA-\d{4,10}-\d{1,4}|GTM-[A-Z0-9]{4,10})$"),
        "measurement IDs are in every page that loads gtag.js",
    ),
    _Public(
        "Mapbox public token",
        re.compile(r"^pk\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"),
        "Mapbox public tokens (pk.) are for client code; secret ones start with sk.",
    ),
    _Public(
        "reCAPTCHA site key",
        re.compile(r"^6L[0-9A-Za-z_-]{38}$"),
        "the site key is in every page that shows the widget; the secret key is another",
        re.compile(r"(?i)captcha|site_?key"),
    ),
    _Public(
        "Google browser API key (Firebase, Maps)",
        re.compile(r"^AIza[0-9A-Za-z_-]{35}$"),
        "Firebase web config and Maps JavaScript keys ship to browsers, restricted by referrer "
        "(firebase.google.com/docs/projects/api-keys)",
        re.compile(r"(?i)firebase|maps|places"),
    ),
)

# Secret formats gitleaks has no rule for, from the vendors' own code and docs.
OURS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "Standard Webhooks secret (whsec_)",
        re.compile(r"^whsec_[A-Za-z0-9+/=]{8,}$"),
        "standard-webhooks spec: the signing secret",
    ),
    (
        "Convex deploy key",
        re.compile(r"^(?:prod|preview|dev|project):[A-Za-z0-9_-]+\|[A-Za-z0-9+/=_-]{16,}$"),
        "convex CLI: CONVEX_DEPLOY_KEY is '<kind>:<deployment>|<token>'",
    ),
)


def entropy(text: str) -> float:
    """Return the Shannon entropy of text in bits per character (as gitleaks computes it)."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def _go_to_python(pattern: str) -> str:
    """Rewrite what Go's RE2 accepts and Python's re does not: a flag group such as (?i) in the
    middle of a pattern (it applies to the end of its group), and \\z."""
    out: list[str] = []
    i = 0
    closers: list[int] = []  # depth at which a scoped (?i: opened by us must be closed
    depth = 0
    in_class = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            pair = pattern[i : i + 2]
            out.append("\\Z" if pair == "\\z" else pair)
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            if pattern[i + 1 : i + 2] == "]":
                out.append("]")
                i += 1
            i += 1
            continue
        m = re.match(r"\(\?([imsU-]+)\)", pattern[i:])
        if m and i > 0:
            out.append(f"(?{m.group(1).replace('U', '')}:")
            closers.append(depth)
            i += m.end()
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            while closers and closers[-1] == depth:
                out.append(")")
                closers.pop()
            depth -= 1
        out.append(ch)
        i += 1
    out.extend(")" for _ in closers)
    return "".join(out)


@dataclass(frozen=True)
class _Rule:
    id: str
    description: str
    pattern: str  # compiled when first needed: most rules never pass the keyword filter
    keywords: tuple[str, ...]
    entropy: float
    group: int
    allow: tuple[str, ...]
    stopwords: tuple[str, ...]


@cache
def _compile(pattern: str) -> re.Pattern[str] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "possible nested set": Go's [[ is a plain [
        for candidate in (pattern, _go_to_python(pattern)):
            try:
                return re.compile(candidate)
            except re.error:
                continue
    return None


@cache
def gitleaks_rules() -> tuple[_Rule, ...]:
    """Return gitleaks' rules, and the ids of those Python's re cannot compile (checked by a test,
    not at every run: compiling all of them costs most of a second)."""
    data = tomllib.loads(GITLEAKS.read_text(encoding="utf-8"))
    rules: list[_Rule] = []
    for raw in data.get("rules", []):
        if raw["id"] in SKIPPED_RULES or "regex" not in raw:
            continue
        allow: list[str] = []
        stop: list[str] = []
        for block in raw.get("allowlists", []):
            if block.get("regexTarget", "secret") != "secret" or block.get("paths"):
                continue
            allow.extend(str(r) for r in block.get("regexes", []))
            stop.extend(str(w).lower() for w in block.get("stopwords", []))
        rules.append(
            _Rule(
                raw["id"],
                str(raw.get("description", raw["id"])),
                str(raw["regex"]),
                tuple(str(k).lower() for k in raw.get("keywords", [])),
                float(raw.get("entropy", 0)),
                int(raw.get("secretGroup", 0)),
                tuple(allow),
                tuple(stop),
            )
        )
    return tuple(rules)


def not_compiling() -> list[str]:
    """Return the ids of the gitleaks rules (and allowlists) Python cannot compile."""
    return [
        r.id for r in gitleaks_rules() if any(_compile(p) is None for p in (r.pattern, *r.allow))
    ]


@cache
def _global_allow() -> tuple[re.Pattern[str], ...]:
    data = tomllib.loads(GITLEAKS.read_text(encoding="utf-8"))
    block = data.get("allowlist", {})
    return tuple(p for r in block.get("regexes", []) if (p := _compile(str(r))))


def _gitleaks(name: str, value: str) -> _Rule | None:
    """Return the first gitleaks rule that finds a secret in `NAME=value`, as in a .env file."""
    line = f"{name}={value}"
    low = line.lower()
    for rule in gitleaks_rules():
        if rule.keywords and not any(k in low for k in rule.keywords):
            continue
        regex = _compile(rule.pattern)
        m = regex.search(line) if regex is not None else None
        if m is None:
            continue
        groups = m.groups()
        secret = m.group(rule.group) if rule.group else next((g for g in groups if g), m.group(0))
        if rule.entropy and entropy(secret) < rule.entropy:
            continue
        allowed = [p for r in rule.allow if (p := _compile(r))]
        if any(p.search(secret) for p in (*allowed, *_global_allow())):
            continue
        if any(w in secret.lower() for w in rule.stopwords):
            continue
        return rule
    return None


def _jwt_role(value: str) -> str | None:
    """Return the `role` claim of a JWT (Supabase's anon and service_role keys), else None."""
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].startswith("eyJ"):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    role = claims.get("role") if isinstance(claims, dict) else None
    return str(role) if role is not None else None


def _looks_random(value: str) -> bool:
    return (
        len(value) >= RANDOM_MIN_LENGTH
        and re.fullmatch(r"[A-Za-z0-9_\-+/=.]+", value) is not None
        and re.search(r"\d", value) is not None
        and re.search(r"[A-Za-z]", value) is not None
        and entropy(value) >= RANDOM_MIN_ENTROPY
    )


def classify(name: str, value: str) -> Format:
    """Name the value's format: public by design first, then known secrets, then its shape."""
    text = value.strip()
    for fmt in PUBLIC:
        if fmt.pattern.match(text) and (fmt.names is None or fmt.names.search(name)):
            return Format(fmt.name, Visibility.PUBLIC, f"public by design: {fmt.why}")
    role = _jwt_role(text)
    if role == "anon":
        return Format(
            "Supabase anon key (JWT, role anon)",
            Visibility.PUBLIC,
            "public by design: the anon key is for browsers, guarded by row level security",
        )
    for label, pattern, why in OURS:
        if pattern.match(text):
            return Format(label, Visibility.SECRET, why)
    if role is not None:
        return Format(f"JWT (role {role})", Visibility.SECRET, "a signed token with a role claim")
    rule = _gitleaks(name, text)
    if rule is not None:
        return Format(rule.id, Visibility.SECRET, f"gitleaks rule {rule.id}")
    if _looks_random(text):
        return Format(
            f"random-looking token ({len(text)} chars, {entropy(text):.1f} bits/char)",
            Visibility.UNKNOWN,
            "no known format; long, mixed letters and digits, high entropy",
        )
    return Format("plain value", Visibility.PLAIN, "")


def describe_rules() -> dict[str, Any]:
    """Return how many gitleaks rules are in use and which would not compile (for docs/tests)."""
    return {"used": len(gitleaks_rules()), "public_formats": len(PUBLIC), "ours": len(OURS)}
