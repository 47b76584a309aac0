"""Checking what a user hands over: names, addresses, URLs, files (one clear line when wrong)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from diagnose.errors import BadInput
from diagnose.model import FactSet
from diagnose.safefiles import read_input, read_input_text
from diagnose.strictjson import loads as strict_loads

MAX_TARGETS_BYTES = 8 << 20
MAX_QUOTED = 120  # characters of a user's value quoted back in an error line


def clip(value: str, limit: int = MAX_QUOTED) -> str:
    """Cut a quoted value to a bounded length, saying how much was left out."""
    return value if len(value) <= limit else f"{value[:limit]}... ({len(value)} characters)"


def read_json_object(path: str, what: str) -> dict[str, Any]:
    """Read a JSON object from a file or `-`; raise BadInput naming the file, line and problem."""
    raw = read_input_text(path, "")
    try:
        data = strict_loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise BadInput(f"{path}: not {what}: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: not {what} (expected a JSON object)")
    return data


def load_facts(path: str) -> FactSet:
    """Read a facts file written by --save-facts; raise BadInput naming what is wrong."""
    data = read_json_object(path, "a facts file")
    try:
        return FactSet.from_json(data)
    except KeyError as exc:
        raise BadInput(f"{path}: not a facts file: missing key {exc}") from None
    except (ValueError, TypeError) as exc:
        raise BadInput(f"{path}: not a facts file: {exc}") from None


_LABEL_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def check_domain(value: str) -> str:
    """Return the domain lower-cased without a trailing dot; raise BadInput when it is not one."""
    name = value.strip().rstrip(".").lower()
    if "://" in name or "/" in name:
        raise BadInput(
            f"bad DOMAIN {clip(value)!r}: give a host name such as dashtray.com, not a URL"
        )
    labels = name.split(".")
    if not name or len(name) > 253 or any(not 0 < len(x) <= 63 for x in labels):
        raise BadInput(f"bad DOMAIN {clip(value)!r}: not a DNS name")
    if any(set(x) - _LABEL_OK for x in labels):
        raise BadInput(f"bad DOMAIN {clip(value)!r}: a DNS name has letters, digits and '-' only")
    return name


def parse_address(value: str, option: str, default_port: int) -> tuple[str, int]:
    """Parse ADDR[:PORT] (IPv6 as [ADDR]:PORT); raise BadInput naming the option and value."""
    text = value.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise BadInput(
            f"bad {option} {clip(value)!r}: give an IP address, e.g. 1.1.1.1 or 127.0.0.1:5353"
        ) from None
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadInput(f"bad {option} {clip(value)!r}: the port is not a number from 1 to 65535")
    return host, int(port_text)


def check_url(value: str, option: str) -> str:
    """Return the URL if it is an absolute http(s) URL; raise BadInput otherwise."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        why = "the port is not a number from 1 to 65535" if "ort" in str(exc) else str(exc)
        raise BadInput(f"bad {option} {clip(value)!r}: {why}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"bad {option} {clip(value)!r}: give an absolute http(s) URL, e.g. https://dashtray.com"
        )
    if port == 0:
        raise BadInput(f"bad {option} {clip(value)!r}: port 0 is not a port to connect to")
    return value


def read_bytes(source: str, what: str, limit: int) -> bytes:
    """Read a regular file or stdin ('-') up to limit bytes; raise BadInput naming it."""
    return read_input(source, what, limit)


def read_targets(path: str) -> list[str]:
    """Read a --targets file (or `-`): one domain per line; blank lines and `#` comments skipped."""
    text = read_input_text(path, "--targets", MAX_TARGETS_BYTES)
    names: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        try:
            names.append(check_domain(value))
        except BadInput as exc:
            raise BadInput(f"--targets {path}:{number}: {exc}") from None
    if not names:
        raise BadInput(f"--targets {path}: no domain in it (one per line)")
    return names


MAX_PEM_BYTES = 16 << 20  # the system bundle is about 200 KB


def check_pem(path: str, what: str = "--ca-file") -> None:
    """Raise BadInput unless a CA file is a regular file (a FIFO or /dev/zero would hang the TLS
    library's own read) holding at least one PEM certificate."""
    text = read_input(path, what, MAX_PEM_BYTES)  # a regular file, bounded
    if b"-----BEGIN CERTIFICATE-----" not in text:
        raise BadInput(f"{what} {path}: no PEM certificate in it (BEGIN CERTIFICATE)")
