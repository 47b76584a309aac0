"""Per-case setup for corpus/webhooks: export the case's webhook secret (a public test value, never
a real one) under the variable the case names (`secret_env`, default the first name diagnose
looks in) while the case runs, as a user would before diagnosing; every other name diagnose looks
in is unset meanwhile, so the developer's own shell never leaks into a case."""

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
    name = str(data.get("secret_env") or DEFAULT_SECRET_ENV[0])
    names = dict.fromkeys([*DEFAULT_SECRET_ENV, name])
    before = {n: os.environ.get(n) for n in names}
    for n in names:
        os.environ.pop(n, None)
    if data.get("secret"):
        os.environ[name] = str(data["secret"])
    try:
        yield {}
    finally:
        for n, value in before.items():
            if value is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = value
