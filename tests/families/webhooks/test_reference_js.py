"""Header parsing agrees with the reference JavaScript `standardwebhooks` (the adapter's verifier).

Each delivery is verified by the real library under node (installed by scripts/ci/standardwebhooks.sh)
and by diagnose; both must say the same: what the handler accepts, diagnose must accept too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from diagnose.families.webhooks.signature import Reason, diagnose, sign, verify

ROOT = Path(__file__).resolve().parents[3]
MODULES = ROOT / ".ci-cache" / "standardwebhooks" / "node_modules"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRET_23 = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVlc="  # 23 bytes: the library takes any key
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TS = 1614265330
BODY = '{"test": 2432232314}'
GOOD = sign(SECRET, MSG_ID, TS, BODY.encode())
OTHER = sign(SECRET, "msg_other", TS, BODY.encode())

# name -> (secret, webhook-signature, webhook-timestamp)
CASES = {
    "plain": (SECRET, GOOD, str(TS)),
    "valid v1 followed by junk": (SECRET, GOOD + ",junk", str(TS)),
    "two header lines joined with ', '": (SECRET, f"{OTHER}, {GOOD}", str(TS)),
    "rotation: two entries": (SECRET, f"{OTHER} {GOOD}", str(TS)),
    "v1a only": (SECRET, "v1a,aGVsbG8=", str(TS)),
    "entry without a comma": (SECRET, f"garbage {GOOD}", str(TS)),
    "timestamp with trailing text": (SECRET, GOOD, f"{TS}abc"),
    "timestamp with a leading space": (SECRET, GOOD, f" {TS}"),
    "timestamp not a number": (SECRET, GOOD, "soon"),
    "23-byte secret": (SECRET_23, sign(SECRET_23, MSG_ID, TS, BODY.encode()), str(TS)),
    "wrong signature": (SECRET, OTHER, str(TS)),
    "tab instead of space between entries": (SECRET, f"{OTHER}\t{GOOD}", str(TS)),
}

SCRIPT = r"""
const { Webhook } = require("standardwebhooks");
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = {};
for (const [name, c] of Object.entries(cases)) {
  Date.now = () => c.now * 1000;
  try { new Webhook(c.secret).verify(c.body, c.headers); out[name] = "ok"; }
  catch (e) { out[name] = String(e.message); }
}
process.stdout.write(JSON.stringify(out));
"""


def _headers(sig: str, ts: str) -> dict[str, str]:
    return {"webhook-id": MSG_ID, "webhook-timestamp": ts, "webhook-signature": sig}


@pytest.mark.lab
@pytest.mark.skipif(
    shutil.which("node") is None or not (MODULES / "standardwebhooks").is_dir(),
    reason="needs node and scripts/ci/standardwebhooks.sh (CI runs it)",
)
def test_diagnose_accepts_what_the_reference_js_accepts() -> None:
    payload = {
        name: {"secret": s, "headers": _headers(sig, ts), "body": BODY, "now": TS}
        for name, (s, sig, ts) in CASES.items()
    }
    ran = subprocess.run(
        ["node", "-e", SCRIPT],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        env={"NODE_PATH": str(MODULES), "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert ran.returncode == 0, ran.stderr
    reference = json.loads(ran.stdout)
    ours = {
        name: verify(s, _headers(sig, ts), BODY.encode(), now=TS).ok
        for name, (s, sig, ts) in CASES.items()
    }
    assert {n: v == "ok" for n, v in reference.items()} == ours, reference


def test_v1a_only_is_no_signature_this_receiver_can_check() -> None:
    verdict = diagnose(SECRET, _headers("v1a,aGVsbG8=", str(TS)), BODY.encode(), TS)
    assert verdict.reason is Reason.NO_V1_SIGNATURE
    assert "v1a" in verdict.detail


def test_junk_after_a_valid_signature_and_joined_lines_verify() -> None:
    assert verify(SECRET, _headers(GOOD + ",junk", str(TS)), BODY.encode(), now=TS).ok
    assert verify(SECRET, _headers(f"{OTHER}, {GOOD}", str(TS)), BODY.encode(), now=TS).ok


def test_a_23_byte_secret_is_no_format_problem() -> None:
    from diagnose.families.webhooks.signature import secret_problem

    assert secret_problem(SECRET_23) is None
