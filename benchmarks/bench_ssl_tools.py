"""diagnose ssl beside sslyze and testssl.sh on the same served chains (corpus/ssl), in one run.

    bash scripts/ci/ssl-tools.sh          # installs testssl.sh (Debian) and sslyze (its own venv)
    python benchmarks/bench_ssl_tools.py [--tools diagnose,sslyze,testssl] [--cases A,B]
                                         [--testssl-max N] [--json FILE] [-v]
    python benchmarks/bench_ssl_tools.py --rescore FILE   # the verdicts again, from saved output

Every case is served once by corpus/ssl/harness.py (a real TLS server on 127.0.0.1) and each tool
looks at that server in turn: diagnose in this process (`--connect-to`), sslyze as
`NAME:PORT{127.0.0.1}` with `--certinfo_ca_file`, testssl.sh as `-S --ip 127.0.0.1 --add-ca`.

How each tool's output becomes a verdict (written down in docs/accuracy.md too):

- diagnose: its first finding of warning severity or worse; none is "healthy".
- sslyze: the validation error of the path against the supplied root, read by the substrings of
  SSLYZE_REASONS; a valid path is then judged on what sslyze reports beside it (hostname, order,
  SHA-1 in the verified chain).
- testssl.sh: its findings taken in the order a reader fixes them: no certificate,
  an expired leaf, the chain of trust (OpenSSL's verify code, read by TESTSSL_TRUST), the
  hostname, the key size and signature (any severity testssl.sh marks MEDIUM or worse), expiry
  inside its own 30/60-day windows, the order of the chain; none is "healthy". A run cut off by
  TOOL_TIMEOUT is a miss, whatever the case expects.

The reading is generous to the other tools: a message that fits several ids (OpenSSL code 20,
"unable to get local issuer certificate", is a missing intermediate, an unknown root or simply a
chain OpenSSL rejects) counts as any of them, and what a tool reports outside the taxonomy
(serial entropy, no OCSP URL, validity too long) is ignored. diagnose gets no such latitude: its
first finding must be the case's id. The raw output each verdict was read from is kept in the
--json rows, so --rescore re-reads a saved run with the tables as they are now.

testssl.sh runs with --nodns none (no lookup leaves the machine; the address is --ip), --fast
and its own timeouts; a case still takes it seconds to minutes (a bash program starting ~40
openssl processes to learn its binary's features, then parsing every handshake in bash):
--testssl-max N runs it on the first N cases of an even spread.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
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
TESTSSL_FLAGS = ("--quiet", "--warnings", "off", "--color", "0", "--nodns", "none", "--fast")
TESTSSL_FLAGS += ("--connect-timeout", "10", "--openssl-timeout", "10")
TOOL_TIMEOUT = 900  # seconds a case: testssl.sh took 353 s on 1000 SANs here
_spec = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks" / "accuracy.py")
assert _spec and _spec.loader
accuracy = importlib.util.module_from_spec(_spec)
sys.modules["accuracy"] = accuracy
_spec.loader.exec_module(accuracy)

Verdict = frozenset[str]  # acceptable ids ("healthy" for no finding)
HEALTHY: Verdict = frozenset({"healthy"})
TRUST_FAILED = {"tls.untrusted-root", "tls.incomplete-chain", "tls.verify-failed"}
# sslyze 6 validates with pyca/cryptography: its messages, by substring, in order.
SSLYZE_REASONS = (
    ("not valid at validation time", {"tls.cert-expired", "tls.cert-not-yet-valid"}),
    ("self-signed", {"tls.self-signed"}),
    ("no matching subjectaltname", {"tls.hostname-mismatch"}),
    ("too weak", {"tls.weak-key"}),
    ("signature algorithm", {"tls.weak-signature"}),
    ("digest", {"tls.weak-signature"}),
    ("candidates exhausted", TRUST_FAILED),
)
# testssl.sh's "Chain of trust" finding: OpenSSL's verify code as testssl.sh words it
# (verify_retcode_helper in testssl.sh 3.0), by substring, in order.
TESTSSL_TRUST = (
    ("not yet valid", {"tls.cert-not-yet-valid"}),
    ("expired", {"tls.cert-expired"}),
    ("self signed ca in chain", {"tls.untrusted-root", "tls.verify-failed"}),
    ("self signed", {"tls.self-signed"}),
    ("chain incomplete", TRUST_FAILED),
    ("issuer cert missing", TRUST_FAILED),
    ("too weak", {"tls.weak-key", "tls.weak-signature"}),
)
WORSE = ("MEDIUM", "HIGH", "CRITICAL")
TESTSSL_KEEP = (
    "scanProblem",
    "cert_chain_of_trust",
    "cert_expirationStatus",
    "cert_caIssuers",
    "cert_trust",
    "cert_keySize",
    "cert_signatureAlgorithm",
    "certs_list_ordering_problem",
    "cert_notBefore",
    "cert_notAfter",
)


def _match(text: str, table: Any, default: set[str]) -> Verdict:
    low = text.lower()
    for needle, ids in table:
        if needle in low:
            return frozenset(ids)
    return frozenset(default)


def run_diagnose(case: Any, values: dict[str, str]) -> dict[str, Any]:
    """diagnose in this process: its findings, ranked, with their severity."""
    argv = [a.format(**values) for a in case.args] + ["--format", "json"]
    _, out, err = accuracy.run_diagnose(argv)
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        return {"crash": err[-200:]}
    findings = [{"id": f["id"], "severity": f["severity"]} for f in doc["findings"]]
    return {"status": doc["status"], "findings": findings}


def verdict_diagnose(raw: dict[str, Any]) -> tuple[Verdict, str]:
    """The first finding of warning severity or worse; none is healthy."""
    if "crash" in raw:
        return frozenset({"crash"}), raw["crash"]
    ids = [f["id"] for f in raw["findings"] if f["severity"] in ("critical", "warning")]
    return (frozenset(ids[:1]) if ids else HEALTHY), ", ".join(ids[:3]) or raw["status"]


def run_sslyze(case: Any, values: dict[str, str]) -> dict[str, Any]:
    """sslyze --certinfo against the served chain, trusting the case's root."""
    host, port = case.args[1], values["addr"].rsplit(":", 1)[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sslyze.json"
        trust = str(Path(values["case"]) / "trust.pem")  # a dated case is made afresh elsewhere
        argv = [str(SSLYZE), "--certinfo", "--certinfo_ca_file", trust]
        argv += ["--json_out", str(out), "--quiet", f"{host}:{port}{{127.0.0.1}}"]
        try:
            subprocess.run(argv, capture_output=True, timeout=TOOL_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return {"timeout": f"no answer in {TOOL_TIMEOUT} s"}
        try:
            doc = json.loads(out.read_text())
        except (OSError, json.JSONDecodeError):
            return {"error": "no JSON"}
    scan = doc["server_scan_results"][0]
    info = (scan.get("scan_result") or {}).get("certificate_info") or {}
    if scan.get("scan_status") != "COMPLETED" or info.get("status") != "COMPLETED":
        why = scan.get("connectivity_error_trace") or info.get("error_reason") or "not completed"
        return {"error": str(why)[-300:]}
    dep = info["result"]["certificate_deployments"][0]
    paths = dep["path_validation_results"]
    custom = [p for p in paths if "Supplied" in p["trust_store"]["name"]]
    pv = custom[0] if custom else paths[0]
    keep = ("leaf_certificate_subject_matches_hostname", "received_chain_has_valid_order")
    return {
        "valid": bool(pv["was_validation_successful"]),
        "validation_error": str(pv.get("validation_error") or pv.get("openssl_error_string") or ""),
        "sha1_in_verified_chain": dep.get("verified_chain_has_sha1_signature"),
        **{k: dep.get(k) for k in keep},
    }


def verdict_sslyze(raw: dict[str, Any]) -> tuple[Verdict, str]:
    """sslyze's validation error, or what it says beside a valid path."""
    if "timeout" in raw:
        return frozenset({"timeout"}), raw["timeout"]
    if "error" in raw:
        return frozenset({"tls.handshake-failed"}), raw["error"][-160:]
    if not raw["valid"]:
        error = raw["validation_error"]
        return _match(error, SSLYZE_REASONS, {"tls.verify-failed"}), error[:160]
    if raw["leaf_certificate_subject_matches_hostname"] is False:
        return frozenset({"tls.hostname-mismatch"}), "hostname does not match"
    if raw["received_chain_has_valid_order"] is False:
        return frozenset({"tls.chain-order"}), "chain order"
    if raw["sha1_in_verified_chain"]:
        return frozenset({"tls.weak-signature"}), "SHA-1 in the verified chain"
    return HEALTHY, "valid"


def run_testssl(case: Any, values: dict[str, str]) -> dict[str, Any]:
    """testssl.sh -S (server defaults: the certificate checks) against the served chain."""
    host, port = case.args[1], values["addr"].rsplit(":", 1)[1]
    exe = shutil.which("testssl") or shutil.which("testssl.sh") or "testssl"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "testssl.json"
        argv = [exe, *TESTSSL_FLAGS, "-S", "--ip", "127.0.0.1"]
        trust = str(Path(values["case"]) / "trust.pem")
        argv += ["--add-ca", trust, "--jsonfile", str(out)]
        try:
            subprocess.run(
                [*argv, f"https://{host}:{port}"],
                capture_output=True,
                timeout=TOOL_TIMEOUT,
                check=False,
                cwd=tmp,
            )
        except subprocess.TimeoutExpired:
            return {"timeout": f"no answer in {TOOL_TIMEOUT} s"}
        try:
            rows = json.loads(out.read_text())
        except (OSError, json.JSONDecodeError):
            return {"error": "no JSON"}
    # Findings of the first certificate (testssl.sh suffixes others with " <cert#N>").
    return {
        r["id"]: {"severity": r["severity"], "finding": r["finding"]}
        for r in rows
        if r["id"] in TESTSSL_KEEP
    }


def verdict_testssl(raw: dict[str, Any]) -> tuple[Verdict, str]:
    """testssl.sh's findings in the order a reader fixes them (see the module docstring)."""
    if "timeout" in raw or str(raw.get("error", "")).startswith("no answer"):
        return frozenset({"timeout"}), "still running when its time was up"  # never a verdict
    if "error" in raw:
        return frozenset({"tls.handshake-failed"}), raw["error"]
    if "cert_chain_of_trust" not in raw:
        problem = raw.get("scanProblem", {}).get("finding", "no certificate")
        return frozenset({"tls.handshake-failed"}), problem[:160]

    def severity(rid: str) -> str:
        return str(raw.get(rid, {}).get("severity", ""))

    def finding(rid: str) -> str:
        return str(raw[rid]["finding"])

    if severity("cert_expirationStatus") == "CRITICAL":
        return frozenset({"tls.cert-expired"}), finding("cert_expirationStatus")
    if severity("cert_chain_of_trust") not in ("OK", "INFO"):
        trust = finding("cert_chain_of_trust")
        return _match(trust, TESTSSL_TRUST, {"tls.verify-failed"}), trust
    if severity("cert_caIssuers") == "CRITICAL":  # "selfsigned"
        return frozenset({"tls.self-signed"}), finding("cert_caIssuers")
    if severity("cert_trust") not in ("OK", "INFO", ""):
        return frozenset({"tls.hostname-mismatch"}), finding("cert_trust")
    for rid, cause in (
        ("cert_keySize", "tls.weak-key"),
        ("cert_signatureAlgorithm", "tls.weak-signature"),
        ("cert_expirationStatus", "tls.cert-expiring"),
    ):
        if severity(rid) in WORSE:
            return frozenset({cause}), finding(rid)
    if raw.get("certs_list_ordering_problem", {}).get("finding", "no") != "no":
        return frozenset({"tls.chain-order"}), "ordering problem"
    return HEALTHY, finding("cert_chain_of_trust")


TOOLS: dict[str, tuple[Callable[..., dict[str, Any]], Callable[..., tuple[Verdict, str]]]] = {
    "diagnose": (run_diagnose, verdict_diagnose),
    "sslyze": (run_sslyze, verdict_sslyze),
    "testssl": (run_testssl, verdict_testssl),
}


def judged(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its verdict read (again) from the tool's raw output."""
    verdict, said = TOOLS[row["tool"]][1](row["raw"])
    return {**row, "right": row["expect"] in verdict, "quiet": verdict == HEALTHY, "said": said}


def _cpu() -> float:
    """CPU seconds of this process (diagnose, the case's server) and its finished children (the
    other tools and what they start): a figure the machine's load does not inflate as it does
    wall time."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def table(rows: list[dict[str, Any]], tools: list[str]) -> None:
    """Print the figures per tool."""
    print(f"{'tool':<9} {'cases':>5} {'top-1':>7} {'healthy quiet':>14} {'false ok':>9} "
          f"{'median':>8} {'max':>8} {'total':>8} {'cpu median':>11}")  # fmt: skip
    for tool in tools:
        mine = [r for r in rows if r["tool"] == tool]
        if not mine:
            continue
        healthy = [r for r in mine if r["expect"] == "healthy"]
        false_ok = sum(1 for r in mine if r["expect"] != "healthy" and r["quiet"])
        seconds = [r["seconds"] for r in mine]
        cpu = [r["cpu"] for r in mine if "cpu" in r]
        cpu_median = f"{statistics.median(cpu):>10.2f}s" if cpu else f"{'-':>11}"
        print(
            f"{tool:<9} {len(mine):>5} {sum(r['right'] for r in mine) / len(mine):>7.1%} "
            f"{sum(r['right'] for r in healthy):>6}/{len(healthy):<7} {false_ok:>9} "
            f"{statistics.median(seconds):>7.2f}s {max(seconds):>7.1f}s {sum(seconds):>7.1f}s "
            f"{cpu_median}"
        )


def main(argv: list[str] | None = None) -> int:
    """Serve each case once, run every tool on it, print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default="diagnose,sslyze,testssl")
    parser.add_argument("--cases", default="", help="only these cases (comma-separated names)")
    parser.add_argument("--testssl-max", type=int, default=0, help="0: every case")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="write the rows (raw output kept) here")
    parser.add_argument("--rescore", metavar="FILE", help="judge a saved run again, run nothing")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    if args.rescore:
        saved = json.loads(Path(args.rescore).read_text())
        if any("raw" not in r for r in saved):
            sys.exit(f"{args.rescore}: rows without the tools' raw output (an older run)")
        rows = [judged(r) for r in saved]
        if args.verbose:
            for r in rows:
                if not r["right"]:
                    print(f"  {r['tool']:<8} {r['case']}: expected {r['expect']}, said {r['said']}")
        table(rows, [t for t in TOOLS if any(r["tool"] == t for r in rows)])
        return 0
    if "sslyze" in tools and not SSLYZE.exists():
        sys.exit("sslyze missing: run bash scripts/ci/ssl-tools.sh")
    if "testssl" in tools and not (shutil.which("testssl") or shutil.which("testssl.sh")):
        sys.exit("testssl.sh missing: run bash scripts/ci/ssl-tools.sh")
    cases = accuracy.load_cases("ssl")
    if args.cases:
        wanted = set(args.cases.split(","))
        cases = [c for c in cases if c.name in wanted]
    step = max(1, len(cases) // args.testssl_max) if args.testssl_max else 1
    testssl_cases = {c.name for c in cases[::step][: args.testssl_max or None]}
    rows: list[dict[str, Any]] = []
    for case in cases:
        with accuracy.prepared(case) as values:
            for tool in tools:
                if tool == "testssl" and case.name not in testssl_cases:
                    continue
                t0, cpu0 = time.perf_counter(), _cpu()
                raw = TOOLS[tool][0](case, values)
                seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
                row = judged(
                    {"case": case.name, "tool": tool, "expect": case.expect, "raw": raw,
                     "seconds": round(seconds, 3), "cpu": round(cpu, 3)}
                )  # fmt: skip
                rows.append(row)
                if args.verbose and not row["right"]:
                    print(f"  {tool:<8} {case.name}: expected {case.expect}, said {row['said']}")
        if args.json:  # after every case: a run cut short still leaves its rows
            Path(args.json).write_text(json.dumps(rows, indent=1))
    table(rows, tools)
    return 0


if __name__ == "__main__":
    sys.exit(main())
