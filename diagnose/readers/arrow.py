"""Use pyarrow without importing pandas (0.45 s): the webhook readers and summary never need it.

pyarrow's pandas shim imports pandas the first time any Python value is converted (`pa.scalar`,
`pa.array`, a compute call given a plain `"Completion"`), only to learn whether that value is a
pandas object. Ours never are. `without_pandas()` lets that one check answer "no pandas" in
this thread alone: a finder refuses `import pandas` to the current thread while pyarrow looks,
and is removed at once. Other threads import pandas as usual meanwhile, and pyarrow still
imports pandas later whenever it really needs it (`Table.to_pandas()` retries the import).
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

_checked = threading.Event()
_lock = threading.Lock()


class _RefusePandas(importlib.abc.MetaPathFinder):
    """Refuse `import pandas` to one thread; every other import is left to the other finders."""

    def __init__(self, thread: int) -> None:
        self.thread = thread

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        """Raise for pandas in the chosen thread; return None (not mine) for everything else."""
        if fullname == "pandas" and threading.get_ident() == self.thread:
            raise ModuleNotFoundError("pandas is not needed by the webhook summary", name=fullname)


def without_pandas() -> None:
    """Make pyarrow's one-time pandas check answer "no" unless pandas is already imported."""
    if _checked.is_set():
        return
    with _lock:
        if _checked.is_set():
            return
        import pyarrow as pa

        if "pandas" not in sys.modules:
            finder = _RefusePandas(threading.get_ident())
            sys.meta_path.insert(0, finder)
            try:
                pa.scalar(0)  # the shim's first (and only) lazy import attempt
            finally:
                sys.meta_path.remove(finder)
        _checked.set()
