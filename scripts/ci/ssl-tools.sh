#!/usr/bin/env bash
# The TLS scanners benchmarks/bench_ssl_tools.py compares diagnose with: testssl.sh (Debian
# package) and sslyze (PyPI, in its own venv so that its pinned cryptography never meets ours).
# Idempotent and quiet; fast when both are there. Not needed by the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v testssl >/dev/null 2>&1 && ! command -v testssl.sh >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq testssl.sh >/dev/null
  else
    echo "ssl-tools: testssl.sh missing and not root: sudo apt-get install testssl.sh" >&2
  fi
fi

if [ ! -x .venv-sslyze/bin/sslyze ]; then
  python3 -m venv .venv-sslyze
  .venv-sslyze/bin/python -m pip install -q --upgrade pip
  .venv-sslyze/bin/python -m pip install -q sslyze
fi
