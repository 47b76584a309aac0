"""A fast writer of big, time-ordered `npx convex logs --jsonl` files for the log benchmarks.

The records have the shape of diagnose.lab.convex_logs.completion() (which builds each one with
json.dumps and uuid4, far too slow for a gigabyte): queries, webhook deliveries with their
console line, and one delivery in 25 failing. The rate is fixed in bytes per hour, so a bigger
file covers more hours and its last hour stays the same size: the cost of `--since 1h` should
not change with the file.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BYTES_PER_HOUR = 10 * 1024 * 1024  # the last hour of a 1 GiB file is about 1 % of it
_QUERY = (
    '{{"kind":"Completion","udfType":"Query","identifier":"messages:list","logLines":[],'
    '"timestamp":{ms},"cachedResult":false,"caller":"Tester","executionTime":0.012,'
    '"success":null,"requestId":"{rid}","executionId":"{eid}","usageStats":{{"databaseReadBytes":'
    '512,"databaseWriteBytes":0,"memoryUsedMb":12}},"environment":"isolate","identityType":"none"}}'
)
_HOOK = (
    '{{"kind":"Completion","udfType":"HttpAction","identifier":"POST /webhooks/dodo","logLines":'
    '[{{"messages":["\'webhook received payment.succeeded msg_{mid}\'"],"isTruncated":false,'
    '"timestamp":{ms},"level":"LOG"}}],"timestamp":{ms},"cachedResult":false,'
    '"caller":"HttpEndpoint","executionTime":{secs},"success":null,{error}"requestId":"{rid}",'
    '"executionId":"{eid}","usageStats":{{"databaseReadBytes":512,"databaseWriteBytes":128,'
    '"memoryUsedMb":24}},"environment":"isolate","identityType":"none"}}'
)
_ERROR = '"error":"Uncaught Error: Payment pay_7Xk2 not found in database",'


def _line(i: int, ms: int, rnd: random.Random) -> str:
    rid = f"{rnd.getrandbits(64):016x}"
    eid = f"{rnd.getrandbits(64):016x}"
    if i % 3:
        return _QUERY.format(ms=ms, rid=rid, eid=eid)
    error = _ERROR if i % 75 == 0 else ""
    secs = f"0.{100 + i % 700:03d}"
    return _HOOK.format(ms=ms, rid=rid, eid=eid, mid=f"{i:012d}", secs=secs, error=error)


def average_line_bytes() -> float:
    """Return the average size of a line, newline included (from a sample)."""
    rnd = random.Random(0)
    sample = [_line(i, 1_795_000_000_000, rnd) for i in range(3000)]
    return sum(len(s) + 1 for s in sample) / len(sample)


def write(path: Path, size: int, now: datetime = NOW, bad_every: int = 0) -> Path:
    """Write about `size` bytes of records ending at `now`; every bad_every-th line is not JSON."""
    per_hour = BYTES_PER_HOUR / average_line_bytes()
    count = int(size / average_line_bytes())
    step_ms = 3_600_000 / per_hour
    end_ms = int(now.timestamp() * 1000)
    start_ms = end_ms - int(count * step_ms)
    rnd = random.Random(42)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as fh:
        batch: list[str] = []
        for i in range(count):
            if bad_every and i % bad_every == bad_every - 1:
                batch.append("{not json")
            else:
                batch.append(_line(i, start_ms + int(i * step_ms), rnd))
            if len(batch) >= 20_000:
                fh.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            fh.write("\n".join(batch) + "\n")
    tmp.replace(path)
    return path


def ensure(folder: Path, size: int, bad_every: int = 0) -> Path:
    """Return the file for this size, writing it only when it is missing (it is deterministic)."""
    label = f"{size / 1e6:.0f}MB" if size >= 1_000_000 else f"{size // 1000}kB"
    path = folder / f"convex-{label}{f'-bad{bad_every}' if bad_every else ''}.jsonl"
    if not path.exists():
        write(path, size, bad_every=bad_every)
    return path
