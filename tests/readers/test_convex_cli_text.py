"""The CLI's own text output, rendered by the npm `convex` package's code, read in every locale.

`npx convex logs` prints times with `toLocaleString()` in the machine's locale; each locale below
is rendered under node (tests/readers/convex_render.mjs, the package installed by
scripts/ci/convex.sh) and must read back to the same rows: the same times, functions, levels,
errors with their stack, and no bad line (the stderr banner included).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from diagnose.readers.convex import ConvexFormat, read_log

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / ".ci-cache" / "convex" / "node_modules" / "convex"
RENDER = Path(__file__).with_name("convex_render.mjs")
LOCALES = (
    "en_US en_GB en_IN en_AU en_CA en_NZ en_IE en_ZA de_DE de_CH fr_FR fr_CA es_ES es_MX pt_BR "
    "pt_PT it_IT nl_NL ja_JP zh_CN zh_TW ko_KR ru_RU pl_PL sv_SE tr_TR uk_UA fi_FI da_DK nb_NO "
    "cs_CZ sk_SK hu_HU ro_RO el_GR bg_BG hr_HR lv_LV lt_LT et_EE sl_SI ca_ES id_ID ms_MY vi_VN "
    "th_TH he_IL hi_IN ar_EG bn_BD"
).split()
# Morning, noon, afternoon and just after midnight: every day period a locale writes.
TIMES = [
    datetime(2026, 8, 20, 9, 5, 9, tzinfo=UTC),
    datetime(2026, 8, 20, 12, 30, 0, tzinfo=UTC),
    datetime(2026, 8, 20, 14, 5, 9, tzinfo=UTC),
    datetime(2026, 8, 21, 0, 15, 45, tzinfo=UTC),
    datetime(2026, 12, 3, 23, 59, 59, tzinfo=UTC),
]
STACK = "Uncaught Error: Payment pay_0 not found\n    at handler (../convex/payments.ts:12:11)"


def _entries() -> list[dict[str, object]]:
    """FunctionExecution records (cli/lib/apiTypes.ts): a webhook, its mutation, a failure."""
    out: list[dict[str, object]] = []
    for n, when in enumerate(TIMES):
        ms = int(when.timestamp() * 1000)
        rid = f"{n:016x}"
        line = {
            "messages": ["'Dodo Payments Webhook Error:'", "'No matching signature found'"],
            "level": "ERROR",
            "timestamp": ms,
            "isTruncated": False,
        }
        out.append(
            {
                "kind": "Completion",
                "udfType": "HttpAction",
                "identifier": "POST /dodopayments-webhook",
                "logLines": [line],
                "timestamp": ms / 1000,
                "executionTime": 0.012,
                "requestId": rid,
                "caller": "HttpEndpoint",
            }
        )
        out.append(
            {
                "kind": "Completion",
                "udfType": "Mutation",
                "identifier": "payments:markPaid",
                "logLines": [],
                "timestamp": ms / 1000,
                "executionTime": 0.004,
                "error": STACK,
                "requestId": rid,
            }
        )
    return out


def _render(locale: str, tmp_path: Path, success: bool = True, banner: bool = True) -> Path:
    if shutil.which("node") is None or not PACKAGE.is_dir():
        pytest.skip(
            "node or the npm convex package missing (CI installs them: scripts/ci/convex.sh)"
        )
    spec = {
        "entries": _entries(),
        "success": success,
        "banner": "happy-otter-123" if banner else None,
    }
    env = {"LANG": f"{locale}.UTF-8", "TZ": "UTC", "PATH": "/usr/bin:/bin:/usr/local/bin"}
    done = subprocess.run(
        ["node", str(RENDER), str(PACKAGE)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    path = tmp_path / f"{locale}.log"
    path.write_text(done.stdout, encoding="utf-8")
    return path


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_reads_back(locale: str, tmp_path: Path) -> None:
    """Each locale's lines read with their times; the stack joins its error; the banner is skipped."""
    path = _render(locale, tmp_path)
    parsed = read_log(str(path), ConvexFormat.AUTO, None, None)
    assert parsed.fmt is ConvexFormat.TEXT
    assert [b.ref() for b in parsed.bad] == []
    rows = parsed.rows
    executions = [r for r in rows if r["kind"] == "execution"]
    assert [r["ts"] for r in executions] == [t.timestamp() for t in TIMES for _ in (0, 1)]
    hooks = [r for r in executions if r["function"] == "POST /dodopayments-webhook"]
    assert [r["duration_ms"] for r in hooks] == [12.0] * len(TIMES)
    failures = [r for r in executions if r["status"] == "failure"]
    assert [r["error"] for r in failures] == [STACK] * len(TIMES)
    logs = [r for r in rows if r["kind"] == "log"]
    assert {r["message"] for r in logs} == {
        "[ERROR] 'Dodo Payments Webhook Error:' 'No matching signature found'"
    }
    # The console line and the execution printed after it are one request.
    assert all(
        log["request_id"] == hook["request_id"] for log, hook in zip(logs, hooks, strict=True)
    )


def test_without_success_only_failures_are_printed(tmp_path: Path) -> None:
    """Without --success the CLI prints no 'Function executed' line: only failures remain."""
    path = _render("en_US", tmp_path, success=False, banner=False)
    rows = read_log(str(path), ConvexFormat.AUTO, None, None).rows
    assert {r["status"] for r in rows if r["kind"] == "execution"} == {"failure"}
