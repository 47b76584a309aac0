"""Serve each ssl corpus case's chain with a real TLS server (OpenSSL via Python's ssl) on 127.0.0.1.

A case folder holds `chain.pem` (what the server sends, leaf first, as the project's recipe
concatenated it), `key.pem` (the leaf's key) and `trust.pem` (the root the case trusts, passed as
--ca-file). `prepare(case)` yields {"addr": "127.0.0.1:PORT"} for `--connect-to {addr}`.

Cases made with trustme (python-trio/trustme, the test-CA library) say how in a `[trustme]` table
of case.toml. Those dated relative to today (`not_after_days`: a certificate that expires in a few
days stays that only if it is made today) are made afresh by `prepare` with the same calls each
run, in a temporary folder that then stands for `{case}`; the others were made once with

    python corpus/ssl/harness.py make CASE...

and their files are kept in the folder like every other case's.
"""

from __future__ import annotations

import sys
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))

from diagnose.lab.tls_server import serve_chain  # noqa: E402


def make_trustme(spec: Mapping[str, Any], folder: Path, now: datetime) -> None:
    """Write chain.pem, key.pem and trust.pem as trustme makes them for the [trustme] table.

    Keys: identities (the leaf's names), key_type (ECDSA, trustme's default, or RSA),
    intermediates (CAs between the root and the leaf, sent after the leaf), not_before (RFC
    3339), not_after_days (from now). Everything else is trustme's default (2000-01-01 to
    3000-01-01, basicConstraints and keyUsage critical on CAs, SAN and EKU on the leaf).
    """
    import trustme

    key_type = trustme.KeyType[str(spec.get("key_type", "ECDSA"))]
    ca = trustme.CA(key_type=key_type)
    issuer = ca
    for _ in range(int(spec.get("intermediates", 0))):
        issuer = issuer.create_child_ca(key_type=key_type)
    dates: dict[str, datetime] = {}
    if "not_before" in spec:
        dates["not_before"] = datetime.fromisoformat(str(spec["not_before"]))
    if "not_after_days" in spec:
        dates["not_after"] = now + timedelta(days=float(spec["not_after_days"]))
    leaf = issuer.issue_cert(*spec["identities"], key_type=key_type, **dates)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chain.pem").write_bytes(b"".join(b.bytes() for b in leaf.cert_chain_pems))
    (folder / "key.pem").write_bytes(leaf.private_key_pem.bytes())
    (folder / "trust.pem").write_bytes(ca.cert_pem.bytes())


def _spec(case: Any) -> Mapping[str, Any] | None:
    data = getattr(case, "data", None)
    if data is None:
        data = tomllib.loads((case.folder / "case.toml").read_text(encoding="utf-8"))
    spec = data.get("trustme")
    return spec if isinstance(spec, Mapping) else None


@contextmanager
def prepare(case: Any) -> Iterator[dict[str, str]]:
    """Run the case's server for the duration of the block (made afresh first when it is dated)."""
    spec = _spec(case)
    with tempfile.TemporaryDirectory(prefix="diagnose-ssl-case-") as tmp:
        folder = case.folder
        if spec is not None and "not_after_days" in spec:
            folder = Path(tmp)
            make_trustme(spec, folder, datetime.now(UTC))
        with serve_chain(folder / "chain.pem", folder / "key.pem") as port:
            yield {"addr": f"127.0.0.1:{port}", "case": str(folder)}


def main(argv: list[str]) -> int:
    """`make CASE...`: write the files of trustme cases that are not dated relative to today."""
    if len(argv) < 2 or argv[0] != "make":
        print("usage: python corpus/ssl/harness.py make CASE...", file=sys.stderr)
        return 2
    for name in argv[1:]:
        folder = HERE / name
        spec = _spec(type("Case", (), {"folder": folder, "data": None})())
        if spec is None or "not_after_days" in spec:
            print(f"{name}: no [trustme] table, or made afresh at each run", file=sys.stderr)
            return 2
        make_trustme(spec, folder, datetime.now(UTC))
        print(f"{name}: chain.pem, key.pem, trust.pem written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
