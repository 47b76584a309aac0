"""Wall time of `diagnose ssl` against the lab (process start included) beside `openssl s_client`.

Run: python benchmarks/bench_ssl.py [-n N]. Both hit the same lab TLS server on 127.0.0.1; the
figure for diagnose includes Python start-up, imports, the dns/tls/https probes, the rules and
rendering. Without an openssl binary, a bare Python ssl handshake stands in.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from diagnose.lab.dns_server import serve_dns
from diagnose.lab.tls_server import serve_tls


def timed(fn: Callable[[], int], n: int) -> tuple[list[float], set[int]]:
    """Run fn n times; return the wall times in ms and the exit codes seen."""
    times: list[float] = []
    codes: set[int] = set()
    for _ in range(n):
        t0 = time.perf_counter()
        codes.add(fn())
        times.append((time.perf_counter() - t0) * 1000)
    return times, codes


def show(label: str, times: list[float], codes: set[int]) -> None:
    """Print median, min and max."""
    print(
        f"{label:44} median {statistics.median(times):7.1f} ms   min {min(times):7.1f}"
        f"   max {max(times):7.1f}   exit {sorted(codes)}"
    )


def main() -> None:
    """Start the lab, time both clients, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=10, help="runs of each [default: 10]")
    n = parser.parse_args().n
    with serve_tls() as lab, serve_dns("good") as resolver:
        host = "good.dashtray.test"
        cmd = [
            sys.executable, "-m", "diagnose", "ssl", host,
            "--resolver", resolver.address,
            "--connect-to", lab.address("good"),
            "--ca-file", str(lab.root_file),
            "--format", "json",
        ]  # fmt: skip

        sums: list[float] = []
        longest: list[float] = []

        def diagnose() -> int:
            done = subprocess.run(cmd, capture_output=True, check=False)
            probes = [p["duration_ms"] for p in json.loads(done.stdout)["probes"]]
            sums.append(sum(probes))
            longest.append(max(probes))
            return done.returncode

        print(f"lab: {host} at {lab.address('good')}, resolver {resolver.address}; {n} runs each")
        show("diagnose ssl (dns + tls + https, JSON)", *timed(diagnose, n))
        print(
            f"{'  sum of its probes (if run one by one)':44} median {statistics.median(sums):7.1f} ms"
            f"   longest probe {statistics.median(longest):7.1f} ms (they run concurrently)"
            "; target: wall <= 500 ms"
        )
        openssl = shutil.which("openssl")
        if openssl:
            ossl = [
                openssl, "s_client", "-connect", lab.address("good"), "-servername", host,
                "-CAfile", str(lab.root_file), "-verify_return_error", "-brief",
            ]  # fmt: skip

            def s_client() -> int:
                return subprocess.run(ossl, input=b"", capture_output=True, check=False).returncode

            show("openssl s_client (handshake + verify)", *timed(s_client, n))
        else:
            address, port = lab.address("good").split(":")

            def bare() -> int:
                ctx = ssl.create_default_context(cafile=str(lab.root_file))
                with socket.create_connection((address, int(port)), timeout=5) as raw:
                    with ctx.wrap_socket(raw, server_hostname=host):
                        return 0

            show("bare python ssl handshake (in process)", *timed(bare, n))


if __name__ == "__main__":
    main()
