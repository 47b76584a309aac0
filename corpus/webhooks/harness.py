"""Per-case setup for corpus/webhooks: export the case's webhook secret (a public test value, never
a real one) as DODO_PAYMENTS_WEBHOOK_KEY while the case runs, as a user would before diagnosing."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from diagnose.families.webhooks.options import DEFAULT_SECRET_ENV


@contextmanager
def prepare(case: Any) -> Iterator[dict[str, str]]:
    """Set the secret the case names (or none), and restore the environment after."""
    data = tomllib.loads((case.folder / "case.toml").read_text(encoding="utf-8"))
    before = os.environ.get(DEFAULT_SECRET_ENV)
    if data.get("secret"):
        os.environ[DEFAULT_SECRET_ENV] = str(data["secret"])
    else:
        os.environ.pop(DEFAULT_SECRET_ENV, None)
    try:
        yield {}
    finally:
        if before is None:
            os.environ.pop(DEFAULT_SECRET_ENV, None)
        else:
            os.environ[DEFAULT_SECRET_ENV] = before
