"""diagnose ssl beside sslyze and testssl.sh on the same served chains (corpus/ssl), in one run.

    bash scripts/ci/ssl-tools.sh          # installs testssl.sh (Debian) and sslyze (its own venv)
    python benchmarks/bench_ssl_tools.py [--tools diagnose,sslyze,testssl] [--testssl-max N] [-v]

Every case is served once by corpus/ssl/harness.py (a real TLS server on 127.0.0.1) and each tool
looks at that server: diagnose in this process (`--connect-to`), sslyze as `NAME:PORT{127.0.0.1}`
with `--certinfo_ca_file`, testssl.sh as `-S --ip 127.0.0.1 --add-ca`. A tool's verdict is put in
diagnose's vocabulary (tables below) and counted right when it names the case's expected cause
first (a healthy case: no finding). The mapping is generous to the other tools: a message that
fits two ids (OpenSSL code 20: missing intermediate or unknown root) counts as either, and what a
tool reports outside the taxonomy (serial entropy, no OCSP URL) is ignored. testssl.sh takes
seconds to minutes a case: --testssl-max N runs it on the first N cases of an even spread.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SSLYZE = ROOT / ".venv-sslyze" / "bin" / "sslyze"
_spec = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks" / "accuracy.py")
assert _spec and _spec.loader
accuracy = importlib.util.module_from_spec(_spec)
sys.modules["accuracy"] = accuracy
_spec.loader.exec_module(accuracy)

Verdict = frozenset[str]  # acceptable ids ("healthy" for no finding)
HEALTHY: Verdict = frozenset({"healthy"})
# sslyze 6 validates with pyca/cryptography: its messages, by substring, in order.
SSLYZE_REASONS = (
    ("not valid at validation time", {"tls.cert-expired", "tls.cert-not-yet-valid"}),
    ("self-signed", {"tls.self-signed"}),
    ("key", {"tls.weak-key"}),
    ("signature algorithm", {"tls.weak-signature"}),
    ("digest", {"tls.weak-signature"}),
    ("candidates exhausted", {"tls.untrusted-root", "tls.incomplete-chain", "tls.verify-failed"}),
)
# testssl.sh's "Chain of trust" finding (OpenSSL's verify), by substring, in order.
TESTSSL_TRUST = (
    ("expired", {"tls.cert-expired"}),
    ("self signed ca in chain", {"tls.untrusted-root"}),
    ("self signed", {"tls.self-signed"}),
    ("incomplete", {"tls.incomplete-chain", "tls.untrusted-root"}),
    ("issuer", {"tls.incomplete-chain", "tls.untrusted-root"}),
    ("too weak", {"tls.weak-key", "tls.weak-signature"}),
)


def _match(text: str, table: Any, default: set[str]) -> Verdict:
    low = text.lower()
    for needle, ids in table:
        if needle in low:
            return frozenset(ids)
    return frozenset(default)


def run_diagnose(case: Any, values: dict[str, str]) -> tuple[Verdict, str]:
    """diagnose in this process; its first warning-or-worse finding."""
    argv = [a.format(**values) for a in case.args] + ["--format", "json"]
    _, out, err = accuracy.run_diagnose(argv)
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        return frozenset({"crash"}), err[-200:]
    ids = [f["id"] for f in doc["findings"] if f["severity"] in ("critical", "warning")]
    return (frozenset(ids[:1]) if ids else HEALTHY), ", ".join(ids[:3]) or doc["status"]


def run_sslyze(case: Any, values: dict[str, str]) -> tuple[Verdict, str]:
    """sslyze --certinfo against the served chain, trusting the case's root."""
    host, port = case.args[1], values["addr"].rsplit(":", 1)[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sslyze.json"
        argv = [str(SSLYZE), "--certinfo", "--certinfo_ca_file", str(case.folder / "trust.pem")]
        argv += ["--json_out", str(out), "--quiet", f"{host}:{port}{{127.0.0.1}}"]
        subprocess.run(argv, capture_output=True, timeout=300, check=False)
        try:
            doc = json.loads(out.read_text())
        except (OSError, json.JSONDecodeError):
            return frozenset({"tls.handshake-failed"}), "no JSON"
    scan = doc["server_scan_results"][0]
    info = (scan.get("scan_result") or {}).get("certificate_info") or {}
    if scan.get("scan_status") != "COMPLETED" or info.get("status") != "COMPLETED":
        why = scan.get("connectivity_error_trace") or info.get("error_reason") or "not completed"
        return frozenset({"tls.handshake-failed"}), str(why)[-160:]
    dep = info["result"]["certificate_deployments"][0]
    custom = [p for p in dep["path_validation_results"] if "Supplied" in p["trust_store"]["name"]]
    pv = custom[0] if custom else dep["path_validation_results"][0]
    if not pv["was_validation_successful"]:
        error = str(pv.get("validation_error") or pv.get("openssl_error_string") or "")
        return _match(error, SSLYZE_REASONS, {"tls.verify-failed"}), error[:160]
    if dep.get("leaf_certificate_subject_matches_hostname") is False:
        return frozenset({"tls.hostname-mismatch"}), "hostname does not match"
    if dep.get("received_chain_has_valid_order") is False:
        return frozenset({"tls.chain-order"}), "chain order"
    if dep.get("verified_chain_has_sha1_signature"):
        return frozenset({"tls.weak-signature"}), "SHA-1 in the verified chain"
    return HEALTHY, "valid"


def run_testssl(case: Any, values: dict[str, str]) -> tuple[Verdict, str]:
    """testssl.sh -S (server defaults: the certificate checks) against the served chain."""
    host, port = case.args[1], values["addr"].rsplit(":", 1)[1]
    exe = shutil.which("testssl") or shutil.which("testssl.sh") or "testssl"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "testssl.json"
        argv = [exe, "--quiet", "--warnings", "off", "--color", "0", "-S", "--ip", "127.0.0.1"]
        argv += ["--add-ca", str(case.folder / "trust.pem"), "--jsonfile", str(out)]
        subprocess.run(
            [*argv, f"https://{host}:{port}"], capture_output=True, timeout=900, check=False
        )
        try:
            rows = json.loads(out.read_text())
        except (OSError, json.JSONDecodeError):
            return frozenset({"tls.handshake-failed"}), "no JSON"
    by = {r["id"]: r for r in rows}
    if "cert_chain_of_trust" not in by:
        problem = next((r["finding"] for r in rows if r["id"] == "scanProblem"), "no certificate")
        return frozenset({"tls.handshake-failed"}), problem[:160]
    if by.get("cert_expirationStatus", {}).get("severity") == "CRITICAL":
        return frozenset({"tls.cert-expired"}), by["cert_expirationStatus"]["finding"]
    trust = by["cert_chain_of_trust"]
    if trust["severity"] not in ("OK", "INFO"):
        return _match(trust["finding"], TESTSSL_TRUST, {"tls.verify-failed"}), trust["finding"]
    if by.get("cert_trust", {}).get("severity") not in ("OK", "INFO", None):
        return frozenset({"tls.hostname-mismatch"}), by["cert_trust"]["finding"]
    for rid, cause in (
        ("cert_keySize", "tls.weak-key"),
        ("cert_signatureAlgorithm", "tls.weak-signature"),
    ):
        if by.get(rid, {}).get("severity") in ("HIGH", "CRITICAL"):
            return frozenset({cause}), by[rid]["finding"]
    if by.get("certs_list_ordering_problem", {}).get("finding", "no") != "no":
        return frozenset({"tls.chain-order"}), "ordering problem"
    return HEALTHY, trust["finding"]


TOOLS: dict[str, Callable[[Any, dict[str, str]], tuple[Verdict, str]]] = {
    "diagnose": run_diagnose,
    "sslyze": run_sslyze,
    "testssl": run_testssl,
}


def main(argv: list[str] | None = None) -> int:
    """Serve each case once, run every tool on it, print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default="diagnose,sslyze,testssl")
    parser.add_argument("--testssl-max", type=int, default=0, help="0: every case")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    if "sslyze" in tools and not SSLYZE.exists():
        sys.exit("sslyze missing: run bash scripts/ci/ssl-tools.sh")
    if "testssl" in tools and not (shutil.which("testssl") or shutil.which("testssl.sh")):
        sys.exit("testssl.sh missing: run bash scripts/ci/ssl-tools.sh")
    cases = accuracy.load_cases("ssl")
    step = max(1, len(cases) // args.testssl_max) if args.testssl_max else 1
    testssl_cases = {c.name for c in cases[::step][: args.testssl_max or None]}
    rows: list[dict[str, Any]] = []
    for case in cases:
        with accuracy.prepared(case) as values:
            for tool in tools:
                if tool == "testssl" and case.name not in testssl_cases:
                    continue
                t0 = time.perf_counter()
                verdict, said = TOOLS[tool](case, values)
                seconds = time.perf_counter() - t0
                right = case.expect in verdict
                rows.append(
                    {"case": case.name, "tool": tool, "expect": case.expect, "right": right,
                     "quiet": verdict == HEALTHY, "said": said, "seconds": round(seconds, 3)}
                )  # fmt: skip
                if args.verbose and not right:
                    print(f"  {tool:<8} {case.name}: expected {case.expect}, said {said}")
        if args.json:  # after every case: a run cut short still leaves its rows
            Path(args.json).write_text(json.dumps(rows, indent=1))
    print(f"{'tool':<9} {'cases':>5} {'top-1':>7} {'healthy quiet':>14} {'false ok':>9} "
          f"{'median':>8} {'total':>8}")  # fmt: skip
    for tool in tools:
        mine = [r for r in rows if r["tool"] == tool]
        if not mine:
            continue
        healthy = [r for r in mine if r["expect"] == "healthy"]
        false_ok = sum(1 for r in mine if r["expect"] != "healthy" and r["quiet"])
        print(
            f"{tool:<9} {len(mine):>5} {sum(r['right'] for r in mine) / len(mine):>7.1%} "
            f"{sum(r['right'] for r in healthy):>6}/{len(healthy):<7} {false_ok:>9} "
            f"{statistics.median(r['seconds'] for r in mine):>7.2f}s "
            f"{sum(r['seconds'] for r in mine):>7.1f}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
