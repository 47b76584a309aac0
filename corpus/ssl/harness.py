"""Serve each ssl corpus case's chain with a real TLS server (OpenSSL via Python's ssl) on 127.0.0.1.

A case folder holds `chain.pem` (what the server sends, leaf first, as the project's recipe
concatenated it), `key.pem` (the leaf's key) and `trust.pem` (the root the case trusts, passed as
--ca-file). `prepare(case)` yields {"addr": "127.0.0.1:PORT"} for `--connect-to {addr}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from diagnose.lab.tls_server import serve_chain


@contextmanager
def prepare(case: Any) -> Iterator[dict[str, str]]:
    """Run the case's server for the duration of the block."""
    with serve_chain(case.folder / "chain.pem", case.folder / "key.pem") as port:
        yield {"addr": f"127.0.0.1:{port}"}
